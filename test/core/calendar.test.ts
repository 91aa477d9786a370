import { describe, expect, it } from 'vitest';
import {
  currentWeekNumber,
  dayStatus,
  findWeek,
  nextSessionAfter,
  sessionOn,
  sessionStart,
  today,
  upcomingSession,
} from '../../src/core/course/calendar.js';
import { at, buildCourse, courseDoc } from '../support/course.js';

/** The January 2024 edition: starts on a Tuesday, week 1 ends with a Saturday session. */
const course2024 = buildCourse(
  courseDoc({
    course: { id: 'mlops-2024', name: 'MLOps 2024', timezone: 'Europe/Copenhagen', start: '2024-01-02', dayStart: '09:00' },
    weeks: [
      {
        number: 1,
        sessions: [
          { date: '2024-01-02', day: 'tuesday', topic: 'Deep learning software' },
          { date: '2024-01-03', topic: 'MLOps: what is it?' },
          { day: 'thursday', topic: 'Reproducibility' },
          { day: 'friday', topic: 'Debugging' },
          { day: 'saturday', topic: 'Pytorch ecosystem', format: 'project' },
        ],
      },
      {
        number: 2,
        sessions: [
          { day: 'monday', topic: 'Continuous Integration' },
          { day: 'friday', format: 'project' },
        ],
      },
      { number: 3, sessions: [{ day: 'friday', topic: 'Exam', format: 'exam' }] },
    ],
    resources: [],
  }),
);

describe('calendar', () => {
  it('places weekday sessions from the start, including a Saturday in a week that starts on Tuesday', () => {
    expect(course2024.sessions.map((session) => `${session.date} ${session.weekday} w${session.week}`)).toEqual([
      '2024-01-02 tuesday w1',
      '2024-01-03 wednesday w1',
      '2024-01-04 thursday w1',
      '2024-01-05 friday w1',
      '2024-01-06 saturday w1',
      '2024-01-08 monday w2',
      '2024-01-12 friday w2',
      '2024-01-19 friday w3',
    ]);
  });

  it('finds the session of a date and the next one', () => {
    expect(sessionOn(course2024, '2024-01-06')?.topic).toBe('Pytorch ecosystem');
    expect(sessionOn(course2024, '2024-01-07')).toBeUndefined();
    expect(nextSessionAfter(course2024, '2024-01-06')?.date).toBe('2024-01-08');
    expect(nextSessionAfter(course2024, '2024-01-19')).toBeUndefined();
  });

  it.each([
    ['2023-12-31', 'before'],
    ['2024-01-01', 'before'],
    ['2024-01-02', 'session'],
    ['2024-01-07', 'free'],
    ['2024-01-09', 'free'],
    ['2024-01-19', 'session'],
    ['2024-01-20', 'after'],
  ])('%s is %s', (date, kind) => {
    expect(dayStatus(course2024, date).kind).toBe(kind);
  });

  it('tells a free day the next session, and its week', () => {
    const status = dayStatus(course2024, '2024-01-07');
    expect(status).toMatchObject({ kind: 'free', week: 1, next: { date: '2024-01-08', topic: 'Continuous Integration' } });
  });

  it('picks the week to show: the current one until its last session day has passed, then the next; clamped to the course', () => {
    expect(currentWeekNumber(course2024, '2023-12-01')).toBe(1);
    // Week 1 ends with a Saturday session: on it, week 1; on the Sunday after, week 2.
    expect(currentWeekNumber(course2024, '2024-01-06')).toBe(1);
    expect(currentWeekNumber(course2024, '2024-01-07')).toBe(2);
    expect(currentWeekNumber(course2024, '2024-01-08')).toBe(2);
    // Week 2's last session is on Friday 12 January: from Saturday on, week 3.
    expect(currentWeekNumber(course2024, '2024-01-12')).toBe(2);
    expect(currentWeekNumber(course2024, '2024-01-13')).toBe(3);
    expect(currentWeekNumber(course2024, '2024-01-19')).toBe(3);
    expect(currentWeekNumber(course2024, '2024-01-20')).toBe(3);
    expect(currentWeekNumber(course2024, '2024-03-01')).toBe(3);
    expect(findWeek(course2024, 2)?.sessions).toHaveLength(2);
    expect(findWeek(course2024, 4)).toBeUndefined();
  });

  it('reads "today" in the course zone whatever the machine zone', () => {
    const ny = buildCourse(courseDoc({ course: { ...courseDoc().course, timezone: 'America/New_York' } }));
    const instant = new Date('2027-01-05T03:00:00Z');
    expect(today(ny, instant)).toBe('2027-01-04');
    expect(today(buildCourse(), instant)).toBe('2027-01-05');
  });

  it('keeps the lecture at 09:00 local time across a DST change', () => {
    const spring = buildCourse(
      courseDoc({
        course: { id: 'spring', name: 'Spring', timezone: 'Europe/Copenhagen', start: '2027-03-22', dayStart: '09:00' },
        weeks: [{ number: 1, sessions: [{ day: 'friday', topic: 'Before' }] }, { number: 2, sessions: [{ day: 'monday', topic: 'After' }] }],
        resources: [],
      }),
    );
    const [before, after] = spring.sessions;
    expect(sessionStart(spring, before!)?.toISOString()).toBe('2027-03-26T08:00:00.000Z');
    expect(sessionStart(spring, after!)?.toISOString()).toBe('2027-03-29T07:00:00.000Z');
    // The week boundary does not move with the clock change.
    expect(after!.week).toBe(2);
  });

  it('takes "next" as today until the lecture starts, then the following session', () => {
    expect(upcomingSession(course2024, at(course2024, '2024-01-02T08:59'))?.date).toBe('2024-01-02');
    expect(upcomingSession(course2024, at(course2024, '2024-01-02T09:00'))?.date).toBe('2024-01-03');
    expect(upcomingSession(course2024, at(course2024, '2024-01-06T12:00'))?.date).toBe('2024-01-08');
    expect(upcomingSession(course2024, at(course2024, '2024-01-19T10:00'))).toBeUndefined();
    const noStart = buildCourse(courseDoc({ course: { id: 'x', name: 'X', timezone: 'UTC', start: '2027-01-04' } }));
    // Without a lecture time, today's session is "next" all day.
    expect(upcomingSession(noStart, at(noStart, '2027-01-04T23:00'))?.date).toBe('2027-01-04');
    expect(upcomingSession(noStart, at(noStart, '2027-01-05T06:00'))?.date).toBe('2027-01-06');
  });
});
