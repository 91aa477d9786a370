import { describe, expect, it } from 'vitest';
import {
  type AnnouncementKey,
  announcementKeyPrefix,
  formatAnnouncementKey,
  parseAnnouncementKey,
} from '../../src/core/announcement.js';
import { type ReminderKey, formatReminderKey, parseReminderKey } from '../../src/core/reminders.js';
import { random } from '../support/random.js';

const ODD = ['-', '.', '_', 'a', 'z', '0', '9', ' ', 'é', '🙂', '\n', '/', 'remind', 'daily', '2027-01-04', 'notice-'];

function text(next: () => number, alphabet: readonly string[], min = 1): string {
  const length = min + Math.floor(next() * 6);
  return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]!).join('');
}

function date(next: () => number): string {
  const day = new Date(Date.UTC(2000, 0, 1) + Math.floor(next() * 20_000) * 86_400_000);
  return day.toISOString().slice(0, 10);
}

describe('AnnouncementKey', () => {
  it('keeps the string form the store holds', () => {
    const key: AnnouncementKey = { courseId: 'mlops-2027', date: '2027-01-04', kind: 'daily', target: 'discord:123456789012345678' };
    expect(formatAnnouncementKey(key)).toBe('mlops-2027:2027-01-04:daily:discord:123456789012345678');
    expect(parseAnnouncementKey('mlops-2027:2027-01-04:notice-r3:slack:C1')).toEqual({
      courseId: 'mlops-2027',
      date: '2027-01-04',
      kind: 'notice-r3',
      target: 'slack:C1',
    });
    expect(announcementKeyPrefix('mlops-2027')).toBe('mlops-2027:');
    expect(announcementKeyPrefix('mlops-2027', '2027-01-04')).toBe('mlops-2027:2027-01-04:');
  });

  it('parses back exactly what it formats, for odd course ids, kinds and targets (500 cases)', () => {
    const next = random(14);
    for (let index = 0; index < 500; index += 1) {
      const kinds = ['daily', 'weekly', `notice-${text(next, ODD)}`] as const;
      const key: AnnouncementKey = {
        courseId: text(next, ODD),
        date: date(next),
        kind: kinds[Math.floor(next() * kinds.length)]!,
        target: text(next, [...ODD, ':']),
      };
      expect(parseAnnouncementKey(formatAnnouncementKey(key))).toEqual(key);
    }
  });

  it('reads nothing else as an announcement key: reminders, event records, garbled dates and kinds', () => {
    expect(parseAnnouncementKey('remind:demo:2027-01-06:slack:U1')).toBeUndefined();
    expect(parseAnnouncementKey('events:discord:1:demo:2027-01-06')).toBeUndefined();
    expect(parseAnnouncementKey('demo:2027-02-30:daily:discord:1')).toBeUndefined();
    expect(parseAnnouncementKey('demo:2027-01-04:hourly:discord:1')).toBeUndefined();
    expect(parseAnnouncementKey('demo:2027-01-04:daily:')).toBeUndefined();
    expect(parseAnnouncementKey(':2027-01-04:daily:discord:1')).toBeUndefined();
  });

  it('refuses to format a key it could not read back', () => {
    const key: AnnouncementKey = { courseId: 'demo', date: '2027-01-04', kind: 'daily', target: 'discord:1' };
    expect(() => formatAnnouncementKey({ ...key, courseId: 'de:mo' })).toThrow(/not an announcement key/);
    expect(() => formatAnnouncementKey({ ...key, kind: 'notice-a:b' })).toThrow(/not an announcement key/);
    expect(() => formatAnnouncementKey({ ...key, date: '4 Jan' })).toThrow(/not an announcement key/);
    expect(() => formatAnnouncementKey({ ...key, target: '' })).toThrow(/not an announcement key/);
  });
});

describe('ReminderKey', () => {
  it('parses back exactly what it formats, for odd course ids, platforms and user ids (500 cases)', () => {
    const next = random(41);
    for (let index = 0; index < 500; index += 1) {
      const key: ReminderKey = {
        courseId: text(next, ODD),
        date: date(next),
        platform: text(next, ODD),
        userId: text(next, [...ODD, ':']),
      };
      expect(parseReminderKey(formatReminderKey(key))).toEqual(key);
    }
  });

  it('reads no announcement key as a reminder key, and refuses to format one it could not read back', () => {
    expect(parseReminderKey('remind:2027-01-04:daily:discord:1')).toBeUndefined();
    expect(parseReminderKey('remind:demo:2027-01-06:slack:')).toBeUndefined();
    expect(() => formatReminderKey({ courseId: 'demo', date: '2027-01-06', platform: 'sl:ack', userId: 'U1' })).toThrow(/not a reminder key/);
  });
});
