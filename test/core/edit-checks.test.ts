import { describe, expect, it, vi } from 'vitest';
import { courseFileSchema, sessionSchema } from '../../src/core/course/schema.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { courseSchedule } from '../../src/schedule/course-schedule.js';
import { NO_ANNOUNCEMENTS } from '../../src/schedule/publisher.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';

// Counting the whole-course checks (the course-file schema run over the course) instead of timing them.

function schedule() {
  const { logger } = captureLogger();
  const loaded = loadCourseFile('data/course.yaml', 'course.yaml');
  const live = new LiveCourse({ path: 'data/course.yaml', label: 'course.yaml', initial: loaded, logger });
  const now = new Date('2027-01-05T07:00:00Z');
  const built = courseSchedule({ live, store: new MemoryStore(), clock: { now: () => now }, logger });
  built.publisher.connect(NO_ANNOUNCEMENTS);
  return built;
}

const ADA = { platform: 'cli', id: 'ada' } as const;

describe('/course checks only what a change can break', () => {
  it('an edit or a cancel checks the one session, never the whole course; a move checks the course once', async () => {
    const { admin, effective, publisher } = schedule();
    void effective.course;
    const checks = vi.spyOn(courseFileSchema, 'safeParse');
    const sessionChecks = vi.spyOn(sessionSchema, 'safeParse');
    try {
      await admin.change({ kind: 'edit', date: '2027-01-06', topic: 'Docker, twice' }, ADA);
      expect(effective.course.sessions.find((session) => session.date === '2027-01-06')?.topic).toBe('Docker, twice');
      expect(checks).toHaveBeenCalledTimes(0);
      expect(sessionChecks).toHaveBeenCalledTimes(1);
      await admin.change({ kind: 'cancel', date: '2027-01-07', reason: 'ill' }, ADA);
      expect(effective.course.sessions.find((session) => session.date === '2027-01-07')?.cancelled).toEqual({ reason: 'ill' });
      expect(checks).toHaveBeenCalledTimes(0);
      expect(sessionChecks).toHaveBeenCalledTimes(2);
      // A move changes dates: the rules that span sessions are checked over the course, once.
      await admin.change({ kind: 'move', from: '2027-01-08', to: '2027-01-09' }, ADA);
      expect(effective.course.sessions.some((session) => session.date === '2027-01-09')).toBe(true);
      expect(checks).toHaveBeenCalledTimes(1);
    } finally {
      sessionChecks.mockRestore();
      checks.mockRestore();
      await publisher.settle();
    }
  });

  it('still refuses a change that breaks a course rule, and stores nothing', async () => {
    const { admin, effective, publisher } = schedule();
    const before = effective.course;
    await expect(admin.change({ kind: 'move', from: '2027-01-06', to: '2026-12-01' }, ADA)).rejects.toThrow(/before the course starts/);
    expect(effective.course).toBe(before);
    await publisher.settle();
  });
});
