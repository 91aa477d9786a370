import { fixedClock } from '../../src/core/clock.js';
import type { CommandContext } from '../../src/core/commands/command.js';
import { runCommandLine } from '../../src/core/commands/parse.js';
import { commands } from '../../src/core/commands/registry.js';
import type { Message } from '../../src/core/messages.js';
import { UserFacingError } from '../../src/core/errors.js';
import { parseCourse } from '../../src/core/course/parse.js';
import type { Course } from '../../src/core/course/model.js';
import type { CourseFileInput } from '../../src/core/course/schema.js';
import { DateTime } from 'luxon';

/** A small valid course document; override any part. */
export function courseDoc(overrides: Partial<CourseFileInput> = {}): CourseFileInput {
  return {
    course: { id: 'demo', name: 'Demo Course', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' },
    announcements: { time: '08:00' },
    weeks: [
      {
        number: 1,
        sessions: [
          { day: 'monday', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' },
          { day: 'wednesday', topic: 'Configs', frameworks: ['Hydra'] },
          { day: 'friday', format: 'project' },
        ],
      },
      { number: 2, sessions: [{ day: 'tuesday', topic: 'Deployment', frameworks: ['BentoML'] }] },
    ],
    resources: [
      { id: 'pytorch', title: 'PyTorch docs', url: 'https://pytorch.org/docs/', tags: ['pytorch'] },
      { id: 'hydra', title: 'Hydra docs', url: 'https://hydra.cc/docs/intro/', tags: ['hydra', 'configuration'] },
      { id: 'bentoml', title: 'BentoML docs', url: 'https://docs.bentoml.com/', tags: ['bentoml'] },
    ],
    setup: [{ title: 'Clone', command: 'git clone https://example.org/repo' }],
    ...overrides,
  };
}

/** A validated course from a document; fails the test with the issues when it is invalid. */
export function buildCourse(doc: unknown = courseDoc()): Course {
  const result = parseCourse(doc);
  if (!result.ok) throw new Error(`invalid test course:\n${result.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return result.course;
}

/** An instant from a local date-time in the course's zone, e.g. `at(course, '2027-01-05T10:00')`. */
export function at(course: Course, local: string): Date {
  return DateTime.fromISO(local, { zone: course.timezone }).toJSDate();
}

/** A command context at a local date-time of the course. */
export function contextAt(course: Course, local: string): CommandContext {
  return { course, now: fixedClock(at(course, local)).now(), commands };
}

/** Runs a student command line, which answers at once (instructor commands may answer later). */
export function answerNow(line: string, context: CommandContext): Message {
  const answer = runCommandLine(line, context);
  if (answer instanceof Promise) throw new Error(`${line} answered asynchronously`);
  return answer;
}

/** The `UserFacingError` that `run` throws (a test fails when it throws nothing, or something else). */
export function userError(run: () => unknown): UserFacingError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserFacingError) return error;
    throw error;
  }
  throw new Error('expected a UserFacingError');
}
