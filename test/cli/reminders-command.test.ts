import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReminderBook } from '../../src/store/reminders.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runMain } from '../support/main.js';

const tmp = mkdtempSync(join(tmpdir(), 'course-bot-reminders-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('course-bot reminders and export', () => {
  it('prints counts by kind only, and the export holds no subscription', async () => {
    const db = join(tmp, 'state.db');
    const store = new SqliteStore(db);
    const book = new ReminderBook(store, '18:00', 'mlops');
    book.set('discord', '123456789012345678', 'evening');
    book.set('discord', '223456789012345678', 'evening');
    book.set('slack', 'U0SECRET1', 'morning');
    book.set('slack', 'U0SECRET2', 'morning');
    for (const day of ['2027-01-04', '2027-01-05', '2027-01-06']) book.recordClosed('slack', 'U0SECRET2', day);
    book.rememberDmChannel('discord', '123456789012345678', '999');
    store.close();
    const counted = await runMain(['reminders'], { STATE_DB: db });
    expect(counted.code).toBe(0);
    expect(counted.stdout).toBe(
      'evening: 2\nmorning: 1\nturned off by the bot, direct messages closed: 1\nturned off by the bot, left the server: 0\n',
    );
    const exported = await runMain(['export'], { STATE_DB: db });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('course:');
    for (const secret of ['123456789012345678', 'U0SECRET', 'remind', 'evening']) expect(exported.stdout).not.toContain(secret);
  });

  it('counts per course when the store holds several courses, the old subscriptions apart', async () => {
    const db = join(tmp, 'courses.db');
    const store = new SqliteStore(db);
    new ReminderBook(store, '18:00', 'mlops').set('discord', '1', 'evening');
    new ReminderBook(store, '18:00', 'cs101').set('discord', '1', 'morning');
    new ReminderBook(store, '18:00', 'cs101').set('slack', 'T1:U2', 'morning');
    store.setValue('reminder:sub:discord:7', '{"kind":"evening","closedDays":[]}');
    store.close();
    const counted = await runMain(['reminders'], { STATE_DB: db });
    expect(counted.code).toBe(0);
    expect(counted.stdout).toBe(
      [
        'course cs101:',
        '  evening: 0',
        '  morning: 2',
        '  turned off by the bot, direct messages closed: 0',
        '  turned off by the bot, left the server: 0',
        'course mlops:',
        '  evening: 1',
        '  morning: 0',
        '  turned off by the bot, direct messages closed: 0',
        '  turned off by the bot, left the server: 0',
        'from before reminders belonged to a course (moved to their course at the next start):',
        '  evening: 1',
        '  morning: 0',
        '  turned off by the bot, direct messages closed: 0',
        '  turned off by the bot, left the server: 0',
        '',
      ].join('\n'),
    );
  });
});
