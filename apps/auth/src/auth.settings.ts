import type { SigningKey } from './keys/signing-keys';

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export interface AuthSettings {
  issuer: string;
  audience: string;
  signingKeys: SigningKey[];
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  adminEmails: string[];
  limits: { loginPerAccount: number; loginPerIp: number; registerPerIp: number; refreshPerIp: number };
}
