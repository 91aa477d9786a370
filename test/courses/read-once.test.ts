import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CourseFleet } from '../../src/courses/fleet.js';
import * as read from '../../src/course-file/read.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

vi.mock('../../src/course-file/read.js', async (original) => {
  const actual = await original<typeof read>();
  return { ...actual, loadCourseFile: vi.fn(actual.loadCourseFile) };
});

const dir = mkdtempSync(join(tmpdir(), 'course-bot-read-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a COURSES_DIR course is read once at start', () => {
  it('the catalog reads and checks each file; its course runs on that read, not a second one', async () => {
    const courses = join(dir, 'courses');
    mkdirSync(courses);
    for (const id of ['one', 'two', 'three']) {
      writeFileSync(join(courses, `${id}.yaml`), stringify(courseDoc({ course: { id, name: `Course ${id}`, timezone: 'Europe/Copenhagen', start: '2027-01-04' } })));
    }
    const config = loadConfig({ env: { STATE_DB: ':memory:', COURSES_DIR: courses }, dotenv: false });
    const fleet = new CourseFleet({ config, store: () => new MemoryStore(), logger: captureLogger().logger });
    const loads = vi.mocked(read.loadCourseFile);
    loads.mockClear();
    const folder = await fleet.followFolder(config.coursesDir!);
    try {
      expect(fleet.runtimes.map((runtime) => [runtime.id, runtime.name])).toEqual([
        ['one', 'Course one'],
        ['three', 'Course three'],
        ['two', 'Course two'],
      ]);
      expect(loads.mock.calls.map(([path]) => path).sort()).toEqual(['one', 'three', 'two'].map((id) => join(courses, `${id}.yaml`)));
    } finally {
      folder.close();
      await fleet.stop();
    }
  });
});
