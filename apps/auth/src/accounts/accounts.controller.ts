import { Body, Controller, Delete, Get, HttpCode, Ip, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import { AccountsService } from './accounts.service';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto, TokensDto, UpdateMeDto, UserDto } from './dtos/accounts.dto';

@ApiTags('accounts')
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('register')
  @ApiCreatedResponse({ type: TokensDto })
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.register(dto, ip);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokensDto })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokensDto })
  refresh(@Body() dto: RefreshDto, @Ip() ip: string): Promise<TokensDto> {
    return this.accounts.refresh(dto.refreshToken, ip);
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse()
  logout(@CurrentUser() principal: Principal, @Body() dto: LogoutDto): Promise<void> {
    return this.accounts.logout(principal, dto.refreshToken);
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() principal: Principal): Promise<UserDto> {
    return this.accounts.me(principal);
  }

  @Patch('me')
  @Authenticated()
  @ApiOkResponse({ type: UserDto })
  updateMe(@CurrentUser() principal: Principal, @Body() dto: UpdateMeDto): Promise<UserDto> {
    return this.accounts.updateMe(principal, dto);
  }

  @Delete('me')
  @HttpCode(204)
  @Authenticated()
  deleteMe(@CurrentUser() principal: Principal): Promise<void> {
    return this.accounts.deleteMe(principal);
  }

  /** Public keys for local verification by every service; cacheable. */
  @Get('.well-known/jwks.json')
  jwks() {
    return this.accounts.jwks();
  }
}
