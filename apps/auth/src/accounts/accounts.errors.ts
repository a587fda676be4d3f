import { DomainError } from '@saas/server';

/** Same answer for an unknown email and a wrong password: no user enumeration. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('auth.invalid_credentials', 'Email or password is incorrect.', 401);
  }
}

export class EmailTakenError extends DomainError {
  constructor() {
    super('auth.email_taken', 'An account with this email already exists.', 409);
  }
}

export class InvalidRefreshTokenError extends DomainError {
  constructor(reason: 'unknown' | 'expired' | 'revoked' | 'reused') {
    super('auth.invalid_refresh_token', `The refresh token is not valid (${reason}); log in again.`, 401);
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('auth.rate_limited', 'Too many attempts; try again later.', 429, { retryAfter: retryAfterSeconds });
  }
}
