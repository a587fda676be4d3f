import { Body, Controller, Get, Param, ParseUUIDPipe, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import { ApiProblems, ApiUuidParam } from '@saas/server';
import { ProfileDto } from './dtos/profile.dto';
import { UpdateProfileDto } from './dtos/update-profile.dto';
import { ProfilesService } from './profiles.service';

const NOT_CREATED_YET = 'No such profile (after a registration, it appears once auth.user.registered.v1 is consumed)';

@ApiTags('profiles')
@Controller()
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's own profile (read-your-writes with x-consistency-token)" })
  @ApiOkResponse({ type: ProfileDto })
  @ApiProblems([404, NOT_CREATED_YET], 503)
  mine(@CurrentUser() user: Principal): Promise<ProfileDto> {
    return this.profiles.mine(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({ summary: "Change the caller's own profile; at least one field" })
  @ApiOkResponse({ type: ProfileDto })
  @ApiProblems(400, [404, NOT_CREATED_YET], 413, 415, 503)
  updateMine(@CurrentUser() user: Principal, @Body() changes: UpdateProfileDto): Promise<ProfileDto> {
    return this.profiles.update(user, user.userId, changes);
  }

  @Get('users/:userId')
  @ApiOperation({ summary: "Anyone's public profile; served from the Redis cache when it has it" })
  @ApiUuidParam('userId')
  @ApiOkResponse({ type: ProfileDto })
  @ApiProblems(400, [404, NOT_CREATED_YET], 503)
  publicProfile(@Param('userId', ParseUUIDPipe) userId: string): Promise<ProfileDto> {
    return this.profiles.publicProfile(userId);
  }

  @Patch('users/:userId')
  @Authenticated()
  @ApiOperation({ summary: 'Change a profile: its owner or an admin; at least one field' })
  @ApiUuidParam('userId')
  @ApiOkResponse({ type: ProfileDto })
  @ApiProblems(400, [403, 'Neither the owner nor an admin'], [404, NOT_CREATED_YET], 413, 415, 503)
  update(
    @CurrentUser() user: Principal,
    @Param('userId', ParseUUIDPipe) userId: string,
    @Body() changes: UpdateProfileDto,
  ): Promise<ProfileDto> {
    return this.profiles.update(user, userId, changes);
  }
}
