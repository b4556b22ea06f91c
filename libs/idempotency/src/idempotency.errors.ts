import { DomainError, RetryLaterError } from '@stockroom/core';

/** The database refused a second application of the same request: the first one's answer is to be recovered. */
export class DuplicateRequestError extends Error {}

export class IdempotencyKeyReusedError extends DomainError {
  readonly status = 422;
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor() {
    super('This Idempotency-Key was used for a different request');
  }
}

export class IdempotencyInProgressError extends RetryLaterError {
  protected readonly retryAfterSeconds = 1;
  readonly status = 409;
  readonly code = 'IDEMPOTENCY_IN_PROGRESS';

  constructor() {
    super('A request with this Idempotency-Key is still being processed');
  }
}
