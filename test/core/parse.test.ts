import { describe, expect, it } from 'vitest';
import { parseCourse } from '../../src/core/course/parse.js';
import { formatPath } from '../../src/core/course/model.js';
import { courseDoc } from '../support/course.js';

function issues(doc: unknown): string[] {
  const result = parseCourse(doc);
  return result.ok ? [] : result.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

describe('parseCourse', () => {
  it('accepts the test course and fills defaults', () => {
    const { announcements: _, ...doc } = courseDoc();
    const result = parseCourse(doc);
    expect(result.ok && result.course.announcements).toEqual({ time: '08:00', catchUpUntil: '12:00', weeklyOverview: false });
    expect(result.ok && result.course.sessions[2]!.frameworks).toEqual([]);
  });

  it('refuses a document that is not a mapping', () => {
    expect(issues('just text')).toEqual([': expected a mapping (key: value lines)']);
    expect(issues(null)).toEqual([': expected a mapping (key: value lines)']);
  });

  it('refuses a course without sessions, duplicate resource ids and unknown top-level fields', () => {
    const doc = courseDoc({ weeks: [{ number: 1, sessions: [] }] });
    expect(issues(doc)).toEqual(['weeks: the course has no sessions']);
    const twice = courseDoc();
    expect(
      issues({ ...twice, resources: [...twice.resources!, { id: 'hydra', title: 'Again', url: 'https://hydra.cc/' }], sesions: [] }),
    ).toEqual(['sesions: unknown field "sesions" (known: course, announcements, weeks, resources, setup)', 'resources[3].id: resource id "hydra" is used twice (also resources[1])']);
  });

  it('treats empty fields as absent, ignores top-level x- keys and spells zones canonically', () => {
    const doc = courseDoc();
    const result = parseCourse({
      ...doc,
      'x-defaults': { format: 'project' },
      course: { ...doc.course, timezone: 'europe/copenhagen', repository: null },
      weeks: [{ number: 1, title: null, sessions: [{ day: 'monday', topic: null, note: null }] }],
      setup: null,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.course.timezone).toBe('Europe/Copenhagen');
    expect(result.course.sessions[0]).not.toHaveProperty('topic');
    expect(result.course.setup).toEqual([]);
  });

  it('does not claim there are no sessions when only the start date is broken', () => {
    const doc = courseDoc();
    expect(issues({ ...doc, course: { ...doc.course, start: '2027-01-32' } })).toEqual([
      'course.start: 2027-01-32 is not a date (expected YYYY-MM-DD)',
    ]);
  });

  it('refuses non-http URLs and bad formats', () => {
    const doc = courseDoc();
    expect(
      issues({
        ...doc,
        course: { ...doc.course, repository: 'ftp://example.org/' },
        weeks: [{ number: 1, sessions: [{ day: 'monday', format: 'workshop' }] }],
      }),
    ).toEqual([
      'course.repository: ftp://example.org/ is not an http(s) URL',
      'weeks[0].sessions[0].format: expected one of exercises, project, lecture, exam, other, got string "workshop"',
    ]);
  });
});

describe('announcement settings', () => {
  it('default to 08:00, catch-up until 12:00 and no weekly overview, and are checked', () => {
    const doc = courseDoc();
    const result = parseCourse({ ...doc, announcements: { time: '7:30', catchUpUntil: '10:00', weeklyOverview: true } });
    expect(result.ok && result.course.announcements).toEqual({ time: '07:30', catchUpUntil: '10:00', weeklyOverview: true });
    expect(issues({ ...doc, announcements: { time: '13:00' } })).toEqual([
      'announcements.time: catchUpUntil (12:00) is before the announcement time (13:00)',
    ]);
    expect(issues({ ...doc, announcements: { time: '08:00', catchUpUntil: '07:00', weeklyOverview: 'yes' } })).toEqual([
      'announcements.weeklyOverview: expected true or false, got string "yes"',
      'announcements.catchUpUntil: catchUpUntil (07:00) is before the announcement time (08:00)',
    ]);
  });
});
