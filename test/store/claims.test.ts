import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/core/ports.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { ROOT } from '../support/child.js';
import { type TestPostgres, startPostgres } from '../support/postgres.js';
import { race } from './racers.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-claims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One real PostgreSQL server for this file, with a fresh database per test.
let postgres: TestPostgres | undefined;
let pgUrl = '';
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

let files = 0;
const stores: [string, () => StateStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore(join(dir, `contract-${(files += 1)}.db`))],
  // A fresh database for each test (made before it: see beforeEach below).
  ['PostgresStore', () => new PostgresStore(pgUrl)],
];

describe.each(stores)('announcement claims: %s', (name, open) => {
  const lease = { leaseMs: 1_000 };
  beforeEach(async () => {
    if (name === 'PostgresStore') pgUrl = await postgres!.database();
  });

  it('gives a key to the first claimant only, while its lease lasts', () => {
    const store = open();
    expect(store.claim('k', { owner: 'a', now: 0, ...lease }).kind).toBe('claimed');
    expect(store.claim('k', { owner: 'b', now: 500, ...lease }).kind).toBe('busy');
    expect(store.getClaim('k')).toMatchObject({ status: 'pending', owner: 'a', leaseUntil: 1_000, attempts: 1 });
    store.close();
  });

  it('lets another instance take over a pending claim whose lease ran out, telling it the previous claim', () => {
    const store = open();
    store.claim('k', { owner: 'a', now: 0, ...lease });
    const takeover = store.claim('k', { owner: 'b', now: 1_000, ...lease });
    expect(takeover.kind).toBe('taken-over');
    expect(takeover.record).toMatchObject({ owner: 'b', attempts: 2, leaseUntil: 2_000 });
    // While its lease lasts, the claim is busy for everyone, its owner included: one delivery at a time.
    expect(store.claim('k', { owner: 'b', now: 1_100, ...lease }).kind).toBe('busy');
    expect(takeover.kind === 'taken-over' && takeover.previous).toMatchObject({ owner: 'a', attempts: 1 });
    expect(store.completeClaim('k', 'a', { status: 'sent', messageId: 'm' }, 1_200)).toBe(false);
    store.close();
  });

  it('renews only the owner’s lease', () => {
    const store = open();
    store.claim('k', { owner: 'a', now: 0, ...lease });
    expect(store.renewClaim('k', 'b', 5_000)).toBe(false);
    expect(store.renewClaim('k', 'a', 5_000)).toBe(true);
    expect(store.claim('k', { owner: 'b', now: 4_000, ...lease }).kind).toBe('busy');
    store.close();
  });

  it('records sent and failed posts; done is done, unless a failed one is retried on purpose', () => {
    const store = open();
    store.claim('sent', { owner: 'a', now: 0, ...lease });
    expect(store.completeClaim('sent', 'a', { status: 'sent', messageId: '123' }, 10)).toBe(true);
    expect(store.getClaim('sent')).toMatchObject({ status: 'sent', messageId: '123', updatedAt: 10 });
    expect(store.claim('sent', { owner: 'b', now: 99_999, ...lease, retryFailed: true }).kind).toBe('done');
    store.claim('failed', { owner: 'a', now: 0, ...lease });
    store.completeClaim('failed', 'a', { status: 'failed', error: '403 Missing Access' }, 20);
    expect(store.getClaim('failed')).toMatchObject({ status: 'failed', error: '403 Missing Access' });
    expect(store.claim('failed', { owner: 'b', now: 30, ...lease }).kind).toBe('done');
    expect(store.claim('failed', { owner: 'b', now: 30, ...lease, retryFailed: true })).toMatchObject({
      kind: 'claimed',
      record: { status: 'pending', attempts: 2 },
    });
    expect(store.completeClaim('failed', 'a', { status: 'sent', messageId: 'x' }, 40)).toBe(false);
    expect(store.listClaims().map((record) => record.key)).toEqual(['failed', 'sent']);
    expect(store.listClaims('s').map((record) => record.key)).toEqual(['sent']);
    store.close();
  });
});

describe('announcement claims across processes', () => {
  it('survive a reopen', () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteStore(path);
    first.claim('k', { owner: 'a', now: 0, leaseMs: 1_000 });
    first.close();
    const second = new SqliteStore(path);
    expect(second.getClaim('k')).toMatchObject({ owner: 'a', status: 'pending' });
    second.close();
  });

  it('give each key to exactly one of two processes racing for it', async () => {
    const path = join(dir, 'race.db');
    new SqliteStore(path).close();
    const script = `
      import { SqliteStore } from './src/store/sqlite-store.ts';
      const store = new SqliteStore(${JSON.stringify(path)});
      const won = [];
      for (let i = 0; i < 300; i += 1) {
        if (store.claim('key-' + i, { owner: process.argv[1], now: Date.now(), leaseMs: 60_000 }).kind === 'claimed') won.push(i);
      }
      store.close();
      process.stdout.write(JSON.stringify(won));
    `;
    const race = (owner: string) =>
      new Promise<number[]>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, owner], { cwd: ROOT });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', fail);
        child.on('close', (code) => (code === 0 ? done(JSON.parse(out) as number[]) : fail(new Error(`exit ${code}`))));
      });
    const [a, b] = await Promise.all([race('a'), race('b')]);
    expect(a.length + b.length).toBe(300);
    expect(new Set([...a, ...b]).size).toBe(300);
  });
});

describe('announcement claims on one PostgreSQL server, across processes', () => {
  it('give each key to exactly one of two processes racing for it', async () => {
    const url = await postgres!.database();
    new PostgresStore(url).close();
    const script = `
      const { PostgresStore } = await import('./src/store/postgres-store.ts');
      const store = new PostgresStore(${JSON.stringify(url)});
      ready();
      await start;
      const won = [];
      for (let i = 0; i < 300; i += 1) {
        if (store.claim('key-' + i, { owner: process.argv[1], now: Date.now(), leaseMs: 60_000 }).kind === 'claimed') won.push(i);
      }
      store.close();
      process.stdout.write(JSON.stringify(won));
    `;
    const [a, b] = await race<number[]>(script, ['a', 'b']);
    expect(a!.length + b!.length).toBe(300);
    expect(new Set([...a!, ...b!]).size).toBe(300);
    const store = new PostgresStore(url);
    try {
      for (const i of a!) expect(store.getClaim(`key-${i}`)).toMatchObject({ owner: 'a', status: 'pending', attempts: 1 });
      for (const i of b!) expect(store.getClaim(`key-${i}`)).toMatchObject({ owner: 'b', status: 'pending', attempts: 1 });
    } finally {
      store.close();
    }
  });
});

describe('opening a database another process has locked', () => {
  it('waits for the lock instead of failing', async () => {
    const path = join(dir, 'locked.db');
    // Another process (here: this one) holds an exclusive lock while the bot opens the file.
    const holder = new Database(path);
    // A new, empty database (no tables: another program's tables would be refused).
    holder.exec('BEGIN EXCLUSIVE; PRAGMA user_version = 0;');
    const script = `
      import { SqliteStore } from './src/store/sqlite-store.ts';
      const store = new SqliteStore(${JSON.stringify(path)});
      store.setValue('opened', 'yes');
      store.close();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('close', done));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    holder.exec('COMMIT');
    holder.close();
    expect(await exited).toBe(0);
    const store = new SqliteStore(path);
    expect(store.getValue('opened')).toBe('yes');
    store.close();
  });
});
