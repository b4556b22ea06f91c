import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { DomainError } from './domain-error';
import { ServiceUnreachableError, isTransientFailure } from './connection-failure';
import { ErrorResponse } from './error-response';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

interface ClientErrorLike {
  statusCode: number;
  message: string;
}

function isClientError(error: unknown): error is ClientErrorLike {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Maps anything thrown to the one error body; unknown errors become a 500 without internals. */
export function toErrorResponse(caught: unknown): ErrorResponse {
  const exception = asOutage(caught);
  if (exception instanceof DomainError) {
    return body(exception.status, exception.code, exception.message, exception.details);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    const code = status === 404 && message.startsWith('Cannot ') ? 'ROUTE_NOT_FOUND' : codeFor(status);
    return body(status, code, message, structuredDetails(response));
  }
  // Nest turns Fastify's own errors (body limit, media type) into HttpExceptions; others keep statusCode.
  if (isClientError(exception)) {
    return body(exception.statusCode, codeFor(exception.statusCode), exception.message);
  }
  return body(500, 'INTERNAL_ERROR', 'Internal server error');
}

/** A database (or other server) that cannot be reached, or is too busy to decide now, is an outage, not a bug: a 503 error. */
function asOutage(caught: unknown): unknown {
  return isTransientFailure(caught) ? new ServiceUnreachableError() : caught;
}

/** Keeps a structured exception body (a failed health check) as `details`. */
function structuredDetails(response: string | object): unknown {
  if (typeof response !== 'object' || response === null || 'message' in response) return undefined;
  return response;
}

function codeFor(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

function body(statusCode: number, code: string, message: string, details?: unknown): ErrorResponse {
  const response: ErrorResponse = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
  if (details !== undefined) response.details = details;
  return response;
}

type ErrorLogger = Pick<Logger, 'warn' | 'error'>;

const defaultLogger = new Logger('HttpErrorFilter');

/** Answers `reply` with the one error body (and the error's headers); logs what is not the client's fault. */
export function sendError(reply: FastifyReply, caught: unknown, logger: ErrorLogger = defaultLogger): void {
  const exception = asOutage(caught);
  const response = toErrorResponse(exception);
  if (exception instanceof DomainError && response.statusCode >= 500) {
    // Expected (a dependency away): one line per request, no stack.
    logger.warn(`${exception.code}: ${exception === caught ? exception.message : String((caught as Error).message ?? caught)}`);
  } else if (response.statusCode >= 500) {
    logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  }
  if (reply.sent) return;
  if (exception instanceof DomainError && exception.headers) void reply.headers(exception.headers);
  void reply.status(response.statusCode).header('content-type', 'application/json; charset=utf-8').send(response);
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger: ErrorLogger = defaultLogger;

  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), exception, this.logger);
  }
}
