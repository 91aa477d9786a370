import { describe, expect, it } from 'vitest';
import { announcementKey, nonceFor, planAnnouncements, postTime } from '../../src/announcer/plan.js';
import type { Course } from '../../src/core/course/model.js';
import { at, buildCourse, courseDoc } from '../support/course.js';

const course = buildCourse();
const targets = ['discord:1', 'terminal'];

function plan(c: Course, now: Date, done: readonly string[] = [], options: { ignoreTime?: boolean } = {}) {
  return planAnnouncements({ course: c, now, targets, isDone: (key) => done.includes(key), ...options });
}

describe('planAnnouncements', () => {
  it.each([
    ['before the announcement time', '2027-01-04T07:59', []],
    ['at the announcement time', '2027-01-04T08:00', ['demo:2027-01-04:daily:discord:1', 'demo:2027-01-04:daily:terminal']],
    ['inside the catch-up window', '2027-01-04T11:59', ['demo:2027-01-04:daily:discord:1', 'demo:2027-01-04:daily:terminal']],
    ['after the catch-up window', '2027-01-04T12:00', []],
    ['on a day without a session', '2027-01-05T08:30', []],
    ['before the course', '2026-12-28T08:30', []],
    ['after the course', '2027-01-13T08:30', []],
  ])('%s (%s)', (_label, local, keys) => {
    expect(plan(course, at(course, local)).due.map((due) => due.key)).toEqual(keys);
  });

  it('leaves out what is done, and says what the catch-up window missed', () => {
    const now = at(course, '2027-01-04T09:00');
    expect(plan(course, now, ['demo:2027-01-04:daily:terminal']).due.map((due) => due.target)).toEqual(['discord:1']);
    const late = plan(course, at(course, '2027-01-04T12:30'), ['demo:2027-01-04:daily:terminal']);
    expect(late.missed).toEqual([
      {
        key: 'demo:2027-01-04:daily:discord:1',
        reason: 'started after 12:00 (catchUpUntil), too late for the 08:00 post',
      },
    ]);
  });

  it('posts the day card, and the weekly overview on a week’s first session day when asked', () => {
    const weekly = buildCourse(courseDoc({ announcements: { time: '08:00', weeklyOverview: true } }));
    const monday = plan(weekly, at(weekly, '2027-01-04T08:00'));
    expect(monday.due.map((due) => `${due.kind} ${due.target} ${due.message.title}`)).toEqual([
      'weekly discord:1 This week in Demo Course: Week 1',
      'daily discord:1 Good morning! Today in Demo Course: Week 1 · Monday 4 January 2027',
      'weekly terminal This week in Demo Course: Week 1',
      'daily terminal Good morning! Today in Demo Course: Week 1 · Monday 4 January 2027',
    ]);
    expect(plan(weekly, at(weekly, '2027-01-06T08:00')).due.map((due) => due.kind)).toEqual(['daily', 'daily']);
    expect(plan(weekly, at(weekly, '2027-01-12T08:00')).due.map((due) => due.kind)).toEqual(['weekly', 'daily', 'weekly', 'daily']);
  });

  it('always posts in the announcement minute itself, even when catchUpUntil is that time', () => {
    const noon = buildCourse(courseDoc({ announcements: { time: '12:00' } }));
    expect(plan(noon, at(noon, '2027-01-04T12:00')).due).toHaveLength(2);
    expect(plan(noon, at(noon, '2027-01-04T12:01')).due).toHaveLength(0);
  });

  it('tells when to wake up next', () => {
    expect(plan(course, at(course, '2027-01-04T07:00')).nextAt?.toISOString()).toBe('2027-01-04T07:00:00.000Z');
    expect(plan(course, at(course, '2027-01-04T09:00')).nextAt?.toISOString()).toBe('2027-01-06T07:00:00.000Z');
    expect(plan(course, at(course, '2027-01-12T09:00')).nextAt).toBeUndefined();
  });

  it('posts now whatever the time when asked, with the same key', () => {
    const early = plan(course, at(course, '2027-01-04T06:00'), [], { ignoreTime: true });
    expect(early.due.map((due) => due.key)).toEqual(['demo:2027-01-04:daily:discord:1', 'demo:2027-01-04:daily:terminal']);
    expect(plan(course, at(course, '2027-01-05T06:00'), [], { ignoreTime: true }).due).toEqual([]);
  });
});

describe('announcements on DST change days', () => {
  /** A course with a session on `date`, posting at `time` in `zone`. */
  const dstCourse = (zone: string, date: string, time: string) =>
    buildCourse(
      courseDoc({
        course: { id: 'dst', name: 'DST', timezone: zone, start: date },
        announcements: { time, catchUpUntil: '12:00' },
        weeks: [{ number: 1, sessions: [{ date, topic: 'Clock change' }] }],
        resources: [],
      }),
    );

  it.each([
    // zone, date, time, expected post instant (UTC)
    ['Europe/Copenhagen', '2027-03-28', '02:30', '2027-03-28T01:00:00.000Z'],
    ['America/New_York', '2027-03-14', '02:30', '2027-03-14T07:00:00.000Z'],
    ['Australia/Sydney', '2027-10-03', '02:30', '2027-10-02T16:00:00.000Z'],
  ])('spring forward in %s: a skipped %s %s posts at the first valid minute', (zone, date, time, utc) => {
    const c = dstCourse(zone, date, time);
    expect(postTime(c, date).toISOString()).toBe(utc);
    const instant = new Date(utc);
    expect(plan(c, new Date(instant.getTime() - 1_000)).due).toEqual([]);
    expect(plan(c, instant).due).toHaveLength(2);
  });

  it.each([
    ['Europe/Copenhagen', '2027-10-31', '02:30', '2027-10-31T00:30:00.000Z', '2027-10-31T01:30:00.000Z'],
    ['America/New_York', '2027-11-07', '01:30', '2027-11-07T05:30:00.000Z', '2027-11-07T06:30:00.000Z'],
    ['Australia/Sydney', '2027-04-04', '02:30', '2027-04-03T15:30:00.000Z', '2027-04-03T16:30:00.000Z'],
  ])('fall back in %s: %s %s happens twice and posts once, at the first', (zone, date, time, first, second) => {
    const c = dstCourse(zone, date, time);
    expect(postTime(c, date).toISOString()).toBe(first);
    const firstPlan = plan(c, new Date(first));
    expect(firstPlan.due).toHaveLength(2);
    const done = firstPlan.due.map((due) => due.key);
    expect(plan(c, new Date(second), done).due).toEqual([]);
    // Same local date, same keys: the second occurrence cannot post again.
    expect(plan(c, new Date(second)).due.map((due) => due.key)).toEqual(done);
  });
});

describe('keys and nonces', () => {
  it('are deterministic, distinct per key, and nonces fit Discord’s 25 characters', () => {
    const key = announcementKey(course, '2027-01-04', 'daily', 'discord:123456789012345678');
    expect(key).toBe('demo:2027-01-04:daily:discord:123456789012345678');
    expect(nonceFor(key)).toBe(nonceFor(key));
    expect(nonceFor(key)).not.toBe(nonceFor(key.replace('04', '05')));
    expect(nonceFor(key).length).toBeLessThanOrEqual(25);
    expect(nonceFor(`${'x'.repeat(500)}`).length).toBeLessThanOrEqual(25);
  });
});
