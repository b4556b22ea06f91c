import { DomainError } from '@stockroom/core';

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

export class SessionStoreUnavailableError extends DomainError {
  readonly status = 503;
  readonly code = 'SESSION_STORE_UNAVAILABLE';

  constructor() {
    super('Signing in is unavailable for a moment; try again shortly');
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': '5' };
  }
}
