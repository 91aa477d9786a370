import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS, pgBounds, requestBudgetMs } from '../../src/store/pg-bridge.js';
import { PostgresStore, type PostgresStoreOptions, WRITE_LOCK } from '../../src/store/postgres-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
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

describe('PostgresStore: a lock or statement that runs out of time is one refused call, not an outage', () => {
  const refusal = (call: () => unknown): StateDbError => {
    try {
      call();
    } catch (error) {
      if (error instanceof StateDbError) return error;
      throw error;
    }
    throw new Error('the call was not refused');
  };

  it('another host holding the write lock past the lock bound: the write is refused with one line; reads, health and later writes go on', async () => {
    const { url, store, told } = await open({ timeoutMs: 1_000 });
    const shown = url.replace(':test-secret', '');
    store.setValue('k', 'v0');
    const other = await holdLock(url, WRITE_LOCK);
    try {
      const refused = refusal(() => store.setValue('k', 'v1'));
      expect(refused.problem).toBe('busy');
      // Both bounds are 1 s and a lock wait counts against both: the server names whichever fired first.
      expect(refused.message).toMatch(new RegExp(`^The database was busy \\(canceling statement due to (lock|statement) timeout; DATABASE_URL ${shown.replace(/[.]/g, '\\.')}\\): try again in a moment\\.$`));
      // A transaction (compare-and-set, a claim) takes the lock at BEGIN: refused the same way.
      expect(refusal(() => store.compareAndSetValue('k', 'v0', 'v1')).message).toBe(refused.message);
      // Nothing is down: reads answer, the health check passes, no instructor is told of an outage.
      expect(store.getValue('k')).toBe('v0');
      expect(() => store.assertWritable()).not.toThrow();
      expect(told).toEqual([]);
    } finally {
      await other.release();
    }
    store.setValue('k', 'v1');
    expect(store.getValue('k')).toBe('v1');
    expect(told).toEqual([]);
  });

  it('a statement that runs past the statement bound: refused with one line; the next call goes to the server at once', async () => {
    const { url, store, told } = await open({ timeoutMs: 1_000 });
    const shown = url.replace(':test-secret', '');
    await slowInsert(url, 'slow', 3);
    const refused = refusal(() => store.setValue('slow', 'v'));
    expect(refused.problem).toBe('busy');
    expect(refused.message).toBe(`The database was busy (canceling statement due to statement timeout; DATABASE_URL ${shown}): try again in a moment.`);
    expect(refused.message).not.toContain('test-secret');
    store.setValue('fast', 'v');
    expect(store.getValue('fast')).toBe('v');
    expect(store.getValue('slow')).toBeUndefined();
    expect(told).toEqual([]);
  });
});
