import { DomainError, RetryLaterError } from '@stockroom/core';

export class InvalidCredentialsError extends DomainError {
  readonly status = 401;
  readonly code = 'INVALID_CREDENTIALS';

  constructor() {
    super('Email or password is wrong');
  }
}

export class NotSignedInError extends DomainError {
  readonly status = 401;
  readonly code = 'NOT_SIGNED_IN';

  constructor() {
    super('Sign in first: send the sid cookie or Authorization: Bearer <session id>');
  }
}

export class SessionStoreUnavailableError extends RetryLaterError {
  protected readonly retryAfterSeconds = 5;
  readonly status = 503;
  readonly code = 'SESSION_STORE_UNAVAILABLE';

  constructor() {
    super('Signing in is unavailable for a moment; try again shortly');
  }
}

/** Runs a session-store call: Redis being away is a 503 where a session is needed, never a 500. */
export async function askSessionStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    throw new SessionStoreUnavailableError();
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = 'FORBIDDEN';

  constructor(allowed: readonly string[]) {
    super(`This needs one of the roles: ${allowed.join(', ')}`);
  }
}

export class WrongPasswordError extends DomainError {
  readonly status = 400;
  readonly code = 'WRONG_PASSWORD';

  constructor() {
    super('The current password is wrong');
  }
}

export class UserNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'USER_NOT_FOUND';

  constructor(id: number) {
    super(`No user with id ${id}`);
  }
}

export class OwnRoleError extends DomainError {
  readonly status = 409;
  readonly code = 'OWN_ROLE';

  constructor() {
    super('Admins cannot change their own role (another admin can)');
  }
}
