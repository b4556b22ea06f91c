/**
 * Expected business outcomes carry a stable machine-readable code and the HTTP status they map to;
 * the one exception filter turns them into `{statusCode, error, code, message, details?}`.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Extra response headers (Retry-After, …). */
  get headers(): Record<string, string> | undefined {
    return undefined;
  }
}

/** A refusal worth retrying: answers with `Retry-After`. */
export abstract class RetryLaterError extends DomainError {
  protected abstract readonly retryAfterSeconds: number;

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

export interface FieldProblem {
  field: string;
  problems: string[];
}

export class ValidationFailedError extends DomainError {
  readonly status = 400;
  readonly code = 'VALIDATION_FAILED';

  constructor(readonly fields: FieldProblem[]) {
    super(`Invalid request: ${fields.map((f) => f.field).join(', ')}`, fields);
  }
}

export class MalformedJsonError extends DomainError {
  readonly status = 400;
  readonly code = 'MALFORMED_JSON';

  constructor(reason: string) {
    super(`Request body is not valid JSON: ${reason}`);
  }
}

/** A dependency (MySQL, Redis) that is needed to boot cannot be reached. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    readonly address: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`cannot reach ${dependency} at ${address} (${reason}); ${hint}`);
    this.name = 'DependencyUnavailableError';
  }
}
