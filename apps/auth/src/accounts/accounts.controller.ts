import { Body, Controller, Delete, Get, HttpCode, Ip, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import { ApiProblems, RequireBody } from '@saas/server';
import { AccountsService } from './accounts.service';
import { JwksDto, LoginDto, LogoutDto, RefreshDto, RegisterDto, TokensDto, UpdateMeDto, UserDto } from './dtos/accounts.dto';

// Every JSON body: 400 (invalid, malformed), 413 (over BODY_LIMIT_BYTES), 415 (not application/json).
// 503: the database (or Redis for revocation) is unavailable.

@ApiTags('accounts')
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('register')
  @ApiOperation({ summary: 'Create an account and log in' })
  @ApiCreatedResponse({ type: TokensDto })
  @ApiProblems(400, [409, 'An account with this email exists'], 413, 415, [429, 'Too many registrations from this address'], 503)
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.register(dto, ip);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password' })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(400, [401, 'Email or password is incorrect (the same answer for both)'], 413, 415, [429, 'Too many attempts for this account or from this address'], 503)
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token (once) for new tokens' })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(400, [401, 'Unknown, expired, revoked or reused refresh token (reuse revokes the whole session)'], 413, 415, 429, 503)
  refresh(@Body() dto: RefreshDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.refresh(dto.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  @RequireBody()
  @Authenticated()
  @ApiOperation({ summary: 'Revoke this access token (and the session, given its refresh token); the body is required, {} is enough' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiProblems(400, 413, 415, 503)
  logout(@CurrentUser() principal: Principal, @Body() dto: LogoutDto): Promise<void> {
    return this.accounts.logout(principal, dto.refreshToken);
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: UserDto })
  @ApiProblems([404, 'The account was deleted'], 503)
  me(@CurrentUser() principal: Principal): Promise<UserDto> {
    return this.accounts.me(principal);
  }

  @Patch('me')
  @Authenticated()
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400, [404, 'The account was deleted'], 413, 415, 503)
  updateMe(@CurrentUser() principal: Principal, @Body() dto: UpdateMeDto): Promise<UserDto> {
    return this.accounts.updateMe(principal, dto);
  }

  @Delete('me')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Delete the account; its profile follows through auth.user.deleted.v1' })
  @ApiNoContentResponse({ description: 'Deleted; this access token is revoked' })
  @ApiProblems([404, 'The account was deleted already'], 503)
  deleteMe(@CurrentUser() principal: Principal): Promise<void> {
    return this.accounts.deleteMe(principal);
  }

  /** Public keys for local verification by every service; cacheable. */
  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: 'Public signing keys (JWKS) for local token verification' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): JwksDto {
    return this.accounts.jwks() as unknown as JwksDto;
  }
}
