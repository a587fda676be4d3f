import { Body, Controller, Get, Param, ParseUUIDPipe, Patch } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import { ProfileDto } from './dtos/profile.dto';
import { UpdateProfileDto } from './dtos/update-profile.dto';
import { ProfilesService } from './profiles.service';

@ApiTags('profiles')
@Controller()
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: ProfileDto })
  @ApiNotFoundResponse({ description: 'The profile is not created yet (the registration event is still in flight)' })
  mine(@CurrentUser() user: Principal): Promise<ProfileDto> {
    return this.profiles.mine(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOkResponse({ type: ProfileDto })
  updateMine(@CurrentUser() user: Principal, @Body() changes: UpdateProfileDto): Promise<ProfileDto> {
    return this.profiles.update(user, user.userId, changes);
  }

  @Get('users/:userId')
  @ApiOkResponse({ type: ProfileDto, description: 'Public; served from the Redis cache when it has it' })
  publicProfile(@Param('userId', ParseUUIDPipe) userId: string): Promise<ProfileDto> {
    return this.profiles.publicProfile(userId);
  }

  @Patch('users/:userId')
  @Authenticated()
  @ApiOkResponse({ type: ProfileDto, description: 'The owner or an admin; 403 for anyone else' })
  update(
    @CurrentUser() user: Principal,
    @Param('userId', ParseUUIDPipe) userId: string,
    @Body() changes: UpdateProfileDto,
  ): Promise<ProfileDto> {
    return this.profiles.update(user, userId, changes);
  }
}
