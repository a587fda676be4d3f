import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isUnavailable } from '../errors';

describe('isUnavailable: which database errors mean "the node is gone" (503) rather than a bug (500)', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection terminated mid-query', new Error('Connection terminated unexpectedly')],
    ['a server shutting down (SQLSTATE 57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a transaction whose connection TypeORM already released after it died', new QueryRunnerAlreadyReleasedError()],
  ])('%s is unavailability', (_what, error) => {
    expect(isUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('insert', [], Object.assign(new Error('duplicate key value'), { code: '23505' }))],
    ['a syntax error', Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['nothing at all', undefined],
  ])('%s is not', (_what, error) => {
    expect(isUnavailable(error)).toBe(false);
  });
});
