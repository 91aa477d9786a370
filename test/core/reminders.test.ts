import { describe, expect, it } from 'vitest';
import { type Subscriber, parseReminderKey, planReminders, reminderKey, reminderMessage, reminderTime, setupFor } from '../../src/core/reminders.js';
import { sessionOn } from '../../src/core/course/calendar.js';
import { at, buildCourse, contextAt, courseDoc, userError } from '../support/course.js';
import { runCommandLine } from '../../src/core/commands/parse.js';
import type { Message } from '../../src/core/messages.js';
import { ReminderBook } from '../../src/store/reminders.js';
import { MemoryStore } from '../../src/store/memory-store.js';

const course = buildCourse(
  courseDoc({
    setup: [
      { title: 'Clone', command: 'git clone https://example.org/repo' },
      { title: 'Install Hydra', command: 'pip install hydra-core', url: 'https://hydra.cc/docs/intro/#installation' },
    ],
  }),
);
const student = (kind: Subscriber['kind'], userId = 'u1', closedDays: string[] = []): Subscriber => ({ platform: 'discord', userId, kind, closedDays });
const plan = (local: string, subscribers: Subscriber[], done: string[] = []) =>
  planReminders({ course, now: at(course, local), evening: '18:00', subscribers, isDone: (key) => done.includes(key) });

describe('reminder times', () => {
  it('sends evening reminders the evening before at REMINDER_EVENING and morning ones an hour before dayStart', () => {
    expect(reminderTime(course, '2027-01-06', 'evening', '18:00')).toEqual(at(course, '2027-01-05T18:00'));
    expect(reminderTime(course, '2027-01-06', 'morning', '18:00')).toEqual(at(course, '2027-01-06T08:00'));
    expect(reminderTime(course, '2027-01-06', 'evening', '19:30')).toEqual(at(course, '2027-01-05T19:30'));
  });
});

describe('planReminders', () => {
  it('is due for evening subscribers from 18:00 the day before, once per student and session', () => {
    expect(plan('2027-01-05T17:59', [student('evening')]).due).toEqual([]);
    expect(plan('2027-01-05T17:59', [student('evening')]).nextAt).toEqual(at(course, '2027-01-05T18:00'));
    const due = plan('2027-01-05T18:00', [student('evening'), student('morning', 'u2'), student('evening', 'u3')]).due;
    expect(due.map((entry) => [entry.key, entry.date])).toEqual([
      ['remind:demo:2027-01-06:discord:u1', '2027-01-06'],
      ['remind:demo:2027-01-06:discord:u3', '2027-01-06'],
    ]);
    expect(plan('2027-01-05T18:00', [student('evening')], ['remind:demo:2027-01-06:discord:u1']).due).toEqual([]);
  });

  it('sends morning reminders an hour before the lecture, until it starts', () => {
    expect(plan('2027-01-06T07:59', [student('morning')]).due).toEqual([]);
    expect(plan('2027-01-06T08:30', [student('morning')]).due.map((entry) => entry.key)).toEqual(['remind:demo:2027-01-06:discord:u1']);
    // A bot that was down overnight still sends the evening reminder in the morning, until the lecture starts.
    expect(plan('2027-01-06T08:30', [student('evening')]).due.map((entry) => entry.key)).toEqual(['remind:demo:2027-01-06:discord:u1']);
    expect(plan('2027-01-06T09:00', [student('morning'), student('evening', 'u2')]).due).toEqual([]);
  });

  it('sends nothing on free days', () => {
    // Tuesday 5 Jan and the weekend have no session: nothing is due on their mornings, nor the evening before.
    expect(plan('2027-01-05T08:30', [student('morning')]).due).toEqual([]);
    expect(plan('2027-01-09T18:30', [student('evening')]).due).toEqual([]);
    expect(plan('2027-01-10T08:30', [student('morning')]).due).toEqual([]);
  });

  it('skips a student on a day their DMs were found closed', () => {
    expect(plan('2027-01-05T18:00', [student('evening', 'u1', ['2027-01-05'])]).due).toEqual([]);
    expect(plan('2027-01-05T18:00', [student('evening', 'u1', ['2027-01-04'])]).due).toHaveLength(1);
  });

  it('sends a short cancelled note to those who would have got a reminder', () => {
    const doc = courseDoc();
    const cancelled = buildCourse({
      ...doc,
      weeks: doc.weeks.map((week, index) =>
        index === 0 ? { ...week, sessions: week.sessions!.map((session, n) => (n === 1 ? { ...session, cancelled: 'instructor ill' } : session)) } : week,
      ),
    });
    const due = planReminders({ course: cancelled, now: at(course, '2027-01-05T18:00'), evening: '18:00', subscribers: [student('evening')], isDone: () => false }).due;
    expect(due).toHaveLength(1);
    expect(due[0]!.message.title).toBe("Tomorrow's session in Demo Course is cancelled");
    expect(due[0]!.message.text).toContain('Configs (instructor ill)');
    expect(due[0]!.message.links).toEqual([]);
  });

  it('keys parse back, user ids with colons included', () => {
    expect(parseReminderKey(reminderKey(course, '2027-01-06', 'slack', 'T1:U2'))).toEqual({ courseId: 'demo', date: '2027-01-06', platform: 'slack', userId: 'T1:U2' });
    expect(parseReminderKey('demo:2027-01-06:daily:discord:1')).toBeUndefined();
  });
});

describe('reminderMessage', () => {
  it('gives week, topic, frameworks, the lecture time, links and what to prepare', () => {
    const session = sessionOn(course, '2027-01-06')!;
    const text: Message = reminderMessage(course, session, 'evening');
    expect(text.title).toBe('Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027');
    expect(text.description).toBe('Configs');
    expect(text.time).toMatchObject({ label: 'Lecture starts', local: '09:00 (Europe/Copenhagen)' });
    expect(text.sections).toContainEqual({ heading: 'Frameworks', lines: ['Hydra'], inline: true });
    expect(text.sections).toContainEqual({ heading: 'To prepare', lines: ['Have ready: Hydra', 'Install Hydra: $ pip install hydra-core'] });
    expect(text.links.map((link) => link.url)).toEqual(['https://hydra.cc/docs/intro/', 'https://hydra.cc/docs/intro/#installation']);
    expect(reminderMessage(course, session, 'morning').title).toBe('Today in Demo Course: Week 1 · Wednesday 6 January 2027');
    expect(setupFor(course, sessionOn(course, '2027-01-04')!)).toEqual([]);
  });
});

describe('/remind', () => {
  const book = () => new ReminderBook(new MemoryStore(), '18:00', course.id);
  const run = (line: string, reminders = book(), platform = 'discord') =>
    runCommandLine(line, { ...contextAt(course, '2027-01-05T10:00'), actor: { platform, id: 'u1' }, reminders }) as Message;

  it('sets, shows and clears the asker’s reminder', () => {
    const reminders = book();
    expect(run('/remind', reminders).title).toBe(
      'Reminders: off. /remind evening (the evening before) or /remind morning (an hour before the session) sends you a direct message.',
    );
    expect(run('/remind evening', reminders).title).toBe(
      'Done. Reminders: on, the evening before each session at 18:00 (Europe/Copenhagen), as a direct message. /remind off stops them.',
    );
    expect(run('/remind', reminders).title).toContain('the evening before each session at 18:00');
    expect(run('/remind', reminders, 'slack').title).toContain('Reminders: off.');
    expect(run('/remind morning', reminders).title).toContain('on the morning of each session at 08:00 (Europe/Copenhagen)');
    expect(reminders.subscribers()).toEqual([{ platform: 'discord', userId: 'u1', kind: 'morning', closedDays: [] }]);
    expect(run('/remind off', reminders).title).toContain('Done. Reminders: off.');
    expect(reminders.subscribers()).toEqual([]);
  });

  it('acts on the course the request was routed to (its scope\'s reminders), never on another course on the same store', () => {
    const store = new MemoryStore();
    const other = { ...course, id: 'other', name: 'Other Course' };
    const a = new ReminderBook(store, '18:00', course.id);
    const b = new ReminderBook(store, '18:00', other.id);
    const inB = (line: string) => runCommandLine(line, { ...contextAt(other, '2027-01-05T10:00'), actor: { platform: 'discord', id: 'u1' }, reminders: b }) as Message;
    expect(run('/remind evening', a).title).toContain('Done. Reminders: on');
    expect(inB('/remind').title).toContain('Reminders: off.');
    expect(inB('/remind morning').title).toContain('Done. Reminders: on, on the morning');
    expect(inB('/remind off').title).toContain('Done. Reminders: off.');
    expect(run('/remind', a).title).toContain('Reminders: on, the evening before each session');
    expect(store.listKeys('reminder:sub:')).toEqual(['reminder:sub:demo:discord:u1']);
  });

  it('lists subscribers whose user ids contain colons (Slack team and user) as they were set', () => {
    const reminders = book();
    reminders.set('slack', 'T1:U2', 'evening');
    expect(reminders.subscribers()).toEqual([{ platform: 'slack', userId: 'T1:U2', kind: 'evening', closedDays: [] }]);
  });

  it('refuses an unknown setting in one line, and says so where reminders are unavailable', () => {
    expect(userError(() => run('/remind weekly')).message).toBe('"weekly" is no reminder setting: use /remind evening, /remind morning or /remind off.');
    expect(userError(() => runCommandLine('/remind', contextAt(course, '2027-01-05T10:00'))).message).toBe('Reminders are not available here.');
  });

  it('says why the bot turned a reminder off', () => {
    const reminders = book();
    run('/remind evening', reminders);
    for (const day of ['2027-01-05', '2027-01-05', '2027-01-06']) expect(reminders.recordClosed('discord', 'u1', day).turnedOff).toBe(false);
    expect(reminders.recordClosed('discord', 'u1', '2027-01-07')).toEqual({ turnedOff: true, closedDays: 3 });
    expect(reminders.subscribers()).toEqual([]);
    expect(run('/remind', reminders).title).toBe(
      'Reminders: off. The bot turned them off because your direct messages were closed on 3 days. Allow direct messages from server members, then /remind evening or /remind morning.',
    );
    run('/remind evening', reminders);
    reminders.recordGone('discord', 'u1');
    expect(run('/remind', reminders).title).toContain('because you left the server');
    expect(reminders.counts()).toEqual({ evening: 0, morning: 0, stoppedClosedDms: 0, stoppedLeft: 1 });
  });
});
