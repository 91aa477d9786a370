import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { defineCommand } from '../../../src/core/commands/command.js';
import { commands } from '../../../src/core/commands/registry.js';
import { UserFacingError } from '../../../src/core/errors.js';
import { message } from '../../../src/core/messages.js';
import type { CommandRequest } from '../../../src/core/commands/invoke.js';
import type { Actor, ScheduleAdmin } from '../../../src/core/ports.js';
import type { ReminderSettings } from '../../../src/core/reminders.js';
import { StateDbError } from '../../../src/store/state-db-error.js';
import {
  MALFORMED_REQUEST,
  type SlackDispatchDeps,
  type SlackReply,
  type SlashCommandPayload,
  handleSlashCommand,
  slashCommandNames,
} from '../../../src/platforms/slack/dispatch.js';
import { renderText } from '../../../src/platforms/slack/render.js';
import { at, buildCourse, courseDoc } from '../../support/course.js';
import { captureLogger } from '../../support/log.js';

const course = buildCourse();
const STUDENT = 'U0STUDENT01';
const TEACHER = 'U0TEACHER01';

const boom = defineCommand({
  name: 'boom',
  description: 'Always fails',
  audience: 'everyone',
  options: [],
  run: () => {
    throw new Error('database on fire');
  },
});

const lazy = defineCommand({
  name: 'lazy',
  description: 'Answers later, by mistake',
  audience: 'everyone',
  options: [],
  run: () => Promise.resolve(message({ title: 'too late' })),
});

/** What the dispatcher did, in order: acks and responses. */
type Step = readonly ['ack', SlackReply | undefined] | readonly ['respond', SlackReply] | readonly ['isInstructor', string, boolean];

function harness(overrides: Partial<SlackDispatchDeps> & { instructors?: readonly string[] } = {}) {
  const steps: Step[] = [];
  const actors: Actor[] = [];
  const { logger, lines } = captureLogger();
  const admin: ScheduleAdmin = {
    change: () => Promise.reject(new UserFacingError('bad-option', 'There is no session on Sat 9 Jan to cancel.')),
    undo: (actor) => {
      actors.push(actor);
      return Promise.resolve(undefined);
    },
    history: () => [],
    reload: () => Promise.resolve({ ok: true, changed: false }),
    announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
  };
  const instructors = overrides.instructors ?? [TEACHER];
  const deps: SlackDispatchDeps = {
    course: () => course,
    commands: [...commands, boom, lazy],
    clock: fixedClock(at(course, '2027-01-04T10:00')),
    logger,
    replyVisibility: 'ephemeral',
    prefix: '',
    admin,
    isInstructor: (userId) => {
      const yes = instructors.includes(userId);
      steps.push(['isInstructor', userId, yes]);
      return Promise.resolve(yes);
    },
    ...overrides,
  };
  const run = (payload: SlashCommandPayload) =>
    handleSlashCommand(
      payload,
      (reply) => {
        steps.push(['ack', reply]);
        return Promise.resolve();
      },
      (reply) => {
        steps.push(['respond', reply]);
        return Promise.resolve();
      },
      deps,
    );
  return { run, steps, lines, actors };
}

describe('Slack slash command dispatch', () => {
  it('answers a student command in the ack itself, ephemerally by default, as Block Kit with a text fallback', async () => {
    const { run, steps } = harness();
    expect(await run({ command: '/today', text: '', user_id: STUDENT })).toBe('ok');
    expect(steps).toHaveLength(1);
    const [kind, reply] = steps[0]!;
    expect(kind).toBe('ack');
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Week 1 · Monday 4 January 2027/) as unknown });
    expect((reply as SlackReply).blocks?.length).toBeGreaterThan(0);
  });

  it('answers in the channel when replies are public, and passes the text as options', async () => {
    const { run, steps } = harness({ replyVisibility: 'public' });
    expect(await run({ command: '/week', text: '2', user_id: STUDENT })).toBe('ok');
    expect(steps[0]).toEqual(['ack', expect.objectContaining({ response_type: 'in_channel', text: expect.stringMatching(/^Week 2/) as unknown })]);
  });

  it('strips the command prefix', async () => {
    const { run, steps } = harness({ prefix: 'mlops-' });
    expect(await run({ command: '/mlops-week', text: '2', user_id: STUDENT })).toBe('ok');
    expect((steps[0]![1] as SlackReply).text).toMatch(/^Week 2/);
  });

  it('refuses a bad option ephemerally with the reason, even when replies are public', async () => {
    const { run, steps } = harness({ replyVisibility: 'public' });
    expect(await run({ command: '/week', text: '9', user_id: STUDENT })).toBe('user_error');
    expect(steps).toEqual([['ack', expect.objectContaining({ response_type: 'ephemeral', text: 'There is no week 9. The course has weeks 1, 2.' })]]);
    const unclosed = harness();
    expect(await unclosed.run({ command: '/resources', text: '"pytorch', user_id: STUDENT })).toBe('user_error');
    expect(unclosed.steps[0]![1]).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Unclosed quote in/) as unknown });
  });

  it('shows an unexpected error as a reference that is in the log, never the details', async () => {
    const { run, steps, lines } = harness({ replyVisibility: 'public' });
    expect(await run({ command: '/boom', text: '', user_id: STUDENT })).toBe('error');
    const reply = steps[0]![1] as SlackReply;
    expect(reply.response_type).toBe('ephemeral');
    const ref = /^Something went wrong \(ref ([0-9a-f]{8})\)\. Please tell an instructor\.$/.exec(reply.text)?.[1];
    expect(ref).toBeDefined();
    expect(lines.find((line) => line.includes(`"ref":"${ref}"`))).toContain('database on fire');
    expect(reply.text).not.toContain('database on fire');
  });

  it('treats a student command that answers later as a bug, not as an answer', async () => {
    const { run, steps } = harness();
    expect(await run({ command: '/lazy', text: '', user_id: STUDENT })).toBe('error');
    expect((steps[0]![1] as SlackReply).text).toMatch(/^Something went wrong \(ref /);
  });

  it('acknowledges an instructor command first, then refuses a non-instructor through the response URL', async () => {
    const { run, steps, lines, actors } = harness();
    expect(await run({ command: '/course', text: 'undo', user_id: STUDENT })).toBe('refused');
    expect(steps).toEqual([
      ['ack', undefined],
      ['isInstructor', STUDENT, false],
      ['respond', expect.objectContaining({ response_type: 'ephemeral', text: 'Only instructors can use this command.' })],
    ]);
    expect(actors).toEqual([]);
    expect(lines.some((line) => line.includes('instructor command refused') && line.includes(STUDENT))).toBe(true);
  });

  it('runs an instructor command for an instructor, as them, and answers ephemerally through the response URL', async () => {
    const { run, steps, actors } = harness({ replyVisibility: 'public' });
    expect(await run({ command: '/course', text: 'undo', user_id: TEACHER, user_name: 'tess' })).toBe('ok');
    expect(steps).toEqual([
      ['ack', undefined],
      ['isInstructor', TEACHER, true],
      ['respond', expect.objectContaining({ response_type: 'ephemeral', text: expect.stringMatching(/^Nothing to undo/) as unknown })],
    ]);
    expect(actors).toEqual([{ platform: 'slack', id: TEACHER, name: 'tess' }]);
  });

  it('answers an instructor’s mistake with its reason, ephemerally', async () => {
    const { run, steps } = harness();
    expect(await run({ command: '/course', text: 'cancel 2027-01-09', user_id: TEACHER })).toBe('user_error');
    expect(steps.at(-1)).toEqual(['respond', expect.objectContaining({ response_type: 'ephemeral', text: 'There is no session on Sat 9 Jan to cancel.' })]);
    const unknown = harness();
    expect(await unknown.run({ command: '/course', text: 'explode', user_id: TEACHER })).toBe('user_error');
    expect((unknown.steps.at(-1)![1] as SlackReply).text).toMatch(/^\/course has no "explode"/);
  });

  it('reads a payload without text as an empty text, and refuses one it cannot read', async () => {
    const { run, steps } = harness();
    expect(await run({ command: '/today', user_id: STUDENT } as unknown as SlashCommandPayload)).toBe('ok');
    expect((steps[0]![1] as SlackReply).text).toMatch(/^Week 1 · Monday 4 January 2027/);
    const broken: unknown[] = [
      { command: '/today', text: '' },
      { command: '/today', text: '', user_id: '' },
      { command: '/course', text: 'undo', user_id: 42 },
      { command: 'today', text: '', user_id: STUDENT },
      { command: '/today', text: null, user_id: STUDENT },
      { command: '/today', text: ['a'], user_id: STUDENT },
      { text: '', user_id: STUDENT },
    ];
    for (const payload of broken) {
      const { run: again, steps: seen, lines } = harness();
      expect(await again(payload as SlashCommandPayload), JSON.stringify(payload)).toBe('user_error');
      expect(seen).toEqual([['ack', { response_type: 'ephemeral', ...renderText(MALFORMED_REQUEST) }]]);
      expect(lines.some((line) => line.includes('malformed slash command payload'))).toBe(true);
    }
  });

  it('lists /course in /help to an instructor only, and answers a student even when the instructor check hangs', async () => {
    const { run, steps } = harness();
    await run({ command: '/help', text: '', user_id: TEACHER });
    await run({ command: '/help', text: '', user_id: STUDENT });
    const [teacher, student] = steps.filter((step) => step[0] === 'ack').map((step) => (step[1] as SlackReply).text);
    expect(teacher).toContain('For instructors');
    expect(teacher).toContain('/course edit');
    expect(student).not.toContain('/course');
    const stuck = harness({ isInstructor: () => new Promise<boolean>(() => undefined) });
    expect(await stuck.run({ command: '/help', text: '', user_id: TEACHER })).toBe('ok');
    expect((stuck.steps[0]![1] as SlackReply).text).not.toContain('/course');
  });

  it('names the commands with their prefix in answers and refusals, as students must type them', async () => {
    const { run, steps } = harness({ prefix: 'mlops-' });
    await run({ command: '/mlops-help', text: '', user_id: TEACHER });
    await run({ command: '/mlops-wek', text: '', user_id: STUDENT });
    const [help, unknown] = steps.filter((step) => step[0] === 'ack').map((step) => step[1] as SlackReply);
    expect(help!.text).toContain('/mlops-today');
    expect(help!.text).toContain('/mlops-course edit');
    expect(help!.text).not.toMatch(/(^|\s)\/today/);
    expect(JSON.stringify(help!.blocks)).toContain('/mlops-week');
    expect(unknown!.text).toMatch(/Did you mean \/mlops-week\?/);
    expect(unknown!.text).not.toMatch(/(^|\s)\/help/);
  });

  it('asks its scope for the course with where the command was asked, and shows the scope’s choice when it has none', async () => {
    const asked: CommandRequest[] = [];
    const { run, steps } = harness({
      scope: (request) => {
        asked.push(request);
        return request.place.channelId === 'C0COURSE'
          ? { course, instructor: () => false }
          : { choose: message({ title: 'Which course? These are here: demo, other.' }) };
      },
    });
    expect(await run({ command: '/today', text: '', user_id: STUDENT, channel_id: 'C0COURSE', team_id: 'T0TEAM' })).toBe('ok');
    expect(await run({ command: '/today', text: '', user_id: STUDENT, channel_id: 'C0ELSE', team_id: 'T0TEAM' })).toBe('user_error');
    expect(asked).toEqual([
      { place: { platform: 'slack', guildId: 'T0TEAM', channelId: 'C0COURSE' }, asker: { actor: { platform: 'slack', id: STUDENT } } },
      { place: { platform: 'slack', guildId: 'T0TEAM', channelId: 'C0ELSE' }, asker: { actor: { platform: 'slack', id: STUDENT } } },
    ]);
    expect((steps[0]![1] as SlackReply).text).toMatch(/^Week 1 · Monday 4 January 2027/);
    expect(steps[1]).toEqual(['ack', expect.objectContaining({ response_type: 'ephemeral', text: 'Which course? These are here: demo, other.' })]);
  });

  it('takes a course:<id> word out of the text as the request’s course; /help lists the courses where there are several', async () => {
    const other = buildCourse(courseDoc({ course: { id: 'ds', name: 'Data Science', timezone: 'UTC', start: '2027-01-04' } }));
    const asked: (string | undefined)[] = [];
    const { run, steps } = harness({
      scope: (request) => {
        asked.push(request.course);
        if (request.course === 'ds') return { course: other, instructor: () => false };
        if (request.course === 'demo') return { course, instructor: () => false };
        return { choose: message({ title: 'Which course? demo or ds.' }) };
      },
      courses: () => [
        { id: 'demo', name: 'Demo Course' },
        { id: 'ds', name: 'Data Science' },
      ],
    });
    expect(await run({ command: '/week', text: 'course:ds 2', user_id: STUDENT, channel_id: 'C0ELSE' })).toBe('ok');
    expect(await run({ command: '/week', text: '2 course:"demo"', user_id: STUDENT, channel_id: 'C0ELSE' })).toBe('ok');
    expect(await run({ command: '/week', text: '2', user_id: STUDENT, channel_id: 'C0ELSE' })).toBe('user_error');
    expect(await run({ command: '/help', text: 'course:ds', user_id: STUDENT, channel_id: 'C0ELSE' })).toBe('ok');
    expect(asked).toEqual(['ds', 'demo', undefined, 'ds']);
    const texts = steps.map((step) => (step[1] as SlackReply).text);
    expect(texts[0]).toMatch(/^Week 2\n/);
    expect(texts[0]).toContain('Data Science');
    expect(texts[1]).toContain('Demo Course');
    expect(texts[2]).toBe('Which course? demo or ds.');
    const help = JSON.stringify(steps[3]![1]);
    expect(help).toContain('add course:&lt;id&gt;');
    expect(help).toContain('ds — Data Science');
  });

  it('tells a student whose setting the state database cannot keep "Not saved" and what to do, not an error reference', async () => {
    const reminders: ReminderSettings = {
      evening: '18:00',
      get: () => ({}),
      set: () => {
        throw new StateDbError('/var/lib/bot/state.db', 'STATE_DB /var/lib/bot/state.db: the disk is full; free space, then try again.', { problem: 'full' });
      },
    };
    const { run, steps, lines } = harness({ reminders });
    expect(await run({ command: '/remind', text: 'evening', user_id: STUDENT })).toBe('user_error');
    expect(steps).toEqual([
      ['ack', expect.objectContaining({ response_type: 'ephemeral', text: 'Not saved: STATE_DB /var/lib/bot/state.db: the disk is full; free space, then try again.' })],
    ]);
    expect(lines.some((line) => line.includes('command failed'))).toBe(false);
  });

  it('registers each command once, and one command per group', () => {
    const names = slashCommandNames(commands);
    expect(names).toContain('/today');
    expect(names.filter((name) => name === '/course')).toHaveLength(1);
    expect(names).toEqual([...new Set(names)]);
    expect(slashCommandNames(commands, 'mlops-').every((name) => name.startsWith('/mlops-'))).toBe(true);
  });
});
