import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduleChange } from '../../src/core/course/changes.js';
import type { Actor, StateStore } from '../../src/core/ports.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { PG_MIGRATIONS, PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { freePort, startProxy, useTestPostgres } from '../support/postgres.js';

const scratch: string[] = [];
const ALICE: Actor = { platform: 'discord', id: '42', name: 'alice' };
const BOB: Actor = { platform: 'slack', id: 'U7' };

/** A fresh directory under the OS temp dir, removed after all tests of this file. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-store-'));
  scratch.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/**
 * The `StateStore` contract: every implementation must pass all of it.
 * `factory` returns a new, empty store each call; the suite closes what it opened.
 */
function describeStoreContract(name: string, factory: () => StateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    const opened: StateStore[] = [];
    const open = (): StateStore => {
      const store = factory();
      opened.push(store);
      return store;
    };

    afterEach(() => {
      for (const store of opened.splice(0)) store.close();
    });

    it('returns undefined for a key that was never set', () => {
      const store = open();
      expect(store.getValue('missing')).toBeUndefined();
      store.setValue('present', 'x');
      expect(store.getValue('missing')).toBeUndefined();
      expect(store.getValue('presen')).toBeUndefined();
    });

    it('returns what was set', () => {
      const store = open();
      store.setValue('announce:2027-01-04', '{"messageId":"42"}');
      store.setValue('commands:hash', 'abc123');
      expect(store.getValue('announce:2027-01-04')).toBe('{"messageId":"42"}');
      expect(store.getValue('commands:hash')).toBe('abc123');
    });

    it('keeps the empty string as a value, distinct from missing', () => {
      const store = open();
      store.setValue('empty', '');
      expect(store.getValue('empty')).toBe('');
      expect(store.listKeys()).toEqual(['empty']);
    });

    it('overwrites an existing key without duplicating it', () => {
      const store = open();
      store.setValue('k', 'first');
      store.setValue('k', 'second');
      expect(store.getValue('k')).toBe('second');
      expect(store.listKeys()).toEqual(['k']);
    });

    it('deleteValue returns true for an existing key, then false, and the key is gone', () => {
      const store = open();
      store.setValue('k', 'v');
      store.setValue('other', 'w');
      expect(store.deleteValue('k')).toBe(true);
      expect(store.getValue('k')).toBeUndefined();
      expect(store.deleteValue('k')).toBe(false);
      expect(store.deleteValue('never-set')).toBe(false);
      expect(store.getValue('other')).toBe('w');
      expect(store.listKeys()).toEqual(['other']);
    });

    it('deleteValuesAtMost removes the expired whole-number values under a prefix, and nothing else', () => {
      const store = open();
      store.setValue('seen:a', '100');
      store.setValue('seen:b', '200');
      store.setValue('seen:c', '201');
      store.setValue('seen:d', 'not a time');
      store.setValue('seen:e', '');
      store.setValue('seen:f', '1e2');
      store.setValue('seen', '5');
      store.setValue('other:a', '1');
      expect(store.deleteValuesAtMost('seen:', 200)).toBe(2);
      expect(store.listKeys()).toEqual(['other:a', 'seen', 'seen:c', 'seen:d', 'seen:e', 'seen:f']);
      expect(store.deleteValuesAtMost('seen:', 200)).toBe(0);
      expect(store.deleteValuesAtMost('seen:', 1_000_000_000_000_000)).toBe(1);
    });

    it('a deleted key can be set again', () => {
      const store = open();
      store.setValue('k', 'v1');
      store.deleteValue('k');
      store.setValue('k', 'v2');
      expect(store.getValue('k')).toBe('v2');
    });

    it('listKeys without a prefix returns every key, sorted', () => {
      const store = open();
      expect(store.listKeys()).toEqual([]);
      for (const key of ['b:2', 'a:1', 'c', 'a:10', 'B', 'a']) store.setValue(key, 'v');
      expect(store.listKeys()).toEqual(['B', 'a', 'a:1', 'a:10', 'b:2', 'c']);
    });

    it('listKeys with a prefix returns only the keys that start with it, sorted', () => {
      const store = open();
      for (const key of ['claim:2027-01-05', 'claim:2027-01-04', 'claims', 'change:1', 'xclaim:1']) store.setValue(key, 'v');
      expect(store.listKeys('claim:')).toEqual(['claim:2027-01-04', 'claim:2027-01-05']);
      expect(store.listKeys('claim')).toEqual(['claim:2027-01-04', 'claim:2027-01-05', 'claims']);
      expect(store.listKeys('nothing')).toEqual([]);
      expect(store.listKeys('')).toEqual(store.listKeys());
    });

    it('a key equal to the prefix is included', () => {
      const store = open();
      store.setValue('abc', 'v');
      store.setValue('ab', 'v');
      expect(store.listKeys('abc')).toEqual(['abc']);
    });

    it('listKeys matches the prefix literally: SQL LIKE and GLOB metacharacters are not wildcards', () => {
      const store = open();
      for (const key of ['a_%x', 'a_%', 'abc', 'a_b', 'a%b', 'aXYZ', 'A_%x', 'a*b', 'a[b]', 'a\\b']) store.setValue(key, 'v');
      expect(store.listKeys('a_%')).toEqual(['a_%', 'a_%x']);
      expect(store.listKeys('a_')).toEqual(['a_%', 'a_%x', 'a_b']);
      expect(store.listKeys('a%')).toEqual(['a%b']);
      expect(store.listKeys('a*')).toEqual(['a*b']);
      expect(store.listKeys('a[')).toEqual(['a[b]']);
      expect(store.listKeys('a\\')).toEqual(['a\\b']);
    });

    it('listKeys prefix matching is case-sensitive', () => {
      const store = open();
      store.setValue('Claim:1', 'v');
      store.setValue('claim:2', 'v');
      expect(store.listKeys('claim')).toEqual(['claim:2']);
      expect(store.listKeys('CLAIM')).toEqual([]);
    });

    it('listKeys and listClaims find exactly the keys that start with a prefix, at the edges of Unicode too', () => {
      const store = open();
      const keys = ['a', 'a:', 'a:\u007f', 'a:\u0080', 'a:\ud7ff', 'a:\ue000', 'a:\uffff', 'a:\u{10000}', 'a:\u{10FFFF}', 'a:\u{10FFFF}x', 'a;', 'b', '\u{10FFFF}', '\u{10FFFF}\u{10FFFF}', 'é', 'é:1', 'ê'];
      for (const key of keys) {
        store.setValue(key, 'v');
        store.claim(key, { owner: 'me', now: 0, leaseMs: 1_000 });
      }
      const prefixes = ['', 'a', 'a:', 'a:\ud7ff', 'a:\u{10FFFF}', '\u{10FFFF}', '\u{10FFFF}\u{10FFFF}', 'é', 'b', 'z'];
      for (const prefix of prefixes) {
        const expected = keys.filter((key) => key.startsWith(prefix)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(store.listKeys(prefix), JSON.stringify(prefix)).toEqual(expected);
        expect(store.listClaims(prefix).map((record) => record.key), JSON.stringify(prefix)).toEqual(expected);
      }
    });

    it('stores and returns unicode keys and values unchanged', () => {
      const store = open();
      const values = {
        'topic:é': 'Ünïcödé — “quotes” ✓',
        'topic:日本': '日本語のトピック',
        'topic:emoji': '🚀👩‍💻 flags 🇩🇰',
        'topic:combining': 'e\u0301 vs \u00e9',
        'topic:rtl': 'مرحبا',
        'topic:control': 'line1\nline2\ttab\r\n',
      };
      for (const [key, value] of Object.entries(values)) store.setValue(key, value);
      for (const [key, value] of Object.entries(values)) expect(store.getValue(key)).toBe(value);
      expect(store.listKeys('topic:日')).toEqual(['topic:日本']);
      expect(store.listKeys('topic:e')).toEqual(['topic:emoji']);
    });

    it('stores a large value intact', () => {
      const store = open();
      const big = 'x'.repeat(1_000_000) + 'é';
      store.setValue('big', big);
      expect(store.getValue('big')).toBe(big);
    });

    // One order for every store: Unicode code point order, which is SQLite's BINARY order on UTF-8 text.
    // JavaScript's default sort compares UTF-16 code units, which puts U+1F600 (a surrogate pair, 0xD83D…)
    // before U+FF01; in code point order U+FF01 comes first.
    it('sorts keys by code point, the same in every store', () => {
      const store = open();
      for (const key of ['\u{1F600}', '\uFF01', 'z', '\u00e9']) store.setValue(key, 'v');
      expect(store.listKeys()).toEqual(['z', '\u00e9', '\uFF01', '\u{1F600}']);
    });

    it('assertWritable passes on an open store, and the store still works afterwards', () => {
      const store = open();
      store.setValue('k', 'v');
      expect(() => store.assertWritable()).not.toThrow();
      expect(store.getValue('k')).toBe('v');
      store.setValue('k2', 'v2');
      expect(store.listKeys()).toEqual(['k', 'k2']);
    });

    it('every method throws after close()', () => {
      const store = open();
      store.setValue('k', 'v');
      store.close();
      expect(() => store.getValue('k')).toThrow();
      expect(() => store.setValue('k', 'w')).toThrow();
      expect(() => store.deleteValue('k')).toThrow();
      expect(() => store.listKeys()).toThrow();
      expect(() => store.listKeys('k')).toThrow();
      expect(() => store.assertWritable()).toThrow();
    });

    it('close() twice does not throw', () => {
      const store = open();
      store.close();
      expect(() => store.close()).not.toThrow();
    });

    it('addChange returns the stored record, with ids that increase in the order changes are made', () => {
      const store = open();
      const first = store.addChange('demo', { kind: 'cancel', date: '2027-01-06', reason: 'ill' }, ALICE, 1_000);
      const second = store.addChange('other', { kind: 'move', from: '2027-01-06', to: '2027-01-07' }, BOB, 2_000);
      const third = store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] }, BOB, 3_000);
      expect(first).toStrictEqual({
        id: first.id,
        courseId: 'demo',
        at: 1_000,
        actor: ALICE,
        change: { kind: 'cancel', date: '2027-01-06', reason: 'ill' },
      });
      expect(second.id).toBeGreaterThan(first.id);
      expect(third.id).toBeGreaterThan(second.id);
      expect(third).toMatchObject({ courseId: 'demo', at: 3_000, actor: BOB });
    });

    it('listChanges gives one course’s changes, oldest first, as they were stored', () => {
      const store = open();
      expect(store.listChanges('demo')).toEqual([]);
      const edit = store.addChange('demo', { kind: 'edit', date: '2027-01-06', frameworks: [], note: null }, ALICE, 1_000);
      store.addChange('other', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_500);
      const add = store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, BOB, 2_000);
      expect(store.listChanges('demo')).toStrictEqual([edit, add]);
      // null and [] clear a field: they must come back as they went in.
      expect(store.listChanges('demo')[0]!.change).toStrictEqual({ kind: 'edit', date: '2027-01-06', frameworks: [], note: null });
      expect(store.listChanges('other').map((record) => record.change)).toEqual([{ kind: 'cancel', date: '2027-01-06' }]);
      expect(store.listChanges('nobody')).toEqual([]);
    });

    it('a stored change does not change when the caller mutates the object it passed', () => {
      const store = open();
      const change = { kind: 'add' as const, date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] };
      store.addChange('demo', change, ALICE, 1_000);
      change.frameworks.push('GCP');
      change.topic = 'Changed';
      expect(store.listChanges('demo')[0]!.change).toEqual({ kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] });
    });

    it('undoChange marks the newest change not yet undone, one at a time, then returns undefined', () => {
      const store = open();
      const first = store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      const second = store.addChange('demo', { kind: 'edit', date: '2027-01-04', topic: 'Welcome' }, ALICE, 2_000);
      const other = store.addChange('other', { kind: 'cancel', date: '2027-01-08' }, ALICE, 2_500);
      expect(store.undoChange('demo', BOB, 3_000)).toStrictEqual({ ...second, undoneAt: 3_000, undoneBy: BOB });
      expect(store.undoChange('demo', ALICE, 4_000)).toStrictEqual({ ...first, undoneAt: 4_000, undoneBy: ALICE });
      expect(store.undoChange('demo', BOB, 5_000)).toBeUndefined();
      expect(store.listChanges('demo')).toStrictEqual([
        { ...first, undoneAt: 4_000, undoneBy: ALICE },
        { ...second, undoneAt: 3_000, undoneBy: BOB },
      ]);
      expect(store.listChanges('other')).toStrictEqual([other]);
      expect(store.undoChange('nobody', BOB, 6_000)).toBeUndefined();
    });

    it('undoChange after a new change undoes the new one, not an older one already undone', () => {
      const store = open();
      store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      store.undoChange('demo', ALICE, 2_000);
      const again = store.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 3_000);
      expect(store.undoChange('demo', BOB, 4_000)?.id).toBe(again.id);
      expect(store.listChanges('demo').map((record) => record.undoneAt)).toEqual([2_000, 4_000]);
    });

    it('changesVersion counts the changes, the newest id and the undone ones; it moves on every add and undo, and only then', () => {
      const store = open();
      const seen = [store.changesVersion('demo')];
      expect(seen[0]).toEqual({ count: 0, lastId: 0, undone: 0 });
      expect(store.changesVersion('demo')).toEqual(seen[0]);
      const first = store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      seen.push(store.changesVersion('demo'));
      expect(seen.at(-1)).toEqual({ count: 1, lastId: first.id, undone: 0 });
      const second = store.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 2_000);
      seen.push(store.changesVersion('demo'));
      store.undoChange('demo', ALICE, 3_000);
      seen.push(store.changesVersion('demo'));
      expect(seen.at(-1)).toEqual({ count: 2, lastId: second.id, undone: 1 });
      store.undoChange('demo', ALICE, 4_000);
      seen.push(store.changesVersion('demo'));
      const third = store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 5_000);
      seen.push(store.changesVersion('demo'));
      expect(seen.at(-1)).toEqual({ count: 3, lastId: third.id, undone: 2 });
      expect(new Set(seen.map((version) => JSON.stringify(version))).size).toBe(seen.length);
      store.undoChange('nobody', ALICE, 6_000);
      store.setValue('k', 'v');
      store.addChange('other', { kind: 'cancel', date: '2027-01-06' }, ALICE, 7_000);
      expect(store.changesVersion('demo')).toEqual(seen.at(-1));
    });

    it('listChanges after an id gives only the newer changes, undone ones included', () => {
      const store = open();
      const first = store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      store.addChange('other', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_500);
      const second = store.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 2_000);
      const third = store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, BOB, 3_000);
      const undone = store.undoChange('demo', BOB, 4_000);
      expect(store.listChanges('demo', first.id)).toStrictEqual([second, undone]);
      expect(store.listChanges('demo', second.id).map((record) => record.id)).toEqual([third.id]);
      expect(store.listChanges('demo', third.id)).toEqual([]);
      expect(store.listChanges('demo', 0)).toStrictEqual(store.listChanges('demo'));
    });

    it('schedule changes throw after close()', () => {
      const store = open();
      store.close();
      expect(() => store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1)).toThrow();
      expect(() => store.listChanges('demo')).toThrow();
      expect(() => store.undoChange('demo', ALICE, 1)).toThrow();
      expect(() => store.changesVersion('demo')).toThrow();
    });

    it('compareAndSetValue writes an absent key only when absent is expected', () => {
      const store = open();
      expect(store.compareAndSetValue('k', 'something', 'v1')).toBe(false);
      expect(store.getValue('k')).toBeUndefined();
      expect(store.listKeys()).toEqual([]);
      expect(store.compareAndSetValue('k', undefined, 'v1')).toBe(true);
      expect(store.getValue('k')).toBe('v1');
      // Present now: "expected absent" is stale.
      expect(store.compareAndSetValue('k', undefined, 'v2')).toBe(false);
      expect(store.getValue('k')).toBe('v1');
    });

    it('recordOnce writes a key only when it is absent, and says whether it did', () => {
      const store = open();
      expect(store.recordOnce('seen:1', '100')).toBe(true);
      expect(store.recordOnce('seen:1', '200')).toBe(false);
      expect(store.getValue('seen:1')).toBe('100');
      store.setValue('empty', '');
      expect(store.recordOnce('empty', 'v')).toBe(false);
      expect(store.getValue('empty')).toBe('');
      store.close();
      expect(() => store.recordOnce('seen:2', '1')).toThrow();
    });

    it('compareAndSetValue with a stale expected value writes nothing; with the current one it writes', () => {
      const store = open();
      store.setValue('published', '{"rev":1}');
      store.setValue('other', 'x');
      expect(store.compareAndSetValue('published', '{"rev":0}', '{"rev":2}')).toBe(false);
      expect(store.getValue('published')).toBe('{"rev":1}');
      expect(store.compareAndSetValue('published', '{"rev":1}', '{"rev":2}')).toBe(true);
      expect(store.getValue('published')).toBe('{"rev":2}');
      // The value it replaced is stale at once: a second writer that read it loses.
      expect(store.compareAndSetValue('published', '{"rev":1}', '{"rev":3}')).toBe(false);
      expect(store.getValue('published')).toBe('{"rev":2}');
      // The empty string is a value, not absence.
      store.setValue('empty', '');
      expect(store.compareAndSetValue('empty', undefined, 'v')).toBe(false);
      expect(store.compareAndSetValue('empty', '', 'v')).toBe(true);
      expect(store.getValue('empty')).toBe('v');
      expect(store.getValue('other')).toBe('x');
      store.close();
      expect(() => store.compareAndSetValue('other', 'x', 'y')).toThrow();
    });

    it('transaction returns what its work returns, and keeps what it wrote', () => {
      const store = open();
      const result = store.transaction(() => {
        store.setValue('k', 'v');
        store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
        return store.getValue('k');
      });
      expect(result).toBe('v');
      expect(store.getValue('k')).toBe('v');
      expect(store.listChanges('demo')).toHaveLength(1);
    });

    it('transaction rolls back every write of its work when the work throws, and passes the error on', () => {
      const store = open();
      store.setValue('kept', 'before');
      store.claim('claim', { owner: 'a', now: 0, leaseMs: 1_000 });
      const before = store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      const failure = new Error('refused halfway');
      expect(() =>
        store.transaction(() => {
          store.setValue('kept', 'during');
          store.setValue('new', 'during');
          store.deleteValue('kept');
          store.completeClaim('claim', 'a', { status: 'sent', messageId: 'm' }, 10);
          store.claim('claim-2', { owner: 'a', now: 0, leaseMs: 1_000 });
          store.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 2_000);
          store.undoChange('demo', BOB, 3_000);
          throw failure;
        }),
      ).toThrow(failure);
      expect(store.getValue('kept')).toBe('before');
      expect(store.getValue('new')).toBeUndefined();
      expect(store.listKeys()).toEqual(['kept']);
      expect(store.getClaim('claim')).toMatchObject({ status: 'pending', owner: 'a' });
      expect(store.getClaim('claim-2')).toBeUndefined();
      expect(store.listChanges('demo')).toStrictEqual([before]);
      expect(store.changesVersion('demo')).toEqual({ count: 1, lastId: before.id, undone: 0 });
      // And the store goes on working.
      store.setValue('after', 'x');
      expect(store.getValue('after')).toBe('x');
    });

    it('a transaction inside a transaction rolls back only its own writes when it throws', () => {
      const store = open();
      store.transaction(() => {
        store.setValue('outer', '1');
        expect(() =>
          store.transaction(() => {
            store.setValue('inner', '1');
            throw new Error('inner refused');
          }),
        ).toThrow('inner refused');
        expect(store.getValue('inner')).toBeUndefined();
        store.setValue('outer-after', '1');
      });
      expect(store.listKeys()).toEqual(['outer', 'outer-after']);
    });
  });
}

describeStoreContract('MemoryStore', () => new MemoryStore());

describe('SqliteStore on a temp file', () => {
  let dir = '';
  let counter = 0;
  beforeAll(() => {
    dir = tempDir();
  });
  describeStoreContract('SqliteStore (file)', () => new SqliteStore(join(dir, `contract-${++counter}.db`)));

  it("changesVersion sees another connection's change at once, and a change undone by a rollback", () => {
    const path = join(dir, `two-connections-${++counter}.db`);
    const here = new SqliteStore(path);
    const there = new SqliteStore(path);
    try {
      const before = here.changesVersion('demo');
      expect(here.changesVersion('demo')).toEqual(before);
      const added = there.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
      expect(here.changesVersion('demo')).toEqual({ count: 1, lastId: added.id, undone: 0 });
      there.undoChange('demo', BOB, 2_000);
      expect(here.changesVersion('demo')).toEqual({ count: 1, lastId: added.id, undone: 1 });
      // A change of this connection's own, rolled back: the version read inside it is not kept.
      expect(() =>
        here.transaction(() => {
          here.addChange('demo', { kind: 'cancel', date: '2027-01-07' }, ALICE, 3_000);
          expect(here.changesVersion('demo').count).toBe(2);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(here.changesVersion('demo')).toEqual({ count: 1, lastId: added.id, undone: 1 });
      expect(there.changesVersion('demo')).toEqual({ count: 1, lastId: added.id, undone: 1 });
    } finally {
      here.close();
      there.close();
    }
  });
});

describeStoreContract('SqliteStore (:memory:)', () => new SqliteStore(':memory:'));

// One real server for this file; each test gets a new, empty database.
const server = useTestPostgres({ beforeAll, afterAll });

describe('PostgresStore on a real server', () => {
  let url = '';
  beforeEach(async () => {
    url = await server().database();
  });
  describeStoreContract('PostgresStore', () => new PostgresStore(url));
});

describe('PostgresStore only', () => {
  const opened: PostgresStore[] = [];
  const open = (url: string, options?: ConstructorParameters<typeof PostgresStore>[1]): PostgresStore => {
    const store = new PostgresStore(url, options);
    opened.push(store);
    return store;
  };
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
  });

  it('records the schema version, keeps values across close and reopen, and migrates once', async () => {
    const url = await server().database();
    const first = open(url);
    expect(first.schemaVersion()).toBe(PG_MIGRATIONS.length);
    first.setValue('k', 'v');
    first.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
    first.close();
    const second = open(url);
    expect(second.schemaVersion()).toBe(PG_MIGRATIONS.length);
    expect(second.getValue('k')).toBe('v');
    expect(second.listChanges('demo')).toHaveLength(1);
  });

  it('refuses a database written by a newer schema with one line naming DATABASE_URL, and leaves it untouched', async () => {
    const url = await server().database();
    const store = open(url);
    store.setValue('k', 'v');
    // What a newer course-bot would have written.
    const client = (await import('pg')).default;
    const direct = new client.Client({ connectionString: url });
    await direct.connect();
    await direct.query('UPDATE course_bot_schema SET version = $1', [PG_MIGRATIONS.length + 1]);
    await direct.end();
    store.close();
    let error: unknown;
    try {
      new PostgresStore(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDbError);
    const shown = url.replace(':test-secret', '');
    expect((error as Error).message).toBe(
      `DATABASE_URL ${shown} was written by a newer course-bot (schema ${PG_MIGRATIONS.length + 1} > ${PG_MIGRATIONS.length}): ` +
        'run that version or a newer one, or point DATABASE_URL at another database.',
    );
    expect((error as Error).message).not.toContain('test-secret');
    const after = new client.Client({ connectionString: url });
    await after.connect();
    const version = await after.query('SELECT version FROM course_bot_schema');
    const kept = await after.query("SELECT value FROM kv WHERE key = 'k'");
    await after.end();
    expect(version.rows).toEqual([{ version: PG_MIGRATIONS.length + 1 }]);
    expect(kept.rows).toEqual([{ value: 'v' }]);
  });

  it('a transaction holds the write lock from its first read: another instance cannot write in between', async () => {
    const url = await server().database();
    const mine = open(url);
    // The other instance gives up after 300 ms instead of waiting for this transaction: refused, not down.
    const other = open(url, { timeoutMs: 300 });
    const BUSY = /^The database was busy \(canceling statement due to (lock|statement) timeout; DATABASE_URL .+\): try again in a moment\.$/;
    mine.setValue('k', 'v0');
    const seen = mine.transaction(() => {
      const value = mine.getValue('k');
      expect(other.getValue('k')).toBe('v0');
      expect(() => other.setValue('k', 'from other')).toThrow(BUSY);
      expect(() => other.compareAndSetValue('k', 'v0', 'from other')).toThrow(BUSY);
      expect(() => other.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, BOB, 1)).toThrow(BUSY);
      mine.setValue('k', `${value}+1`);
      return value;
    });
    expect(seen).toBe('v0');
    expect(other.getValue('k')).toBe('v0+1');
    expect(other.listChanges('demo')).toEqual([]);
    other.setValue('k', 'from other');
    expect(mine.getValue('k')).toBe('from other');
  });

  it('a server that cannot be reached at start: one line that says what to do, without the password', async () => {
    const port = await freePort();
    const url = `postgres://bot:hunter2@127.0.0.1:${port}/state`;
    let error: unknown;
    try {
      open(url, { timeoutMs: 500 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDbError);
    const message = (error as Error).message;
    // Nothing waits for it then (the process ends): the line says so, not "wait until it answers".
    expect(message).toMatch(
      new RegExp(`^DATABASE_URL postgres://bot@127\\.0\\.0\\.1:${port}/state: could not connect \\([^)]*ECONNREFUSED[^)]*\\)\\. Start PostgreSQL or fix DATABASE_URL, then try again\\.$`),
    );
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('\n');
  });

  it('after losing the server, calls fail fast with "database unreachable" and health says so; they work again once it answers', async () => {
    const url = await server().database();
    const proxy = await startProxy(server().port);
    try {
      const told: string[] = [];
      const store = open(url.replace(`:${server().port}/`, `:${proxy.port}/`), {
        timeoutMs: 1_000,
        retry: { firstMs: 1_000 },
        random: () => 0.5,
        onTrouble: (error) => told.push(error.message),
        onRecovered: (line) => told.push(line),
      });
      store.setValue('k', 'v');
      await proxy.down();
      let first: unknown;
      try {
        store.getValue('k');
      } catch (caught) {
        first = caught;
      }
      expect(first).toBeInstanceOf(StateDbError);
      expect((first as Error).message).toMatch(
        /^DATABASE_URL postgres:\/\/course_bot_test@127\.0\.0\.1:\d+\/\w+: database unreachable \(.+\): check that the PostgreSQL server runs/,
      );
      expect((first as Error).message).not.toContain('test-secret');
      // Failing fast: the same error, at once, for writes and health checks alike; told once.
      expect(() => store.setValue('k', 'w')).toThrow((first as Error).message);
      expect(() => store.assertWritable()).toThrow((first as Error).message);
      expect(told).toEqual([(first as Error).message]);
      await proxy.up();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // The backoff's first second is over: this call sends a probe and still fails at once; once the probe got
      // through, calls go to the server again.
      expect(() => store.getValue('k')).toThrow((first as Error).message);
      for (let tries = 0; store.outage()?.through !== true && tries < 300; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.getValue('k')).toBe('v');
      expect(store.outage()).toBeUndefined();
      expect(() => store.assertWritable()).not.toThrow();
      expect(told).toEqual([(first as Error).message, expect.stringMatching(/answers again/)]);
    } finally {
      await proxy.stop();
    }
  });
});

describe('SqliteStore only', () => {
  const opened: SqliteStore[] = [];
  const open = (path: string): SqliteStore => {
    const store = new SqliteStore(path);
    opened.push(store);
    return store;
  };
  let dir = '';

  beforeAll(() => {
    dir = tempDir();
  });

  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
  });

  it('creates the file and its missing parent directories', () => {
    const path = join(dir, 'missing', 'nested', 'deeper', 'state.db');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    const store = open(path);
    store.setValue('k', 'v');
    expect(existsSync(path)).toBe(true);
    expect(store.path).toBe(path);
  });

  it('uses WAL journal mode on a file', () => {
    const store = open(join(dir, 'wal.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('records a positive schema version in user_version', () => {
    const store = open(join(dir, 'version.db'));
    const version = store.db.pragma('user_version', { simple: true });
    expect(typeof version).toBe('number');
    expect(version).toBeGreaterThan(0);
  });

  it('keeps values across close and reopen', () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteStore(path);
    first.setValue('claim:2027-01-04', 'posted');
    first.setValue('gone', 'x');
    first.deleteValue('gone');
    first.setValue('unicode', 'Ünïcödé 🚀');
    first.close();

    const second = open(path);
    expect(second.getValue('claim:2027-01-04')).toBe('posted');
    expect(second.getValue('unicode')).toBe('Ünïcödé 🚀');
    expect(second.getValue('gone')).toBeUndefined();
    expect(second.listKeys()).toEqual(['claim:2027-01-04', 'unicode']);
  });

  it(':memory: stores do not share state', () => {
    const a = open(':memory:');
    const b = open(':memory:');
    a.setValue('k', 'v');
    expect(b.getValue('k')).toBeUndefined();
  });

  it('two instances on one file see each other’s writes', () => {
    const path = join(dir, 'shared.db');
    const a = open(path);
    const b = open(path);
    a.setValue('from-a', '1');
    expect(b.getValue('from-a')).toBe('1');
    b.setValue('from-b', '2');
    b.setValue('from-a', 'overwritten by b');
    expect(a.getValue('from-b')).toBe('2');
    expect(a.getValue('from-a')).toBe('overwritten by b');
    expect(a.deleteValue('from-b')).toBe(true);
    expect(b.getValue('from-b')).toBeUndefined();
    expect(b.deleteValue('from-b')).toBe(false);
    expect(b.listKeys()).toEqual(['from-a']);
  });

  it('refuses a database written by a newer schema, with a clear message, and leaves it untouched', () => {
    const path = join(dir, 'newer.db');
    const store = new SqliteStore(path);
    store.setValue('k', 'v');
    store.db.pragma('user_version = 99');
    store.close();

    expect(() => new SqliteStore(path)).toThrow(/newer\.db was written by a newer course-bot \(schema 99 > \d+\)/);

    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(99);
      expect(raw.prepare('SELECT value FROM kv WHERE key = ?').pluck().get('k')).toBe('v');
    } finally {
      raw.close();
    }
  });

  it('assertWritable counts a write lock held by another connection as writable, and does not wait for it', () => {
    const path = join(dir, 'locked.db');
    const holder = open(path);
    const checker = open(path);
    holder.db.prepare('BEGIN IMMEDIATE').run();
    try {
      const started = performance.now();
      expect(() => checker.assertWritable()).not.toThrow();
      // Far below the store's 5 s busy timeout (which stays in force for real writes).
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(checker.db.pragma('busy_timeout', { simple: true })).toBe(5_000);
    } finally {
      holder.db.prepare('ROLLBACK').run();
    }
    expect(() => checker.assertWritable()).not.toThrow();
  });

  it('assertWritable throws when the connection may not write (query_only)', () => {
    const store = open(join(dir, 'query-only.db'));
    store.db.pragma('query_only = ON');
    expect(() => store.assertWritable()).toThrow(/readonly/);
    store.db.pragma('query_only = OFF');
    expect(() => store.assertWritable()).not.toThrow();
  });

  it('keeps schedule changes, undos and the changes version across close and reopen', () => {
    const path = join(dir, 'changes-reopen.db');
    const first = new SqliteStore(path);
    first.addChange('demo', { kind: 'cancel', date: '2027-01-06', reason: 'ill' }, ALICE, 1_000);
    first.addChange('demo', { kind: 'edit', date: '2027-01-04', frameworks: [], note: null }, BOB, 2_000);
    first.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, ALICE, 3_000);
    first.undoChange('demo', BOB, 4_000);
    const records = first.listChanges('demo');
    const version = first.changesVersion('demo');
    first.close();

    const second = open(path);
    expect(second.listChanges('demo')).toStrictEqual(records);
    expect(records.map((record) => [record.actor.id, record.at, record.undoneAt, record.undoneBy?.id])).toEqual([
      ['42', 1_000, undefined, undefined],
      ['U7', 2_000, undefined, undefined],
      ['42', 3_000, 4_000, 'U7'],
    ]);
    expect(second.changesVersion('demo')).toEqual(version);
    // Ids keep increasing after a reopen (and never reuse an id, even of an undone change).
    expect(second.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 5_000).id).toBeGreaterThan(records.at(-1)!.id);
    expect(second.undoChange('demo', ALICE, 6_000)?.change).toEqual({ kind: 'cancel', date: '2027-01-08' });
    expect(second.undoChange('demo', ALICE, 7_000)?.change).toEqual({ kind: 'edit', date: '2027-01-04', frameworks: [], note: null });
  });

  it('two connections to one file see each other’s changes and undos at once', () => {
    const path = join(dir, 'changes-shared.db');
    const a = open(path);
    const b = open(path);
    const before = b.changesVersion('demo');
    const record = a.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1_000);
    expect(b.changesVersion('demo')).not.toEqual(before);
    expect(b.listChanges('demo')).toStrictEqual([record]);
    const undone = b.undoChange('demo', BOB, 2_000);
    expect(a.listChanges('demo')).toStrictEqual([undone]);
    expect(a.changesVersion('demo')).toEqual(b.changesVersion('demo'));
  });

  it('refuses to store a change that does not fit the change schema, and stores nothing', () => {
    const store = open(join(dir, 'changes-invalid.db'));
    const invalid = [
      { kind: 'cancel', date: '2027-02-30' },
      { kind: 'cancel', date: '2027-01-06', why: 'unknown key' },
      { kind: 'add', date: '2027-01-09', topic: '   ' },
      { kind: 'move', from: '2027-01-06' },
      { kind: 'delete', date: '2027-01-06' },
    ];
    for (const change of invalid) {
      expect(() => store.addChange('demo', change as unknown as ScheduleChange, ALICE, 1_000), JSON.stringify(change)).toThrow();
    }
    expect(store.listChanges('demo')).toEqual([]);
    expect(store.changesVersion('demo')).toEqual({ count: 0, lastId: 0, undone: 0 });
  });

  it('stores a change as the schema reads it: text trimmed', () => {
    const store = open(join(dir, 'changes-trim.db'));
    const record = store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: '  Hackathon ', frameworks: [' Docker'] }, ALICE, 1_000);
    expect(record.change).toEqual({ kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] });
    expect(store.listChanges('demo')[0]!.change).toEqual(record.change);
  });

  it('refuses to read a stored change row that is not a valid change, instead of applying it', () => {
    const store = open(join(dir, 'changes-corrupt.db'));
    store.db
      .prepare('INSERT INTO changes (course_id, at, actor, change) VALUES (?, ?, ?, ?)')
      .run('demo', 1_000, JSON.stringify(ALICE), JSON.stringify({ kind: 'cancel', date: 'tomorrow' }));
    expect(() => store.listChanges('demo')).toThrow();
  });

  it('a transaction holds the write lock from its first read: another connection cannot write in between', () => {
    const path = join(dir, 'transaction-lock.db');
    const mine = open(path);
    const other = open(path);
    // Not the store's 5 s: the other connection gives up at once instead of waiting for this transaction.
    other.db.pragma('busy_timeout = 50');
    mine.setValue('k', 'v0');
    const seen = mine.transaction(() => {
      const value = mine.getValue('k');
      // Reading is allowed (WAL) and sees the value from before; writing is not, until this transaction ends.
      expect(other.getValue('k')).toBe('v0');
      expect(() => other.setValue('k', 'from other')).toThrow(/locked|busy/i);
      expect(() => other.compareAndSetValue('k', 'v0', 'from other')).toThrow(/locked|busy/i);
      expect(() => other.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, BOB, 1)).toThrow(/locked|busy/i);
      mine.setValue('k', `${value}+1`);
      return value;
    });
    expect(seen).toBe('v0');
    expect(other.getValue('k')).toBe('v0+1');
    expect(other.listChanges('demo')).toEqual([]);
    other.setValue('k', 'from other');
    expect(mine.getValue('k')).toBe('from other');
  });

  // An unwritable file is modelled by opening it read-only, which is what SQLite falls back to when the
  // file's permissions deny writing: root ignores those permissions, and CI runs as root. Real permissions are
  // tried through the CLI, run as an unprivileged user (open-failures.test.ts).
  it('opening a database this process may not write fails with one line naming STATE_DB and the fix', () => {
    const source = join(dir, 'source.db');
    const seed = new SqliteStore(source);
    seed.setValue('k', 'v');
    seed.close();
    let error: unknown;
    try {
      open(source).close();
      new SqliteStore(source, { readonly: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDbError);
    expect((error as Error).message).toBe(
      `STATE_DB ${source} cannot be written (attempt to write a readonly database): let uid ${process.getuid?.()} write the file and ` +
        `its directory ${dir} (SQLite keeps -wal and -shm files beside it), or set STATE_DB elsewhere.`,
    );
    // Nothing was changed by the attempt.
    expect(open(source).getValue('k')).toBe('v');
  });
});
