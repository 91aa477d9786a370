import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import {
  ReminderBook,
  adoptOldSubscriptions,
  formatSubscriptionKey,
  parseOldSubscriptionKey,
  parseSubscriptionKey,
  reminderCounts,
} from '../../src/store/reminders.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { race } from './racers.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-reminder-book-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ON = '{"kind":"evening","closedDays":[]}';

describe('subscription keys', () => {
  it('have one format and one exact parse, a Slack user id with its colon included', () => {
    const key = { courseId: 'cs101', platform: 'slack', userId: 'T1:U2' };
    expect(formatSubscriptionKey(key)).toBe('reminder:sub:cs101:slack:T1:U2');
    expect(parseSubscriptionKey(formatSubscriptionKey(key))).toEqual(key);
    expect(parseSubscriptionKey('reminder:dm:discord:42')).toBeUndefined();
    expect(() => formatSubscriptionKey({ courseId: 'a:b', platform: 'discord', userId: '1' })).toThrow(/not a subscription key/);
    expect(() => formatSubscriptionKey({ courseId: 'a', platform: 'Discord', userId: '1' })).toThrow(/not a subscription key/);
    expect(() => formatSubscriptionKey({ courseId: 'a', platform: 'discord', userId: '' })).toThrow(/not a subscription key/);
  });

  it('tell the old keys (no course) from a course\'s, even a course named like a platform', () => {
    expect(parseOldSubscriptionKey('reminder:sub:discord:123456789012345678')).toEqual({ platform: 'discord', userId: '123456789012345678' });
    expect(parseOldSubscriptionKey('reminder:sub:slack:T1:U2')).toEqual({ platform: 'slack', userId: 'T1:U2' });
    expect(parseSubscriptionKey('reminder:sub:slack:T1:U2')).toBeUndefined();
    expect(parseOldSubscriptionKey('reminder:sub:slack:discord:42')).toBeUndefined();
    expect(parseSubscriptionKey('reminder:sub:slack:discord:42')).toEqual({ courseId: 'slack', platform: 'discord', userId: '42' });
  });
});

describe('ReminderBook of one course', () => {
  it('sees only its own course: /remind off in B leaves A on, and counts are per course', () => {
    const store = new MemoryStore();
    const a = new ReminderBook(store, '18:00', 'course-a');
    const b = new ReminderBook(store, '18:00', 'course-b');
    a.set('discord', '42', 'evening');
    expect(b.get('discord', '42')).toEqual({});
    expect(b.subscribers()).toEqual([]);
    expect(a.subscribers()).toEqual([{ platform: 'discord', userId: '42', kind: 'evening', closedDays: [] }]);
    b.set('discord', '42', 'morning');
    b.set('discord', '42', 'off');
    expect(a.get('discord', '42')).toEqual({ kind: 'evening' });
    b.set('slack', 'T1:U2', 'morning');
    expect(store.getValue('reminder:sub:course-a:discord:42')).toBe(ON);
    expect(a.counts()).toEqual({ evening: 1, morning: 0, stoppedClosedDms: 0, stoppedLeft: 0 });
    expect(b.counts()).toEqual({ evening: 0, morning: 1, stoppedClosedDms: 0, stoppedLeft: 0 });
    store.setValue('reminder:sub:discord:7', '{"stopped":"left","closedDays":[]}');
    expect(Object.fromEntries(reminderCounts(store))).toEqual({
      'course-a': { evening: 1, morning: 0, stoppedClosedDms: 0, stoppedLeft: 0 },
      'course-b': { evening: 0, morning: 1, stoppedClosedDms: 0, stoppedLeft: 0 },
      '': { evening: 0, morning: 0, stoppedClosedDms: 0, stoppedLeft: 1 },
    });
  });
});

describe('adoptOldSubscriptions', () => {
  it('moves the old keys to the course once, keeping a subscription the course already has', () => {
    const store = new MemoryStore();
    store.setValue('reminder:sub:discord:42', ON);
    store.setValue('reminder:sub:slack:T1:U2', '{"stopped":"closed-dms","closedDays":["2027-01-04","2027-01-05","2027-01-06"]}');
    store.setValue('reminder:sub:discord:7', ON);
    store.setValue('reminder:sub:mlops:discord:7', '{"kind":"morning","closedDays":[]}');
    store.setValue('reminder:sub:other:discord:9', ON);
    expect(adoptOldSubscriptions(store, 'mlops')).toEqual({ moved: 2, kept: 1 });
    expect(store.listKeys('reminder:sub:')).toEqual([
      'reminder:sub:mlops:discord:42',
      'reminder:sub:mlops:discord:7',
      'reminder:sub:mlops:slack:T1:U2',
      'reminder:sub:other:discord:9',
    ]);
    const book = new ReminderBook(store, '18:00', 'mlops');
    expect(book.get('discord', '42')).toEqual({ kind: 'evening' });
    expect(book.get('discord', '7')).toEqual({ kind: 'morning' });
    expect(book.get('slack', 'T1:U2')).toEqual({ stopped: 'closed-dms' });
    // Again: nothing left to move.
    expect(adoptOldSubscriptions(store, 'mlops')).toEqual({ moved: 0, kept: 0 });
  });

  it('two processes at once on one database: every old subscription moved exactly once', { timeout: 60_000 }, async () => {
    const path = join(dir, 'adopt.db');
    const seed = new SqliteStore(path);
    for (let user = 0; user < 500; user += 1) seed.setValue(`reminder:sub:discord:${user}`, ON);
    seed.close();
    const script = `
      const { SqliteStore } = await import('./src/store/sqlite-store.ts');
      const { adoptOldSubscriptions } = await import('./src/store/reminders.ts');
      const store = new SqliteStore(${JSON.stringify(path)});
      ready();
      await start;
      const outcome = adoptOldSubscriptions(store, 'mlops');
      store.close();
      process.stdout.write(JSON.stringify(outcome));
    `;
    const outcomes = await race<{ moved: number; kept: number }>(script, ['a', 'b']);
    expect(outcomes[0]!.moved + outcomes[1]!.moved).toBe(500);
    expect(outcomes[0]!.kept + outcomes[1]!.kept).toBe(0);
    const store = new SqliteStore(path);
    try {
      expect(store.listKeys('reminder:sub:').filter((key) => !key.startsWith('reminder:sub:mlops:discord:'))).toEqual([]);
      expect(new ReminderBook(store, '18:00', 'mlops').subscribers()).toHaveLength(500);
    } finally {
      store.close();
    }
  });
});
