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

/**
 * A database that could not decide the request now, and rolled it back: a deadlock that outlasted
 * the unit of work's retries, a row lock waited for past innodb_lock_wait_timeout. Busy, not broken.
 */
const BUSY_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

function hasCode(error: unknown, codes: ReadonlySet<string>, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, driverError, cause } = error as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof code === 'string' && codes.has(code)) return true;
  return hasCode(driverError, codes, depth + 1) || hasCode(cause, codes, depth + 1);
}

/** True when `error` (or what it wraps: a driver error, a cause) says a server was unreachable. */
export function isConnectionFailure(error: unknown): boolean {
  return hasCode(error, CONNECTION_CODES);
}

/** An outage or a database too busy to decide now: the request did nothing wrong, a retry may pass. */
export function isTransientFailure(error: unknown): boolean {
  return isConnectionFailure(error) || hasCode(error, BUSY_CODES);
}

/** A dependency (the database) could not be reached, or could not decide now: 503 with Retry-After, never a 500. */
export class ServiceUnreachableError extends RetryLaterError {
  readonly status = 503;
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  protected readonly retryAfterSeconds = 2;

  constructor() {
    super('A service this request needs is unavailable; retry shortly');
  }
}
