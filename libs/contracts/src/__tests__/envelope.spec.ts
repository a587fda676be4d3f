import { randomUUID } from 'node:crypto';
import { ContractViolation, createEvent, fromKafkaMessage, toKafkaMessage } from '../index';

const userId = randomUUID();
const registered = () =>
  createEvent('auth.user.registered.v1', {
    source: '/auth',
    subject: userId,
    data: { userId, email: 'ada@example.com', displayName: 'Ada' },
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });

const asMessage = (m: ReturnType<typeof toKafkaMessage>) => ({
  headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
  value: Buffer.from(m.value),
});

describe('CloudEvents envelopes', () => {
  it('round-trips through Kafka binary mode with trace context', () => {
    const event = registered();
    const message = toKafkaMessage(event);
    expect(message.key).toBe(userId);
    expect(message.headers.ce_type).toBe('auth.user.registered.v1');
    expect(fromKafkaMessage(asMessage(message))).toEqual(event);
  });

  it('refuses to create an event whose data breaks its schema', () => {
    expect(() =>
      createEvent('auth.user.registered.v1', {
        source: '/auth',
        subject: userId,
        data: { userId: 'not-a-uuid', email: 'nope', displayName: '' } as never,
      }),
    ).toThrow(ContractViolation);
  });

  it.each([
    ['an unknown type', { ce_type: 'auth.user.exploded.v1' }, /unknown event type 'auth.user.exploded.v1'/],
    ['an unknown version', { ce_type: 'auth.user.registered.v9' }, /unknown event type/],
    ['a missing spec version', { ce_specversion: '' }, /ce_specversion/],
    ['a missing id', { ce_id: '' }, /missing ce_id/],
  ])('rejects %s with a reason', (_label, override, reason) => {
    const message = asMessage(toKafkaMessage(registered()));
    for (const [key, value] of Object.entries(override)) message.headers[key] = Buffer.from(value);
    expect(() => fromKafkaMessage(message)).toThrow(reason);
  });

  it('rejects a value that is not JSON, or data that breaks the schema', () => {
    const message = asMessage(toKafkaMessage(registered()));
    expect(() => fromKafkaMessage({ ...message, value: Buffer.from('{oops') })).toThrow(/not JSON/);
    expect(() => fromKafkaMessage({ ...message, value: Buffer.from(JSON.stringify({ userId })) })).toThrow(/email/);
  });
});
