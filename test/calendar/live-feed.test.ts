import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedCalendar } from '../../src/calendar/ics.js';
import { fixedClock } from '../../src/core/clock.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { testSchedule } from '../support/schedule.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The event of one date, unfolded, as a block of lines. */
function eventOf(ics: string, uid: string): string {
  const unfolded = ics.replace(/\r\n[ \t]/g, '');
  return unfolded.split('BEGIN:VEVENT').find((block) => block.includes(`UID:${uid}\r\n`)) ?? '';
}

describe('the calendar feed of the live schedule, as main wires it', () => {
  it('is built once while nothing changes, and again after a change in chat and after its undo', async () => {
    const path = join(dir, 'course.yaml');
    copyFileSync('data/course.yaml', path);
    const { logger } = captureLogger();
    const clock = fixedClock(new Date('2027-01-04T09:00:00Z'));
    const live = new LiveCourse({ path, label: 'course.yaml', initial: loadCourseFile(path, 'course.yaml'), logger });
    const schedule = testSchedule({ live, store: new MemoryStore(), clock, logger });
    const feed = cachedCalendar({ course: () => schedule.course, now: () => clock.now() });
    const alice = { platform: 'discord', id: '42', name: 'alice' };

    const first = await feed();
    expect(await feed()).toBe(first);
    expect(eventOf(first.ics, 'mlops-2027-01-06@course-bot')).toContain('STATUS:CONFIRMED');

    await schedule.change({ kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' }, alice);
    const cancelled = await feed();
    expect(cancelled).not.toBe(first);
    const event = eventOf(cancelled.ics, 'mlops-2027-01-06@course-bot');
    expect(event).toContain('STATUS:CANCELLED');
    expect(event).toContain('DESCRIPTION:Reason: Instructor ill\\nNext session: Thursday 7 January 2027');
    expect(await feed()).toBe(cancelled);

    await schedule.undo(alice);
    expect(eventOf((await feed()).ics, 'mlops-2027-01-06@course-bot')).toContain('STATUS:CONFIRMED');
  });
});
