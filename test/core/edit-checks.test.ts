import { describe, expect, it, vi } from 'vitest';
import { courseFileSchema } from '../../src/core/course/schema.js';
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

describe('/course edit checks the whole course once', () => {
  it('checks the edited course once, from the refusal check to the schedule students then see', async () => {
    const { admin, effective, publisher } = schedule();
    void effective.course;
    const checks = vi.spyOn(courseFileSchema, 'safeParse');
    try {
      await admin.change({ kind: 'edit', date: '2027-01-06', topic: 'Docker, twice' }, ADA);
      expect(effective.course.sessions.find((session) => session.date === '2027-01-06')?.topic).toBe('Docker, twice');
      expect(checks).toHaveBeenCalledTimes(1);
      // The next edit too: one check each.
      await admin.change({ kind: 'cancel', date: '2027-01-07', reason: 'ill' }, ADA);
      expect(effective.course.sessions.find((session) => session.date === '2027-01-07')?.cancelled).toEqual({ reason: 'ill' });
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
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
