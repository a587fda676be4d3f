import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal, Role } from './principal';

const ROLES_KEY = 'auth:roles';

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    if (required.length === 0) return true;
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!principal?.roles.some((role) => required.includes(role))) {
      throw new ForbiddenException(`requires role ${required.join(' or ')}`);
    }
    return true;
  }
}

/** A valid access token is required; with roles, one of them too (401 without a token, 403 without the role). */
export const Authenticated = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    UseGuards(JwtAuthGuard, RolesGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token' }),
    ...(roles.length ? [ApiForbiddenResponse({ description: `Requires role ${roles.join(' or ')}` })] : []),
  );

/** The verified caller of an @Authenticated() handler. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);
