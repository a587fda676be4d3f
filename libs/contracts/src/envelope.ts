import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { EVENT_CATALOG, isEventType, type EventData, type EventType } from './events';

/** A validated CloudEvents 1.0 envelope whose `data` matches the schema of its `type`. */
export interface Envelope<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: EventData<T>;
  /** W3C trace context of the request that caused the event, when there was one. */
  traceparent?: string;
}

export class ContractViolation extends Error {
  constructor(
    readonly reason: string,
    readonly type?: string,
  ) {
    super(`contract violation${type ? ` (${type})` : ''}: ${reason}`);
    this.name = 'ContractViolation';
  }
}

function checkData<T extends EventType>(type: T, data: unknown): EventData<T> {
  const result = EVENT_CATALOG[type].data.safeParse(data);
  if (!result.success) {
    throw new ContractViolation(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`).join('; '),
      type,
    );
  }
  return result.data as EventData<T>;
}

/** Builds an event for the outbox; throws ContractViolation when `data` does not match its schema. */
export function createEvent<T extends EventType>(
  type: T,
  input: { source: string; subject: string; data: EventData<T>; traceparent?: string; id?: string; time?: Date },
): Envelope<T> {
  const data = checkData(type, input.data);
  // cloudevents validates the spec attributes (id, source URI-reference, specversion...).
  const event = new CloudEvent({
    id: input.id ?? randomUUID(),
    source: input.source,
    type,
    subject: input.subject,
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data,
  });
  event.validate();
  return {
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type,
    subject: input.subject,
    time: event.time as string,
    datacontenttype: 'application/json',
    data,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
}

/** Kafka "binary" content mode: attributes in `ce_*` headers, data as the JSON value. */
export function toKafkaMessage(event: Envelope): { key: string; value: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    ce_specversion: event.specversion,
    ce_id: event.id,
    ce_source: event.source,
    ce_type: event.type,
    ce_subject: event.subject,
    ce_time: event.time,
    'content-type': event.datacontenttype,
  };
  if (event.traceparent) headers.traceparent = event.traceparent;
  return { key: event.subject, value: JSON.stringify(event.data), headers };
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const header = (headers: RawHeaders, name: string): string | undefined => {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/** Parses and validates a consumed message; throws ContractViolation with the reason otherwise. */
export function fromKafkaMessage(message: { headers?: RawHeaders; value: Buffer | null }): Envelope {
  const headers = message.headers ?? {};
  const type = header(headers, 'ce_type');
  if (header(headers, 'ce_specversion') !== '1.0') throw new ContractViolation('missing or unsupported ce_specversion', type);
  if (!isEventType(type)) throw new ContractViolation(`unknown event type '${type ?? '(none)'}'`, type);
  const id = header(headers, 'ce_id');
  const source = header(headers, 'ce_source');
  const subject = header(headers, 'ce_subject');
  const time = header(headers, 'ce_time');
  if (!id || !source || !subject || !time) throw new ContractViolation('missing ce_id, ce_source, ce_subject or ce_time', type);
  let data: unknown;
  try {
    data = JSON.parse(message.value?.toString() ?? '');
  } catch {
    throw new ContractViolation('value is not JSON', type);
  }
  const traceparent = header(headers, 'traceparent');
  return {
    specversion: '1.0',
    id,
    source,
    type,
    subject,
    time,
    datacontenttype: 'application/json',
    data: checkData(type, data),
    ...(traceparent ? { traceparent } : {}),
  };
}
