/**
 * Demo: the stale-read problem of read/write splitting, and read-your-writes with a consistency token.
 *   npm run demo:stale-read
 * Uses the real primary + replica from `npm run infra -- up`, on a throwaway database.
 */
import { createDatabase, inConsistencyScope } from '@saas/data';
import { createTestDatabase, sql } from '@saas/testing';

async function main() {
  const db = await createTestDatabase('demo');
  await sql(db.primaryUrl, 'create table notes (id serial primary key, body text not null)');
  const database = createDatabase({
    service: 'demo',
    primaryUrl: db.primaryUrl,
    replicaUrls: [db.replicaUrl],
    entities: [],
    poolSize: 4,
    connectTimeoutMs: 1_000,
    statementTimeoutMs: 5_000,
    replicaMaxLagBytes: 16 * 1024 * 1024,
  });
  await database.connect();
  await database.monitor.refresh();
  const count = () => database.read(async (em) => (await em.query('select count(*)::int as n from notes'))[0].n as number);

  try {
    console.log('1. Pause WAL replay on the replica (simulates replication lag).');
    await sql(db.replicaUrl, 'select pg_wal_replay_pause()');

    const write = await inConsistencyScope(undefined, () =>
      database.write((em) => em.query("insert into notes (body) values ('hello')")),
    );
    console.log(`2. Write one row on the primary. Response token: x-consistency-token: ${write.token}`);

    const stale = await inConsistencyScope(undefined, count);
    console.log(`3. Read WITHOUT the token -> served by ${stale.readNode}: count = ${stale.result}   <- stale: your own write is missing`);

    const fresh = await inConsistencyScope(write.token, count);
    console.log(`4. Read WITH the token    -> served by ${fresh.readNode}: count = ${fresh.result}   <- read-your-writes`);

    await sql(db.replicaUrl, 'select pg_wal_replay_resume()');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const caughtUp = await inConsistencyScope(write.token, count);
    console.log(`5. Resume replay; read WITH the token -> served by ${caughtUp.readNode}: count = ${caughtUp.result}   <- replica caught up, used again`);
  } finally {
    await sql(db.replicaUrl, 'select pg_wal_replay_resume()').catch(() => undefined);
    await database.close();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
