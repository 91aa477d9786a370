import { describe, expect, it, vi } from 'vitest';
import { type NumberedChange, applyChanges, applyMoreChanges } from '../../src/core/course/changes.js';
import * as parse from '../../src/core/course/parse.js';
import { courseDoc } from '../support/course.js';

// Counting the course-file checks (the cost of a replay) instead of timing it: a busy machine must not matter.
vi.mock('../../src/core/course/parse.js', async (importOriginal) => {
  const original = await importOriginal<typeof parse>();
  return { ...original, parseCourse: vi.fn(original.parseCourse) };
});

const checks = vi.mocked(parse.parseCourse);
const loaded = parse.parseCourse(courseDoc());
if (!loaded.ok) throw new Error('invalid test course');
const { file } = loaded;

/** 200 edits of the Wednesday session's topic, as instructors make them over a term. */
const EDITS: NumberedChange[] = Array.from({ length: 200 }, (_unused, index) => ({
  id: index + 1,
  change: { kind: 'edit', date: '2027-01-06', topic: `Topic ${index + 1}` },
}));

describe('the cost of replaying stored changes', () => {
  it('checks the course rules once for the whole history, not once per stored change', () => {
    checks.mockClear();
    const applied = applyChanges(file, EDITS);
    expect(applied.course.sessions.find((session) => session.date === '2027-01-06')?.topic).toBe('Topic 200');
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it('one more change on top of an earlier result costs one check, however long the history', () => {
    const earlier = applyChanges(file, EDITS.slice(0, 199));
    checks.mockClear();
    const more = applyMoreChanges(earlier, EDITS.slice(199));
    expect(more?.course.sessions.find((session) => session.date === '2027-01-06')?.topic).toBe('Topic 200');
    expect(checks).toHaveBeenCalledTimes(1);
  });
});
