export type Role = 'user' | 'admin';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  userId: string;
  email: string;
  roles: Role[];
  /** Token id and expiry, so logout can deny-list this exact token until it expires. */
  jti: string;
  expiresAt: number;
}

export const ACCESS_TOKEN_ALGORITHM = 'RS256';
