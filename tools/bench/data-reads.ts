/**
 * Benchmark: read throughput with reads on the replica vs all on the primary, and the cost of the
 * consistency-token check, measured side by side in one run on the real primary + replica.
 *   npm run bench -- data     (BENCH_SECONDS, BENCH_CONCURRENCY to change the load)
 */
import { createDatabase, inConsistencyScope } from '@saas/data';
import { createTestDatabase, sql } from '@saas/testing';
import { closedLoop, printTable } from './measure';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROWS = 10_000;

async function main() {
  const db = await createTestDatabase('bench');
  await sql(db.primaryUrl, 'create table items (id int primary key, body text not null)');
  await sql(db.primaryUrl, `insert into items select g, md5(g::text) from generate_series(1, ${ROWS}) g`);
  const database = createDatabase({
    service: 'bench',
    primaryUrl: db.primaryUrl,
    replicaUrls: [db.replicaUrl],
    entities: [],
    poolSize: concurrency,
    connectTimeoutMs: 1_000,
    statementTimeoutMs: 5_000,
    replicaMaxLagBytes: 16 * 1024 * 1024,
  });
  await database.connect();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database.monitor.refresh();
  const write = await inConsistencyScope(undefined, () => database.write((em) => em.query("update items set body = 'x' where id = 1")));
  await new Promise((resolve) => setTimeout(resolve, 300));

  const lookup = (em: { query: (q: string, p: unknown[]) => Promise<unknown> }) =>
    em.query('select body from items where id = $1', [1 + Math.floor(Math.random() * ROWS)]);
  const load = { concurrency, seconds };
  try {
    const rows = [
      await closedLoop('all reads on the primary', () => inConsistencyScope(undefined, () => database.readPrimary(lookup)), load),
      await closedLoop('reads on the replica (no token)', () => inConsistencyScope(undefined, () => database.read(lookup)), load),
      await closedLoop('reads on the replica with a token (read-your-writes)', () => inConsistencyScope(write.token, () => database.read(lookup)), load),
    ];
    printTable(`Point reads by primary key, ${concurrency} concurrent, ${seconds}s each, ${ROWS} rows`, rows);
    console.log(
      '\nBoth servers share this machine\'s cores, so moving reads to the replica frees the primary rather than adding capacity here;' +
        '\non separate hosts the replica adds its own CPU. A token costs a round trip only while it is ahead of the replay position' +
        '\nthe service last saw on that replica (positions only grow); after that it is answered from memory.',
    );
  } finally {
    await database.close();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
