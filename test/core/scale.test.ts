import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { MAX_CHOICES } from '../../src/core/commands/command.js';
import { matchResources } from '../../src/core/commands/resources.js';
import { suggestSessionDates } from '../../src/core/commands/today.js';
import { applyChanges } from '../../src/core/course/changes.js';
import { addDays, formatLongDate, formatShortDate } from '../../src/core/course/dates.js';
import type { Course, Resource, Session } from '../../src/core/course/model.js';
import { parseCourse } from '../../src/core/course/parse.js';
import { type Message, message } from '../../src/core/messages.js';
import { commands } from '../../src/core/commands/registry.js';
import { normalize, sessionLine, sessionResources } from '../../src/core/views.js';
import { contextAt, courseDoc } from '../support/course.js';

const FRAMEWORKS = ['PyTorch', 'Hydra', 'Docker', 'Weights & Biases', 'Optuna'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;

/** A course of `weeks` weeks of five sessions, with resources tagged by framework (some tags twice). */
function longCourse(weeks: number): { course: Course; file: unknown } {
  const doc = courseDoc({
    weeks: Array.from({ length: weeks }, (_, week) => ({
      number: week + 1,
      sessions: DAYS.map((day, index) => ({
        day,
        topic: `Topic ${week * 5 + index} on ${FRAMEWORKS[(week + index) % FRAMEWORKS.length]}`,
        frameworks: [FRAMEWORKS[(week + index) % FRAMEWORKS.length]!, FRAMEWORKS[(week + index + 2) % FRAMEWORKS.length]!],
        resources: [`r${(week + index) % 30}`],
      })),
    })),
    resources: Array.from({ length: 30 }, (_, index) => ({
      id: `r${index}`,
      title: `Guide ${index}`,
      url: `https://example.org/${index % 25}`,
      tags: [FRAMEWORKS[index % FRAMEWORKS.length]!.toLowerCase(), FRAMEWORKS[index % FRAMEWORKS.length]!, `topic${index % 7}`],
    })),
  });
  const result = parseCourse(doc);
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('\n'));
  return { course: result.course, file: result.file };
}

describe('a long course costs no more than it must', () => {
  it('formats dates of 1900–2999 as luxon does in en-GB (September is "Sept")', () => {
    const wrong: string[] = [];
    const check = (from: string, to: string, step: number) => {
      for (let date = from; date <= to; date = addDays(date, step)) {
        const luxon = DateTime.fromISO(date, { zone: 'utc' }).setLocale('en-GB');
        const [long, short] = [luxon.toFormat('cccc d LLLL yyyy'), luxon.toFormat('ccc d LLL')];
        if (formatLongDate(date) !== long || formatShortDate(date) !== short) wrong.push(`${date}: ${formatLongDate(date)} / ${formatShortDate(date)}`);
      }
    };
    // Every day of four years (one a leap year), and every 13th day (all weekdays, months and days) of the rest.
    check('2026-01-01', '2029-12-31', 1);
    check('1900-01-01', '2999-12-31', 13);
    expect(wrong).toEqual([]);
    expect(formatLongDate('2027-01-04')).toBe('Monday 4 January 2027');
    expect(formatShortDate('2027-09-14')).toBe('Tue 14 Sept');
    expect(() => formatLongDate('2027-02-30')).toThrow(RangeError);
  });

  it('checks a course file once: reading it again (no stored changes) gives the same course', () => {
    const { course, file } = longCourse(4);
    const again = parseCourse(file);
    expect(again.ok && again.course).toBe(course);
    const applied = applyChanges(file as never, []);
    expect(applied.course).toBe(course);
    expect(applied.skipped).toEqual([]);
    // A copy is a new document: checked again, with the same result.
    const copy = parseCourse(structuredClone(file));
    expect(copy.ok && copy.course).not.toBe(course);
    expect(copy.ok && copy.course).toEqual(course);
  });

  it('suggests at most 25 session days, upcoming first then the past from the latest, filtered by what was typed', () => {
    const { course } = longCourse(40);
    const context = contextAt(course, '2027-06-02T10:00');
    // What it gave when it built every choice.
    const every = (typed: string) => {
      const current = '2027-06-02';
      const upcoming = course.sessions.filter((session) => session.date >= current);
      const past = course.sessions.filter((session) => session.date < current).reverse();
      return [...upcoming, ...past]
        .map((session) => ({ name: `${session.date} · ${sessionLine(session)}`, value: session.date }))
        .filter((choice) => normalize(choice.name).includes(normalize(typed)));
    };
    // Dates being typed (digits and dashes, found without writing the names) and words.
    const typings = ['', '2027-05', 'hydra', '2027-0', 'nothing like it', 'Topic 1', '1', '12', '3', '30', '0', '-', '--', '-1', '1-', '2027-1', '7-0', '07', '7'];
    for (const typed of typings) {
      const choices = suggestSessionDates(context, typed);
      expect(choices, typed).toEqual(every(typed).slice(0, MAX_CHOICES));
    }
    // Digits and dashes in topics, cancelled days (their frameworks not shown) and frameworks.
    const odd = courseDoc({
      weeks: Array.from({ length: 12 }, (_, week) => ({
        number: week + 1,
        sessions: DAYS.map((day, index) => ({
          day,
          ...(index % 3 === 0 && { topic: `Lab ${week}-${index} of 2027-0${index}` }),
          ...(index === 2 && { format: 'project' }),
          frameworks: [`Python 3-${week}`, `ONNX ${index}0`],
          ...(index === 4 && { cancelled: week % 2 === 0 ? true : `moved to 2027-1${week % 10}` }),
        })),
      })),
    });
    const parsed = parseCourse(odd);
    if (!parsed.ok) throw new Error(parsed.issues.map((issue) => issue.message).join('\n'));
    const oddContext = contextAt(parsed.course, '2027-02-10T10:00');
    const everyOdd = (typed: string) => {
      const sessions = parsed.course.sessions;
      const upcoming = sessions.filter((session) => session.date >= '2027-02-10');
      const past = sessions.filter((session) => session.date < '2027-02-10').reverse();
      return [...upcoming, ...past]
        .map((session) => ({ name: `${session.date} · ${sessionLine(session)}`, value: session.date }))
        .filter((choice) => normalize(choice.name).includes(normalize(typed)));
    };
    for (const typed of [...typings, '3-1', '2027-0', '10', '40', '2027-11', '-0', '0-', '3-', '9-4']) {
      expect(suggestSessionDates(oddContext, typed), typed).toEqual(everyOdd(typed).slice(0, MAX_CHOICES));
    }
    expect(suggestSessionDates(context, '')[0]!.value).toBe('2027-06-02');
    expect(suggestSessionDates(context, '')).toHaveLength(25);
    // Past the end: the latest days first.
    const after = suggestSessionDates(contextAt(course, '2028-01-01T10:00'), '');
    expect(after[0]!.value).toBe(course.sessions.at(-1)!.date);
    expect(after[1]!.value).toBe(course.sessions.at(-2)!.date);
  });

  it('finds a session’s resources through the course’s index: those it names, then by framework in file order, once each', () => {
    const { course } = longCourse(6);
    const scan = (session: Session): Resource[] => {
      const named = session.resources.map((id) => course.resources.find((resource) => resource.id === id)!);
      const frameworks = new Set(session.frameworks.map(normalize));
      const matched = course.resources.filter((resource) => resource.tags.some((tag) => frameworks.has(normalize(tag))));
      return [...new Set([...named, ...matched])];
    };
    for (const session of course.sessions) expect(sessionResources(course, session)).toEqual(scan(session));
    const found = matchResources(course, 'topic 3');
    expect(found.map((resource) => resource.id).slice(0, 2)).toEqual(['r3', 'r10']);
    expect(matchResources(course, 'w&b').map((resource) => resource.id)).toEqual(['r3', 'r8', 'r13', 'r18', 'r23', 'r28']);
    // Nothing whole: the tags starting with it, then the resources of the sessions whose topic has a word starting with it.
    expect(matchResources(course, 'hydr').map((resource) => resource.id)).toEqual(['r1', 'r6', 'r11', 'r16', 'r21', 'r26', 'r3', 'r8', 'r13', 'r18', 'r23', 'r28']);
  });

  it('writes /schedule once per course revision, and answers a repeated /resources query from memory', () => {
    const { course, file } = longCourse(3);
    const context = contextAt(course, '2027-01-05T10:00');
    const schedule = commands.find((command) => command.name === 'schedule')!;
    const first = schedule.run(context, {});
    expect(schedule.run(context, {})).toBe(first);
    const edited = applyChanges(file as never, [{ id: 1, change: { kind: 'edit', date: '2027-01-05', topic: 'A new topic' } }]);
    const after = schedule.run({ ...context, course: edited.course }, {}) as Message;
    expect(after).not.toBe(first);
    expect(after.sections[0]!.lines[1]).toContain('A new topic');
    expect((first as Message).sections[0]!.lines[1]).not.toContain('A new topic');

    const found = matchResources(course, 'hydra');
    const ids = found.map((resource) => resource.id);
    expect(ids.slice(0, 6)).toEqual(['r1', 'r6', 'r11', 'r16', 'r21', 'r26']);
    // The caller's copy: emptying it does not change the next answer.
    found.length = 0;
    expect(matchResources(course, 'hydra').map((resource) => resource.id)).toEqual(ids);
  });

  it('keeps the first link of each URL in a message, in order', () => {
    const links = [1, 2, 1, 3, 2, 4].map((n, index) => ({ label: `L${index}`, url: `https://example.org/${n}` }));
    expect(message({ title: 't', links }).links.map((link) => link.label)).toEqual(['L0', 'L1', 'L3', 'L5']);
  });
});
