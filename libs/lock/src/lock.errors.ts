import { DomainError } from '@stockroom/core';

/** The lock could not be had in time; `Retry-After` tells the client when to try again. */
export class LockTimeoutError extends DomainError {
  readonly status = 423;
  readonly code = 'LOCK_TIMEOUT';

  constructor(
    readonly resource: string,
    readonly retryAfterMs: number,
  ) {
    super(`${resource} is busy; try again shortly`, { resource, retryAfterMs });
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) };
  }
}

/** The lease ran out (or was taken over) while its holder was still working. */
export class LockLostError extends DomainError {
  readonly status = 409;
  readonly code = 'LOCK_LOST';

  constructor(readonly resource: string) {
    super(`the lock on ${resource} was lost before the work finished`, { resource });
  }
}
