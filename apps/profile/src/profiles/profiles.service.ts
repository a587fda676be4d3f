import { Injectable } from '@nestjs/common';
import type { Principal } from '@saas/auth';
import { Database } from '@saas/data';
import { Outbox } from '@saas/messaging';
import { DomainError, NotFoundError } from '@saas/server';
import type { EntityManager } from 'typeorm';
import { ProfileDto } from './dtos/profile.dto';
import type { UpdateProfileDto } from './dtos/update-profile.dto';
import { ProfileCache } from './profile-cache';
import { Profile } from './profile.entity';

@Injectable()
export class ProfilesService {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly cache: ProfileCache,
  ) {}

  /** The caller's own profile, read through read/write splitting (honours the consistency token). */
  async mine(user: Principal): Promise<ProfileDto> {
    const profile = await this.db.read((em) => em.getRepository(Profile).findOneBy({ userId: user.userId }));
    if (!profile) throw new NotFoundError('profile', user.userId);
    return ProfileDto.of(profile);
  }

  /** Anyone's public profile, cache-aside in Redis; Redis down means a database read, never an error. */
  async publicProfile(userId: string): Promise<ProfileDto> {
    const load = async () => {
      const row = await this.db.read((em) => em.getRepository(Profile).findOneBy({ userId }));
      return row ? ProfileDto.of(row) : null;
    };
    // A caller that wrote or presents a consistency token reads through, so it sees its own write.
    const profile = this.db.mustReadYourWrites ? await load() : await this.cache.getOrLoad(userId, load);
    if (!profile) throw new NotFoundError('profile', userId);
    return profile;
  }

  /** Owner or admin only. The change and its `profile.profile.updated.v1` event commit together. */
  async update(user: Principal, userId: string, changes: UpdateProfileDto): Promise<ProfileDto> {
    if (user.userId !== userId && !user.roles.includes('admin')) {
      throw new DomainError('profile.forbidden', 'only the owner or an admin may change a profile', 403);
    }
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new DomainError('profile.empty_update', 'send at least one of displayName, bio, avatarAssetId', 400);
    }
    const saved = await this.db.write(async (em) => {
      const repository = em.getRepository(Profile);
      const profile = await repository.findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
      if (!profile) throw new NotFoundError('profile', userId);
      if (changes.displayName !== undefined) profile.displayName = changes.displayName;
      if (changes.bio !== undefined) profile.bio = changes.bio;
      if (changes.avatarAssetId !== undefined) profile.avatarAssetId = changes.avatarAssetId;
      const updated = await repository.save(profile);
      await this.outbox.publish(em, 'profile.profile.updated.v1', userId, {
        userId,
        displayName: updated.displayName,
        bio: updated.bio,
        avatarAssetId: updated.avatarAssetId,
      });
      return updated;
    });
    // Committed: every replica's next read of the public profile loads the new row.
    await this.cache.evict(userId);
    return ProfileDto.of(saved);
  }

  /** From auth.user.registered.v1: creates the profile once, whatever the redeliveries. */
  async createFromRegistration(em: EntityManager, userId: string, displayName: string): Promise<void> {
    await em.query('insert into profiles (user_id, display_name) values ($1, $2) on conflict (user_id) do nothing', [userId, displayName]);
    await this.cache.evict(userId); // drop a cached "no such profile"; on commit the next read loads the row
  }

  /** From auth.user.deleted.v1. */
  async removeForDeletedUser(em: EntityManager, userId: string): Promise<void> {
    await em.query('delete from profiles where user_id = $1', [userId]);
    await this.cache.evict(userId);
  }
}
