/**
 * `npx tsx scripts/bench-postgres.ts`: what a call of the PostgreSQL store costs (µs), against the same query made
 * asynchronously with `pg` in this thread: the difference is the synchronous bridge (worker thread + Atomics.wait).
 * Starts its own embedded PostgreSQL. Not part of `npm test`.
 */
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres-store.js';
import { startPostgres } from '../test/support/postgres.js';

const N = 2_000;
const server = await startPostgres();
try {
  const url = await server.database();
  const store = new PostgresStore(url);
  store.setValue('k', 'v');
  const time = (what: string, run: (i: number) => void) => {
    for (let i = 0; i < 200; i += 1) run(i);
    const started = performance.now();
    for (let i = 0; i < N; i += 1) run(i);
    console.log(`${what.padEnd(34)} ${Math.round(((performance.now() - started) * 1000) / N)} µs`);
  };
  time('getValue (one SELECT)', () => store.getValue('k'));
  time('setValue (lock + UPSERT, one hop)', (i) => store.setValue(`k${i % 50}`, 'v'));
  time('claim (transaction, 4 hops)', (i) => store.claim(`c${i}`, { owner: 'a', now: Date.now(), leaseMs: 60_000 }));
  store.close();
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const started = performance.now();
  for (let i = 0; i < N; i += 1) await pool.query('SELECT value FROM kv WHERE key = $1', ['k']);
  console.log(`${'the same SELECT, async pg here'.padEnd(34)} ${Math.round(((performance.now() - started) * 1000) / N)} µs`);
  await pool.end();
} finally {
  await server.stop();
}
