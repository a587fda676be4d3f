import { DependencyUnavailableError } from '@saas/server';

// Connection-level failures: the node is unreachable, restarting, or is no longer a primary.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300|25006)/;
// "Query runner already released": the connection died mid-transaction and TypeORM released it, so the
// transaction's next statement finds no connection (seen when every node went down during a write).
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Driver not Connected|not initialized|the database system is (starting up|shutting down)|Query runner already released/i;

export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e?.code ?? e?.driverError?.code;
  if (code && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return UNAVAILABLE_MESSAGE.test(e?.message ?? '');
}

export class DatabaseUnavailableError extends DependencyUnavailableError {
  constructor(role: 'primary' | 'replica') {
    super('database', `The ${role} database is unavailable; writes are refused until it is back.`, 2);
  }
}
