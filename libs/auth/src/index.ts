export { AuthModule } from './auth.module';
export { Authenticated, CurrentUser, JwtAuthGuard, RolesGuard } from './guards';
export { JwksCache, type PublicJwk } from './jwks';
export { RevocationList } from './revocation';
export { ACCESS_TOKEN_ALGORITHM, type Principal, type Role } from './principal';
export type { AuthOptions } from './jwt.strategy';
