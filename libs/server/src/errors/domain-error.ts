/**
 * A failure the domain expects and names. Transports map `code` to their own status once
 * (HTTP: problem+json with the status below); handlers never catch and rethrow.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extensions: Record<string, unknown>;

  constructor(code: string, message: string, status = 400, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.extensions = extensions;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super(`${what}.not_found`, `${what} ${id} does not exist`, 404, { id });
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message, 409);
  }
}

/** A dependency the request needs is unavailable; retrying later may succeed. */
export class DependencyUnavailableError extends DomainError {
  constructor(dependency: string, message: string, retryAfterSeconds = 1) {
    super(`${dependency}.unavailable`, message, 503, { retryAfter: retryAfterSeconds });
  }
}
