import { Injectable } from '@nestjs/common';
import { createEvent, EVENT_CATALOG, toKafkaMessage, type EventData, type EventType } from '@saas/contracts';
import { RequestContext } from '@saas/server';
import type { EntityManager } from 'typeorm';

export const OUTBOX_CHANNEL = 'outbox';

/**
 * Writes events into the outbox inside the caller's transaction, so the event exists if and only
 * if the state change committed. The relay publishes it later; NOTIFY (delivered on commit) wakes it.
 */
@Injectable()
export class Outbox {
  constructor(
    private readonly source: string,
    private readonly topicPrefix = '',
  ) {}

  async publish<T extends EventType>(em: EntityManager, type: T, subject: string, data: EventData<T>): Promise<string> {
    const event = createEvent(type, { source: this.source, subject, data, traceparent: RequestContext.trace().traceparent });
    const message = toKafkaMessage(event);
    await em.query(
      'insert into outbox (id, topic, key, type, message) values ($1, $2, $3, $4, $5)',
      [event.id, `${this.topicPrefix}${EVENT_CATALOG[type].topic}`, message.key, type, JSON.stringify({ value: message.value, headers: message.headers })],
    );
    await em.query('select pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
    return event.id;
  }
}
