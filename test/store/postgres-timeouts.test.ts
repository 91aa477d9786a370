import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS, pgBounds, requestBudgetMs } from '../../src/store/pg-bridge.js';
import { PostgresStore, type PostgresStoreOptions, WRITE_LOCK } from '../../src/store/postgres-store.js';
import { type TestPostgres, holdLock, startPostgres } from '../support/postgres.js';

/**
 * The PostgreSQL store's bounds: how long a call may wait (the worker's own bounds, summed), and what a lock or
 * statement that runs out of time means (one refused call, not an outage).
 */
let postgres: TestPostgres | undefined;
const server = (): TestPostgres => {
  if (!postgres) throw new Error('the PostgreSQL server did not start');
  return postgres;
};
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const opened: PostgresStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});
/** A store on a new database, and what it told (`onTrouble`, `onRecovered`). */
const open = async (options: PostgresStoreOptions = {}) => {
  const url = await server().database();
  const told: string[] = [];
  const store = new PostgresStore(url, { ...options, onTrouble: (error) => told.push(error.message), onRecovered: (line) => told.push(line) });
  opened.push(store);
  return { url, store, told };
};

/** Makes an INSERT of `key` into kv take `seconds` on the server (a trigger that sleeps). */
async function slowInsert(url: string, key: string, seconds: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE FUNCTION slow_insert() RETURNS trigger AS $$
      BEGIN IF NEW.key = '${key}' THEN PERFORM pg_sleep(${seconds}); END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await client.query('CREATE TRIGGER slow_insert BEFORE INSERT ON kv FOR EACH ROW EXECUTE FUNCTION slow_insert()');
  } finally {
    await client.end();
  }
}

describe('PostgresStore: how long a call waits', () => {
  it('the main thread waits for the sum of the worker’s bounds (connect + lock + statement) and a margin', () => {
    expect(requestBudgetMs(pgBounds(5_000))).toBe(15_000);
    expect(requestBudgetMs({ connectMs: 1_000, lockMs: 2_000, statementMs: 3_000 })).toBe(6_000);
    expect(ANSWER_MARGIN_MS).toBeGreaterThan(0);
  });

  it('a write that waits most of the lock bound for another host, then runs most of the statement bound, is stored', async () => {
    // Bounds of 4 s: the lock is held 3 s, the statement sleeps 3 s. Together longer than one bound and its
    // margin (what the main thread used to wait), each within its own bound.
    const { url, store, told } = await open({ timeoutMs: 4_000 });
    store.setValue('k', 'v0');
    await slowInsert(url, 'slow', 3);
    const other = await holdLock(url, WRITE_LOCK, { forMs: 3_000 });
    try {
      store.setValue('slow', 'stored');
    } finally {
      await other.release();
    }
    expect(store.getValue('slow')).toBe('stored');
    expect(told).toEqual([]);
  });
});
