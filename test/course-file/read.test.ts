import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CourseFileError, formatIssue, loadCourseFile, parseCourseText } from '../../src/course-file/read.js';

const GOOD = `course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
announcements:
  time: "08:00"
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Intro
        frameworks: [PyTorch]
      - day: tuesday
        date: 2027-01-05
        topic: Second
resources: []
`;

/** GOOD with the mistake from the format's documentation. */
const MISMATCH = GOOD.replace('day: tuesday', 'day: monday');

/** The problems of a course text, formatted as the CLI prints them. */
function problems(text: string, file = 'data/course.yaml'): string[] {
  try {
    parseCourseText(text, file);
  } catch (error) {
    if (error instanceof CourseFileError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe('course file errors', () => {
  it('name the file, line, column and field, as in the docs', () => {
    expect(problems(GOOD)).toEqual([]);
    expect(problems(MISMATCH)).toEqual([
      'data/course.yaml:15:9 weeks[0].sessions[1].date: 2027-01-05 is a Tuesday, but day says monday',
    ]);
  });

  it('are all reported at once, in file order', () => {
    const text = `course:
  id: Demo Course
  name: Demo
  timezone: Mars/Olympus
  start: 2027-01-04
  dayStart: "9h"
announcements:
  time: "25:00"
weeks:
  - number: 1
    sessions:
      - day: funday
        topic: Intro
        fraemworks: [PyTorch]
        resources: [nope]
      - date: 2027-01-01
      - topic: Nothing
  - number: 1
    sessions: []
resources:
  - id: docs
    title: Docs
    url: not a url
`;
    expect(problems(text)).toEqual([
      'data/course.yaml:2:3 course.id: must be a slug: lowercase letters, digits and single dashes',
      'data/course.yaml:4:3 course.timezone: Mars/Olympus is not a known IANA time zone (such as Europe/Copenhagen)',
      'data/course.yaml:6:3 course.dayStart: 9h is not a time (expected HH:MM, 00:00–23:59)',
      'data/course.yaml:8:3 announcements.time: 25:00 is not a time (expected HH:MM, 00:00–23:59)',
      'data/course.yaml:12:9 weeks[0].sessions[0].day: funday is not a weekday (expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)',
      'data/course.yaml:14:9 weeks[0].sessions[0].fraemworks: unknown field "fraemworks" (did you mean "frameworks"?)',
      'data/course.yaml:15:21 weeks[0].sessions[0].resources[0]: unknown resource id "nope" (known: docs)',
      'data/course.yaml:16:9 weeks[0].sessions[1].date: 2027-01-01 is before the course starts (2027-01-04)',
      'data/course.yaml:17:9 weeks[0].sessions[2]: a session needs a day, a date or both',
      'data/course.yaml:18:5 weeks[1].number: week 1 is listed twice (also weeks[0])',
      'data/course.yaml:23:5 resources[0].url: not a url is not an http(s) URL',
    ]);
  });

  it('report two sessions on one date and a date listed under the wrong week', () => {
    const text = GOOD.replace('      - day: tuesday\n        date: 2027-01-05', '      - date: 2027-01-04');
    expect(problems(text)).toEqual([
      'data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-04 already has a session (weeks[0].sessions[0])',
    ]);
    const wrongWeek = GOOD.replace('      - day: tuesday\n        date: 2027-01-05', '      - date: 2027-01-12');
    expect(problems(wrongWeek)).toEqual([
      'data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-12 lies in week 2 of a course starting 2027-01-04, but is listed under week 1',
    ]);
  });

  it('point at the parent when a required field is missing', () => {
    const text = GOOD.replace('  name: Demo\n', '');
    expect(problems(text)).toEqual(['data/course.yaml:2:3 course.name: is required']);
  });

  it('report YAML syntax errors and duplicate keys with their line', () => {
    expect(problems('course:\n  id: demo\n  id: again\n')[0]).toMatch(/^data\/course\.yaml:3:3 Map keys must be unique/);
    expect(problems('course: [unclosed\n')[0]).toMatch(/^data\/course\.yaml:\d+:\d+ /);
  });

  it('report a wrong type in plain words', () => {
    const text = GOOD.replace('  - number: 1', '  - number: one');
    expect(problems(text)).toEqual(['data/course.yaml:9:5 weeks[0].number: expected a week number, got string "one"']);
  });

  it('accept YAML merge keys, so project days can share their fields', () => {
    const text = `x-project: &project
  format: project
  note: Project work day
${GOOD.replace('      - day: tuesday\n        date: 2027-01-05\n        topic: Second', '      - <<: *project\n        day: tuesday')}`;
    const { course } = parseCourseText(text, 'x.yaml');
    expect(course.sessions[1]).toMatchObject({ date: '2027-01-05', format: 'project', note: 'Project work day' });
  });

  it('accept frameworks as a comma-separated string and weekday names in any case', () => {
    const text = GOOD.replace('frameworks: [PyTorch]', 'frameworks: PyTorch, Hydra').replace(
      'day: tuesday',
      'day: Tuesday',
    );
    const { course } = parseCourseText(text, 'x.yaml');
    expect(course.sessions[0]!.frameworks).toEqual(['PyTorch', 'Hydra']);
    expect(course.sessions[1]!.weekday).toBe('tuesday');
  });
});

describe('loadCourseFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file', () => {
    expect(() => loadCourseFile(join(dir, 'missing.yaml'), 'missing.yaml')).toThrow(/missing\.yaml cannot be read: no such file/);
  });

  it('loads a file from disk and names it in errors by its label', () => {
    const path = join(dir, 'course.yaml');
    writeFileSync(path, GOOD);
    expect(loadCourseFile(path).course.sessions).toHaveLength(2);
    writeFileSync(path, MISMATCH);
    expect(() => loadCourseFile(path, 'my/course.yaml')).toThrow(/^my\/course\.yaml: 1 problem\nmy\/course\.yaml:15:9 /);
  });
});
