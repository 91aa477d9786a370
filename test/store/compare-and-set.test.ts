import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { type TestPostgres, startPostgres } from '../support/postgres.js';
import { race } from './racers.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-cas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = 1_000;

/**
 * Two processes race `compareAndSetValue` over the same keys on one store (`className` from `module`, opened with
 * `where`); each key must go to exactly one, and hold that one's value.
 */
async function raceForKeys(module: string, className: 'SqliteStore' | 'PostgresStore', where: string, reopen: () => SqliteStore | PostgresStore): Promise<void> {
  const script = `
    const { ${className} } = await import(${JSON.stringify(module)});
    const store = new ${className}(${JSON.stringify(where)});
    const me = process.argv[1];
    ready();
    await start;
    const won = [];
    for (let i = 0; i < ${KEYS}; i += 1) {
      if (store.compareAndSetValue('key-' + i, undefined, me)) won.push(i);
    }
    store.close();
    process.stdout.write(JSON.stringify(won));
  `;
  const [a, b] = await race<number[]>(script, ['a', 'b']);
  expect(a!.length + b!.length).toBe(KEYS);
  expect(new Set([...a!, ...b!]).size).toBe(KEYS);
  const store = reopen();
  try {
    for (const i of a!) expect(store.getValue(`key-${i}`)).toBe('a');
    for (const i of b!) expect(store.getValue(`key-${i}`)).toBe('b');
  } finally {
    store.close();
  }
}

// The exactly-once schedule-change notice rests on this: of instances that read the same revision, one
// writes the next. Without a transaction both would win a key; with one that takes the write lock only at
// its write (DEFERRED), the loser's write fails with SQLITE_BUSY and its process exits with an error.
describe('compareAndSetValue across processes', () => {
  it('gives each key to exactly one of two processes racing for it, and stores that one’s value', { timeout: 60_000 }, async () => {
    const path = join(dir, 'race.db');
    new SqliteStore(path).close();
    await raceForKeys('./src/store/sqlite-store.ts', 'SqliteStore', path, () => new SqliteStore(path));
  });
});

describe('compareAndSetValue across processes on one PostgreSQL server', () => {
  let postgres: TestPostgres | undefined;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('gives each key to exactly one of two processes racing for it, and stores that one’s value', { timeout: 120_000 }, async () => {
    const url = await postgres!.database();
    new PostgresStore(url).close();
    await raceForKeys('./src/store/postgres-store.ts', 'PostgresStore', url, () => new PostgresStore(url));
  });
});
