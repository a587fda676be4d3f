import { BadRequestException, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';

@Injectable()
export class RequireBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (body === undefined || body === null) {
      throw new BadRequestException('This operation needs a JSON body; send {} when no field applies.');
    }
    return true;
  }
}

/**
 * For a body whose fields are all optional: the global ValidationPipe turns a missing body into `{}`,
 * so without this the request the document calls invalid (no body at all) would be accepted.
 * Put it above `@Authenticated()` so a missing token still answers 401 first.
 */
export const RequireBody = () => UseGuards(RequireBodyGuard);
