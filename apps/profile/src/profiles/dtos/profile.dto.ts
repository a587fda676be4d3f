import { ApiProperty } from '@nestjs/swagger';
import { UUID_PROPERTY } from '@saas/server';
import type { Profile } from '../profile.entity';

export class ProfileDto {
  @ApiProperty(UUID_PROPERTY)
  userId: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty({ nullable: true, type: String })
  bio: string | null;

  @ApiProperty({ ...UUID_PROPERTY, nullable: true })
  avatarAssetId: string | null;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  static of(profile: Profile): ProfileDto {
    return {
      userId: profile.userId,
      displayName: profile.displayName,
      bio: profile.bio,
      avatarAssetId: profile.avatarAssetId,
      updatedAt: new Date(profile.updatedAt).toISOString(),
    };
  }
}
