import { RetryLaterError } from './domain-error';

/**
 * Codes a client library puts on an error when its server could not be reached or dropped the
 * connection (Node's socket errors, mysql2's protocol errors, MariaDB/MySQL "shutting down"):
 * the request did nothing wrong, the dependency is away.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

/** True when `error` (or what it wraps: a driver error, a cause) says a server was unreachable. */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, driverError, cause } = error as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return isConnectionFailure(driverError, depth + 1) || isConnectionFailure(cause, depth + 1);
}

/** A dependency (the database) could not be reached: 503 with Retry-After, never a 500. */
export class ServiceUnreachableError extends RetryLaterError {
  readonly status = 503;
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  protected readonly retryAfterSeconds = 2;

  constructor() {
    super('A service this request needs is unavailable; retry shortly');
  }
}
