import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS, pgBounds, requestBudgetMs } from '../../src/store/pg-bridge.js';
import { PostgresStore, type PostgresStoreOptions, WRITE_LOCK, retryDelayMs } from '../../src/store/postgres-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { holdLock, startProxy, useTestPostgres } from '../support/postgres.js';

/**
 * The PostgreSQL store's bounds: how long a call may wait (the worker's own bounds, summed), and what a lock or
 * statement that runs out of time means (one refused call, not an outage).
 */
const server = useTestPostgres({ beforeAll, afterAll });

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

/** The `StateDbError` a call throws (it must throw one). */
const refusal = (call: () => unknown): StateDbError => {
  try {
    call();
  } catch (error) {
    if (error instanceof StateDbError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
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

describe('PostgresStore: while the server cannot be reached', () => {
  it('the backoff doubles from 1 s to a cap of 60 s, spread by the jitter', () => {
    const even = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((failures) => retryDelayMs(failures, {}, even))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect(retryDelayMs(3, {}, () => 0)).toBe(3_200);
    expect(retryDelayMs(3, {}, () => 0.999_999)).toBe(4_800);
    expect(retryDelayMs(2, { firstMs: 100, maxMs: 150, jitter: 0 }, Math.random)).toBe(150);
  });

  it('calls fail at once; connection attempts are probes in the worker after 1, 2, 4 … 60 s; the lines are told once each', async () => {
    const url = await server().database();
    const proxy = await startProxy(server().port);
    try {
      let clock = 1_000_000;
      const start = clock;
      const probes: number[] = [];
      const told: string[] = [];
      const store = new PostgresStore(url.replace(`:${server().port}/`, `:${proxy.port}/`), {
        timeoutMs: 2_000,
        now: () => clock,
        random: () => 0.5,
        onProbe: (at) => probes.push(at - start),
        onTrouble: (error) => told.push(error.message),
        onRecovered: (line) => told.push(line),
      });
      opened.push(store);
      store.setValue('k', 'v');
      // The proxy accepts connections and closes them at once, counting them: every connection attempt is seen.
      await proxy.refuse();
      const found = refusal(() => store.getValue('k'));
      expect(found.message).toMatch(/^DATABASE_URL postgres:\/\/course_bot_test@127\.0\.0\.1:\d+\/\w+: database unreachable \(.+\)/);
      const before = await proxy.refused();
      /** Until the probe in flight (if any) has answered (real time: the worker connects while this waits). */
      const answered = async () => {
        for (let tries = 0; store.outage()?.probing === true; tries += 1) {
          if (tries > 600) throw new Error('the probe did not answer within 30 s');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      // 200 s of calls, two a second: each fails with the same line without trying to connect.
      for (let at = 0; at <= 200_000; at += 500) {
        clock = start + at;
        expect(refusal(() => store.setValue('k', `w${at}`)).message).toBe(found.message);
        await answered();
      }
      expect(probes).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000]);
      expect((await proxy.refused()) - before).toBe(probes.length);
      expect(store.outage()).toEqual({ failures: 9, nextAt: start + 243_000, probing: false, through: false });
      expect(told).toEqual([found.message]);
      // The server is back: the next probe is due at 243 s; the call that sends it still fails at once.
      await proxy.up();
      clock = start + 242_999;
      expect(refusal(() => store.getValue('k')).message).toBe(found.message);
      expect(probes).toHaveLength(8);
      clock = start + 243_000;
      expect(refusal(() => store.getValue('k')).message).toBe(found.message);
      await answered();
      expect(probes.at(-1)).toBe(243_000);
      expect(store.outage()?.through).toBe(true);
      expect(store.getValue('k')).toBe('v');
      expect(store.outage()).toBeUndefined();
      expect(told).toEqual([found.message, expect.stringMatching(/^DATABASE_URL postgres:\/\/course_bot_test@127\.0\.0\.1:\d+\/\w+ answers again: /)]);
      // Down again: a new incident, told again, and the backoff starts over at 1 s.
      await proxy.refuse();
      clock = start + 300_000;
      expect(refusal(() => store.getValue('k')).message).toMatch(/database unreachable/);
      expect(store.outage()).toMatchObject({ failures: 1, nextAt: start + 301_000 });
      expect(told).toHaveLength(3);
    } finally {
      await proxy.stop();
    }
  });
});
