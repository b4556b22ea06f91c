import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MalformedJsonError } from '../errors/domain-error';
import { toErrorResponse } from '../errors/http-error.filter';
import type { InFlightRequests } from './in-flight';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane, so logs correlate across services. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const COUNTED = Symbol('stockroom:in-flight');

/**
 * JSON only: bodies of any other type get 415, and a JSON body that does not parse becomes a
 * MALFORMED_JSON error (Fastify's own parse error would reach the filter as an anonymous 400).
 * Every request carries X-Request-Id and is counted in `inFlight` from arrival until its answer
 * is handed to Fastify (onSend runs even when the client has already gone).
 */
export function configureFastify(fastify: FastifyInstance, inFlight: InFlightRequests): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) done(new MalformedJsonError(error.message), undefined);
      else done(null, value);
    });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    inFlight.start();
    (request as unknown as Record<symbol, boolean>)[COUNTED] = true;
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    const marks = request as unknown as Record<symbol, boolean>;
    if (marks[COUNTED]) {
      marks[COUNTED] = false;
      inFlight.end();
    }
    done(null, payload);
  });
}

/** Errors Fastify raises before routing (a malformed URL) get the same body as every other error. */
export function frameworkErrorHandler(error: { statusCode?: number; message: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send(toErrorResponse({ statusCode: status, message: error.message }));
}
