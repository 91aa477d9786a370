import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  type OwnEvent,
  desiredEvents,
  eventFor,
  eventKeyPrefix,
  eventMarker,
  formatEventKey,
  markedDate,
  parseEventKey,
  planSync,
} from '../../src/events/plan.js';
import { at, buildCourse, courseDoc } from '../support/course.js';

const doc = courseDoc();
const course = buildCourse(doc);
const hour = 3_600_000;

function own(date: string, overrides: Partial<OwnEvent> = {}): OwnEvent {
  const session = course.sessions.find((candidate) => candidate.date === date)!;
  return { ...eventFor(course, session), id: `9${date.replaceAll('-', '')}`, status: 'scheduled', mine: true, date, ...overrides };
}

describe('desiredEvents', () => {
  it('has one event per held session in the window, named, described, located and timed', () => {
    const events = desiredEvents(course, at(course, '2027-01-04T08:00'), 14);
    expect(events.map((event) => event.date)).toEqual(['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12']);
    const first = events[0]!;
    expect(first.name).toBe('Week 1 · Intro');
    expect(first.description).toBe('Frameworks: PyTorch\nPyTorch docs: https://pytorch.org/docs/\n\n[course-bot event demo:2027-01-04]');
    expect(first.location).toBe('Demo Course');
    expect(new Date(first.start).toISOString()).toBe('2027-01-04T08:00:00.000Z');
    expect(first.end - first.start).toBe(8 * hour);
    expect(events[2]!.name).toBe('Week 1 · Project');
  });

  it('leaves out sessions that started, cancelled ones, and days past the window', () => {
    const cancelled = buildCourse(
      courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Intro' }, { day: 'wednesday', topic: 'Configs', cancelled: 'ill' }, { day: 'friday', topic: 'Docker' }] }] }),
    );
    const events = desiredEvents(cancelled, at(cancelled, '2027-01-04T09:30'), 4);
    expect(events.map((event) => event.date)).toEqual([]);
    expect(desiredEvents(cancelled, at(cancelled, '2027-01-04T08:30'), 5).map((event) => event.date)).toEqual(['2027-01-04', '2027-01-08']);
  });

  it('takes the session location and end, else the course ones; the announcement time without dayStart', () => {
    const placed = buildCourse(
      courseDoc({
        course: { id: 'demo', name: 'Demo', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayEnd: '16:00', location: 'Building 101' },
        weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Intro', location: 'Room 2', end: '12:00' }, { day: 'tuesday', topic: 'More' }] }],
      }),
    );
    const [monday, tuesday] = desiredEvents(placed, at(placed, '2027-01-03T12:00'), 14);
    expect(monday).toMatchObject({ location: 'Room 2', start: Date.parse('2027-01-04T07:00:00Z'), end: Date.parse('2027-01-04T11:00:00Z') });
    expect(tuesday).toMatchObject({ location: 'Building 101', start: Date.parse('2027-01-05T07:00:00Z'), end: Date.parse('2027-01-05T15:00:00Z') });
  });

  it("keeps names, descriptions and locations within Discord's limits, the marker whole", () => {
    const long = buildCourse(
      courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'T'.repeat(300), note: 'N'.repeat(3000), location: 'L'.repeat(300) }] }] }),
    );
    const [event] = desiredEvents(long, at(long, '2027-01-03T12:00'), 14);
    expect([...event!.name]).toHaveLength(EVENT_LIMITS.name);
    expect(event!.name.endsWith('…')).toBe(true);
    expect(event!.description.length).toBeLessThanOrEqual(EVENT_LIMITS.description);
    expect(markedDate(event!.description, 'demo')).toBe('2027-01-04');
    expect(event!.location).toHaveLength(EVENT_LIMITS.location);
  });

  it('reads its own marker only, for its own course', () => {
    expect(markedDate(`text\n\n${eventMarker('demo', '2027-01-04')}`, 'demo')).toBe('2027-01-04');
    expect(markedDate(eventMarker('other', '2027-01-04'), 'demo')).toBeUndefined();
    expect(markedDate('[course-bot event demo:2027-01-04] then more', 'demo')).toBeUndefined();
  });
});

describe('planSync', () => {
  const now = at(course, '2027-01-04T08:00');

  it('creates every event when the server has none', () => {
    const plan = planSync({ course, now, days: 14, own: [], others: 0 });
    expect(plan.actions.map((action) => `${action.kind} ${action.kind === 'create' ? action.spec.date : ''}`)).toEqual([
      'create 2027-01-04',
      'create 2027-01-06',
      'create 2027-01-08',
      'create 2027-01-12',
    ]);
  });

  it('does nothing when the server agrees', () => {
    const events = ['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12'].map((date) => own(date));
    expect(planSync({ course, now, days: 14, own: events, others: 0 }).actions).toEqual([]);
  });

  it('edits an event whose session changed, and leaves a started one alone', () => {
    const events = [own('2027-01-04', { name: 'old' }), own('2027-01-06', { name: 'old' }), own('2027-01-08'), own('2027-01-12')];
    const plan = planSync({ course, now: at(course, '2027-01-04T09:30'), days: 14, own: events, others: 0 });
    expect(plan.actions).toEqual([{ kind: 'edit', id: events[1]!.id, from: '2027-01-06', spec: expect.objectContaining({ name: 'Week 1 · Configs' }) as unknown }]);
  });

  it('cancels the event of a cancelled session, not one that has started, and not one beyond the window', () => {
    const changed = buildCourse(courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Intro', cancelled: true }, { day: 'wednesday', topic: 'Configs', cancelled: true }, { day: 'friday', format: 'project' }] }, doc.weeks[1]!] }));
    const events = [own('2027-01-04', { start: now.getTime() - 1 }), own('2027-01-06'), own('2027-01-08'), own('2027-01-12')];
    const plan = planSync({ course: changed, now, days: 5, own: events, others: 0 });
    expect(plan.actions).toEqual([{ kind: 'cancel', id: events[1]!.id, date: '2027-01-06' }]);
  });

  it('moves the event of a session moved to another day, instead of cancelling and creating', () => {
    const moved = buildCourse(
      courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' }, { day: 'thursday', topic: 'Configs', frameworks: ['Hydra'] }, { day: 'friday', format: 'project' }] }, doc.weeks[1]!] }),
    );
    const events = ['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12'].map((date) => own(date));
    const plan = planSync({ course: moved, now, days: 14, own: events, others: 0 });
    expect(plan.actions).toEqual([{ kind: 'edit', id: events[1]!.id, from: '2027-01-06', spec: expect.objectContaining({ date: '2027-01-07', name: 'Week 1 · Configs' }) as unknown }]);
  });

  it('cancels a second event of its own for one date', () => {
    const events = ['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12'].map((date) => own(date));
    const twin = own('2027-01-06', { id: '99999999999' });
    expect(planSync({ course, now, days: 14, own: [...events, twin], others: 0 }).actions).toEqual([{ kind: 'cancel', id: twin.id, date: '2027-01-06' }]);
  });

  it('stops creating where the server would pass 100 events', () => {
    const plan = planSync({ course, now, days: 14, own: [own('2027-01-04')], others: 97 });
    expect(plan.actions.map((action) => (action.kind === 'create' ? action.spec.date : action.kind))).toEqual(['2027-01-06', '2027-01-08']);
    expect(plan.full).toEqual(['2027-01-12']);
  });
});

describe('EventKey', () => {
  it('keeps the string form the store holds and parses it back, scopes with colons and odd course ids included', () => {
    expect(formatEventKey({ scope: 'discord:1', courseId: 'demo', date: '2027-01-04' })).toBe('events:discord:1:demo:2027-01-04');
    expect(eventKeyPrefix('discord:1', 'demo')).toBe('events:discord:1:demo:');
    for (const key of [
      { scope: 'discord:1', courseId: 'mlops-2027', date: '2027-01-04' },
      { scope: 'a:b:c', courseId: 'x.y', date: '2028-02-29' },
      { scope: 'slack', courseId: 'events', date: '2027-12-31' },
    ]) {
      expect(parseEventKey(formatEventKey(key))).toEqual(key);
    }
  });

  it('reads nothing else as an event key, and refuses to format one it could not read back', () => {
    expect(parseEventKey('events:discord:1:denied')).toBeUndefined();
    expect(parseEventKey('events:discord:1:demo:2027-02-30')).toBeUndefined();
    expect(parseEventKey('demo:2027-01-04:daily:discord:1')).toBeUndefined();
    expect(() => formatEventKey({ scope: 'discord:1', courseId: 'de:mo', date: '2027-01-04' })).toThrow(/not an event key/);
  });
});
