import { RequestContext } from '@saas/server';
import { formatLsn, parseLsn } from './lsn';

export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';
export const READ_NODE_HEADER = 'x-read-node';

const WROTE = Symbol('data.wrote');
const TOKEN = Symbol('data.token');
const READ_NODE = Symbol('data.readNode');

/**
 * Read-your-writes bookkeeping for the current request. The token is only a WAL position: a forged
 * or malformed one can at worst send this request's reads to the primary, so it needs no signature,
 * and a malformed one is ignored as if absent.
 */
export const consistency = {
  presented(raw: unknown): void {
    const lsn = parseLsn(Array.isArray(raw) ? raw[0] : raw);
    if (lsn !== undefined) RequestContext.set(TOKEN, lsn);
  },
  required(): bigint | undefined {
    const wrote = RequestContext.get<bigint>(WROTE);
    const presented = RequestContext.get<bigint>(TOKEN);
    if (wrote === undefined) return presented;
    return presented !== undefined && presented > wrote ? presented : wrote;
  },
  wroteAt(lsn: bigint): void {
    const previous = RequestContext.get<bigint>(WROTE);
    if (previous === undefined || lsn > previous) RequestContext.set(WROTE, lsn);
  },
  get hasWritten(): boolean {
    return RequestContext.get<bigint>(WROTE) !== undefined;
  },
  /** Token to hand back: the newest position this request wrote or was asked to see. */
  token(): string | undefined {
    const lsn = consistency.required();
    return lsn === undefined ? undefined : formatLsn(lsn);
  },
  readFrom(node: string): void {
    RequestContext.set(READ_NODE, node);
  },
  get readNode(): string | undefined {
    return RequestContext.get<string>(READ_NODE);
  },
};

/**
 * Runs `work` as one request would: a fresh request context, with `token` presented if given.
 * For code outside HTTP (demos, benchmarks, background jobs) that wants the same routing.
 */
export async function inConsistencyScope<T>(
  token: string | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; token?: string; readNode?: string }> {
  return RequestContext.run(async () => {
    consistency.presented(token);
    const result = await work();
    return { result, token: consistency.token(), readNode: consistency.readNode };
  });
}
