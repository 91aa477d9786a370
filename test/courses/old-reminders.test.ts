import { describe, expect, it } from 'vitest';
import { adoptOldReminders } from '../../src/courses/old-reminders.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';

const ON = '{"kind":"evening","closedDays":[]}';

function storeWithOld(): MemoryStore {
  const store = new MemoryStore();
  store.setValue('reminder:sub:discord:123456789012345678', ON);
  store.setValue('reminder:sub:slack:T1:U2', ON);
  return store;
}

describe('adoptOldReminders', () => {
  it('one course (COURSE_FILE): moves them to it, and on the next start finds none', () => {
    const store = storeWithOld();
    const { logger } = captureLogger('info');
    expect(adoptOldReminders({ store, courses: ['mlops'], logger })).toEqual({ kind: 'adopted', courseId: 'mlops', moved: 2, kept: 0 });
    expect(store.listKeys('reminder:sub:')).toEqual(['reminder:sub:mlops:discord:123456789012345678', 'reminder:sub:mlops:slack:T1:U2']);
    expect(adoptOldReminders({ store, courses: ['mlops'], logger })).toEqual({ kind: 'none' });
  });

  it('a COURSES_DIR of one course: kept for it, in one log line without a user id', () => {
    const store = storeWithOld();
    const { logger, lines } = captureLogger('info');
    expect(adoptOldReminders({ store, courses: ['cs101'], dir: 'courses', logger })).toMatchObject({ kind: 'adopted', courseId: 'cs101', moved: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('2 reminder subscription(s) from before reminders belonged to a course kept for course cs101');
    expect(lines.join('')).not.toMatch(/123456789012345678|U2/);
  });

  it('a COURSES_DIR of several courses: kept for the one the earlier reminders name', () => {
    const store = storeWithOld();
    store.claim('remind:mlops:2027-01-06:discord:123456789012345678', { owner: 'old', now: 0, leaseMs: 1 });
    store.claim('remind:gone-course:2027-01-06:discord:5', { owner: 'old', now: 0, leaseMs: 1 });
    const { logger, lines } = captureLogger('info');
    expect(adoptOldReminders({ store, courses: ['cs101', 'mlops'], dir: 'courses', logger })).toMatchObject({ kind: 'adopted', courseId: 'mlops', moved: 2 });
    expect(lines.join('\n')).toContain('kept for course mlops');
  });

  it('a COURSES_DIR of several courses none of which is named: left alone, said in one line', () => {
    const store = storeWithOld();
    const { logger, lines } = captureLogger('info');
    expect(adoptOldReminders({ store, courses: ['cs101', 'mlops'], dir: 'courses', logger })).toEqual({ kind: 'left', count: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('2 reminder subscription(s) from before reminders belonged to a course left alone');
    expect(store.listKeys('reminder:sub:')).toEqual(['reminder:sub:discord:123456789012345678', 'reminder:sub:slack:T1:U2']);
  });
});
