import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Actor } from '../../src/core/ports.js';
import { migrateToPostgres } from '../../src/store/migrate.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { type TestPostgres, startPostgres } from '../support/postgres.js';

const ALICE: Actor = { platform: 'discord', id: '42', name: 'alice' };
const dir = mkdtempSync(join(tmpdir(), 'course-bot-migrate-'));
let postgres: TestPostgres | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command line in `dir` with `env`, and what it printed. */
async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(argv, { stdout, stderr, env, cwd: dir });
  return { code, out, err };
}

let files = 0;
/** A SQLite state database holding some of everything the store keeps. */
function seeded(): string {
  const path = join(dir, `state-${(files += 1)}.db`);
  const store = new SqliteStore(path);
  store.setValue('commands:hash', 'abc');
  store.setValue('published:demo', '{"revision":3}');
  store.setValue('reminder:sub:discord:42', '{"kind":"evening","closedDays":[]}');
  store.setValue('reminder:sub:slack:U7', '{"stopped":"left","closedDays":["2027-01-05"]}');
  store.setValue('topic:日本', '🚀');
  store.claim('announce:sent', { owner: 'a', now: 1, leaseMs: 10 });
  store.completeClaim('announce:sent', 'a', { status: 'sent', messageId: 'm1' }, 2);
  store.claim('announce:failed', { owner: 'b', now: 1, leaseMs: 10 });
  store.completeClaim('announce:failed', 'b', { status: 'failed', error: '403 Missing Access' }, 3);
  store.claim('announce:pending', { owner: 'c', now: 5, leaseMs: 60_000 });
  store.addChange('demo', { kind: 'cancel', date: '2027-01-06', reason: 'ill' }, ALICE, 1_000);
  store.addChange('other', { kind: 'move', from: '2027-01-06', to: '2027-01-07' }, ALICE, 2_000);
  store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] }, ALICE, 3_000);
  store.undoChange('demo', { platform: 'slack', id: 'U7' }, 4_000);
  store.close();
  return path;
}

function snapshot(store: SqliteStore | PostgresStore) {
  return {
    values: Object.fromEntries(store.listKeys().map((key) => [key, store.getValue(key)])),
    claims: store.listClaims(),
    demo: store.listChanges('demo'),
    other: store.listChanges('other'),
    version: store.changesVersion('demo'),
  };
}

describe('migrateToPostgres', () => {
  it('copies every value, claim and change (ids and undone marks kept) and returns the verified counts; new ids follow', async () => {
    const from = seeded();
    const url = await postgres!.database();
    const counts = await migrateToPostgres({ from, to: url, shown: 'pg' });
    expect(counts).toEqual({ values: 5, subscriptions: 2, claims: 3, changes: 3, undone: 1 });
    const source = new SqliteStore(from);
    const target = new PostgresStore(url);
    try {
      expect(snapshot(target)).toStrictEqual(snapshot(source));
      expect(target.listChanges('demo').map((record) => record.id)).toEqual([1, 3]);
      expect(target.addChange('demo', { kind: 'cancel', date: '2027-01-13' }, ALICE, 5_000).id).toBe(4);
      expect(target.undoChange('demo', ALICE, 6_000)?.id).toBe(4);
      expect(target.undoChange('demo', ALICE, 6_000)?.id).toBe(1);
    } finally {
      source.close();
      target.close();
    }
  });

  it('refuses a target that holds anything, changing nothing; --replace replaces it', async () => {
    const from = seeded();
    const url = await postgres!.database();
    const target = new PostgresStore(url);
    target.setValue('already', 'here');
    target.close();
    const refused = await migrateToPostgres({ from, to: url, shown: 'postgres://bot@db/course' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StateDbError);
    expect((refused as Error).message).toBe(
      'DATABASE_URL postgres://bot@db/course holds state already (1 values, 0 claims, 0 changes): migrate copies into an empty database; add --replace to replace what it holds.',
    );
    const untouched = new PostgresStore(url);
    expect(untouched.listKeys()).toEqual(['already']);
    untouched.close();
    expect(await migrateToPostgres({ from, to: url, shown: 'pg', replace: true })).toMatchObject({ values: 5, changes: 3 });
    const replaced = new PostgresStore(url);
    expect(replaced.getValue('already')).toBeUndefined();
    expect(replaced.getValue('topic:日本')).toBe('🚀');
    replaced.close();
  });

  it('course-bot migrate prints the counts; without DATABASE_URL, or from a missing file, it says what to do in one line', async () => {
    const from = seeded();
    const url = await postgres!.database();
    const shown = url.replace(':test-secret', '');
    const done = await cli(['migrate'], { STATE_DB: from, DATABASE_URL: url });
    expect(done).toEqual({
      code: 0,
      out:
        `Copied STATE_DB ${from} into DATABASE_URL ${shown}; the target holds the same counts:\n` +
        '  values   5 (2 reminder subscriptions)\n  claims   3\n  changes  3 (1 undone)\n',
      err: '',
    });
    const again = await cli(['migrate'], { STATE_DB: from, DATABASE_URL: url });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^DATABASE_URL \S+ holds state already \(5 values, 3 claims, 3 changes\): .* add --replace .*\n$/);
    expect(again.err).not.toContain('test-secret');
    expect((await cli(['migrate', '--replace'], { STATE_DB: from, DATABASE_URL: url })).code).toBe(0);
    const unset = await cli(['migrate'], { STATE_DB: from });
    expect(unset).toMatchObject({ code: 1, err: 'DATABASE_URL is not set: migrate copies STATE_DB into the PostgreSQL database it names (see .env.example)\n' });
    const missing = await cli(['migrate', '--from', 'nothing.db'], { DATABASE_URL: url });
    expect(missing).toMatchObject({
      code: 1,
      err: `STATE_DB ${join(dir, 'nothing.db')} does not exist: there is nothing to migrate (set STATE_DB to the bot's database file).\n`,
    });
  });
});

describe('the read-only commands read the bot’s PostgreSQL store when DATABASE_URL is set', () => {
  it('ask shows a day cancelled in chat (stored in PostgreSQL); --state-db still names a SQLite file', async () => {
    const url = await postgres!.database();
    const store = new PostgresStore(url);
    try {
      store.addChange('mlops', { kind: 'cancel', date: '2027-01-05', reason: 'Snow day' }, ALICE, 1);
    } finally {
      store.close();
    }
    const fromPostgres = await cli(['ask', '/today', '--at', '2027-01-05 10:00'], { DATABASE_URL: url, STATE_DB: join(dir, 'unused.db') });
    expect(fromPostgres).toMatchObject({ code: 0, err: '' });
    expect(fromPostgres.out).toContain('Cancelled: Code organisation: why it matters');
    expect(fromPostgres.out).toContain('Snow day');
    const fromFile = await cli(['ask', '/today', '--at', '2027-01-05 10:00', '--state-db', join(dir, 'none.db')], { DATABASE_URL: url });
    expect(fromFile.out).not.toContain('Snow day');
  });
});
