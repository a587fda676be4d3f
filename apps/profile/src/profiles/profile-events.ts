import { Injectable, OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@saas/contracts';
import { EventConsumers } from '@saas/messaging';
import { ProfilesService } from './profiles.service';

export const PROFILE_CONSUMER_GROUP = Symbol('PROFILE_CONSUMER_GROUP');

/**
 * Keeps profiles in step with auth's users. Each handler runs in the same transaction as its inbox
 * row, so a redelivered event is skipped; the SQL is idempotent on its own as well.
 */
@Injectable()
export class ProfileEvents implements OnModuleInit {
  constructor(
    private readonly consumers: EventConsumers,
    private readonly profiles: ProfilesService,
    private readonly group: string,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      group: this.group,
      topics: [TOPICS.user],
      handlers: {
        'auth.user.registered.v1': (event, em) => this.profiles.createFromRegistration(em, event.data.userId, event.data.displayName),
        'auth.user.deleted.v1': (event, em) => this.profiles.removeForDeletedUser(em, event.data.userId),
      },
    });
  }
}
