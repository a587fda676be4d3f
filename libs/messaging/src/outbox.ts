import { Injectable } from '@nestjs/common';
import { createEvent, EVENT_CATALOG, toKafkaMessage, type EventData, type EventType } from '@saas/contracts';
import { RequestContext } from '@saas/server';
import { activeTraceparent, inSpan } from '@saas/telemetry';
import type { EntityManager } from 'typeorm';

export const OUTBOX_CHANNEL = 'outbox';

/** Span attributes naming an event (CloudEvents semantic conventions), shared by outbox, relay and consumer spans. */
export const eventAttributes = (type: string, subject: string) => ({
  'cloudevents.event_type': type,
  'cloudevents.event_subject': subject,
});

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

  publish<T extends EventType>(
    em: EntityManager,
    type: T,
    subject: string,
    data: EventData<T>,
  ): Promise<string> {
    const topic = `${this.topicPrefix}${EVENT_CATALOG[type].topic}`;
    return inSpan(
      `outbox write ${type}`,
      {
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          ...eventAttributes(type, subject),
        },
      },
      async (span) => {
        // The event carries this span's trace context (tracing on) or the caller's incoming one (off), so
        // the relay's publish and every consumer's handling join the trace of the request that caused it.
        const traceparent = activeTraceparent() ?? RequestContext.trace().traceparent;
        const event = createEvent(type, { source: this.source, subject, data, traceparent });
        span?.setAttribute('messaging.message.id', event.id);
        const message = toKafkaMessage(event);
        // One round trip: the row and the NOTIFY that wakes the relay (delivered when the caller commits).
        await em.query(
          `with written as (insert into outbox (id, topic, key, type, message) values ($1, $2, $3, $4, $5) returning 1)
           select pg_notify($6, '') from written`,
          [
            event.id,
            topic,
            message.key,
            type,
            JSON.stringify({ value: message.value, headers: message.headers }),
            OUTBOX_CHANNEL,
          ],
        );
        return event.id;
      },
    );
  }
}
