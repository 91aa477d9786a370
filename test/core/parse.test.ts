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
    ).toEqual(['sesions: unknown field "sesions" (known: course, announcements, weeks, resources, setup, plan, targets)', 'resources[3].id: resource id "hydra" is used twice (also resources[1])']);
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

describe('what a course may hold', () => {
  const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
  /** A document of `count` sessions, five a week. */
  function sessions(count: number): unknown {
    const weeks = Array.from({ length: Math.ceil(count / 5) }, (_, week) => ({
      number: week + 1,
      sessions: WEEKDAYS.slice(0, Math.min(5, count - week * 5)).map((day) => ({ day })),
    }));
    return courseDoc({ weeks, resources: [] });
  }

  it('refuses week numbers past the limit instead of placing them on impossible dates', () => {
    const doc = courseDoc();
    const weeks = [{ number: 20_270_104, sessions: [{ day: 'monday' }] }, { number: 5001, sessions: [{ day: 'friday' }] }];
    expect(issues({ ...doc, weeks })).toEqual([
      'weeks[0].number: 20270104 is too large: week numbers go up to 5,000 (counted from the course start)',
      'weeks[1].number: 5001 is too large: week numbers go up to 5,000 (counted from the course start)',
    ]);
    const last = parseCourse({ ...doc, weeks: [{ number: 5000, sessions: [{ day: 'sunday' }] }] });
    expect(last.ok && last.course.sessions[0]!.date).toBe('2122-11-01');
  });

  it('keeps every date within the years 1900–2999, so the last week of a late course is still a date', () => {
    const doc = courseDoc();
    const late = { ...doc, course: { ...doc.course, start: '9999-12-27' }, weeks: [{ number: 5000, sessions: [{ day: 'monday' }] }] };
    expect(issues(late)).toEqual(['course.start: 9999-12-27 is outside the years 1900–2999 a course file may use']);
    expect(issues({ ...doc, weeks: [{ number: 1, sessions: [{ date: '0999-01-04' }] }] })).toEqual([
      'weeks[0].sessions[0].date: 0999-01-04 is outside the years 1900–2999 a course file may use',
    ]);
  });

  it('holds up to 20,000 sessions, and says so past that', () => {
    const full = parseCourse(sessions(20_000));
    expect(full.ok && full.course.sessions.length).toBe(20_000);
    expect(issues(sessions(20_001))).toEqual(['weeks: 20,001 sessions is too many: a course file holds at most 20,000']);
  });

  it('says a required URL is missing instead of "undefined is not an http(s) URL", and quotes odd values', () => {
    const doc = courseDoc();
    expect(issues({ ...doc, resources: [{ id: 'docs', title: 'Docs' }], setup: [{ title: 'Clone', url: 42 }] })).toEqual([
      'resources[0].url: is required',
      'setup[0].url: expected an http(s) URL, got number 42',
    ]);
    expect(issues({ ...doc, course: { ...doc.course, timezone: 'Europe/\nCopenhagen', repository: 'ftp://example.org/\u2028' } })).toEqual([
      'course.timezone: "Europe/\\nCopenhagen" is not a known IANA time zone (such as Europe/Copenhagen)',
      'course.repository: "ftp://example.org/\\u{2028}" is not an http(s) URL: it has a space, a line break or a control character in it (write a space as %20)',
    ]);
  });

  it('names unknown resource ids with a few of the known ones, not thousands', () => {
    const resources = Array.from({ length: 2000 }, (_, index) => ({ id: `r${index}`, title: 'R', url: 'https://example.org/' }));
    const doc = courseDoc({ resources, weeks: [{ number: 1, sessions: [{ day: 'monday', resources: ['nope'] }] }] });
    expect(issues(doc)).toEqual([
      'weeks[0].sessions[0].resources[0]: unknown resource id "nope" (known: r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, … 1990 more)',
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
