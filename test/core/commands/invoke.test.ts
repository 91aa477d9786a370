import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { AnswerCache } from '../../../src/core/commands/answers.js';
import { defineCommand } from '../../../src/core/commands/command.js';
import {
  type CommandRequest,
  INSTRUCTORS_ONLY,
  type InvocationLog,
  type InvocationOutcome,
  Invoker,
  type InvokerOptions,
  NO_LONGER_AVAILABLE,
  PreparedInvocation,
  type Scope,
  type ScopeResolver,
  oneCourseScope,
} from '../../../src/core/commands/invoke.js';
import { commands } from '../../../src/core/commands/registry.js';
import { UserFacingError } from '../../../src/core/errors.js';
import { message } from '../../../src/core/messages.js';
import type { ScheduleAdmin } from '../../../src/core/ports.js';
import { at, buildCourse, courseDoc } from '../../support/course.js';

const course = buildCourse();
const clock = fixedClock(at(course, '2027-01-04T10:00'));

/** A log that keeps what it is told, as `level message {fields}`. */
function recordingLog(): InvocationLog & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (fields: object, text: string) => lines.push(`${level} ${text} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? value.message : value))}`);
  return { lines, debug: keep('debug'), warn: keep('warn'), error: keep('error') };
}

let runs = 0;
const counted = defineCommand({
  name: 'counted',
  description: 'Counts its runs',
  audience: 'everyone',
  options: [{ name: 'n', type: 'integer', description: 'n', min: 1 }],
  run: (_context, { n }) => {
    runs += 1;
    return message({ title: `n=${n ?? '-'}` });
  },
});
const boom = defineCommand({
  name: 'boom',
  description: 'Fails',
  audience: 'everyone',
  options: [],
  run: () => {
    throw new Error('database on fire');
  },
});
const lazy = defineCommand({ name: 'lazy', description: 'Late', audience: 'everyone', options: [], run: () => Promise.resolve(message({ title: 'late' })) });
/** A store error as the platforms see one: not the core's to know. */
class DiskFull extends Error {}
const full = defineCommand({
  name: 'full',
  description: 'The store cannot write',
  audience: 'everyone',
  options: [],
  run: () => {
    throw new DiskFull('the disk is full');
  },
});
const whoami = defineCommand({
  name: 'whoami',
  description: 'Who asks',
  audience: 'everyone',
  own: true,
  options: [],
  run: ({ actor, course: current }) => message({ title: `${actor?.platform}:${actor?.id} in ${current.id}` }),
});

const admin: ScheduleAdmin = {
  change: () => Promise.reject(new UserFacingError('bad-option', 'There is no session on Sat 9 Jan to cancel.')),
  undo: (actor) => Promise.resolve({ record: { id: 1, change: { kind: 'cancel', date: '2027-01-06' }, actor, at: 0 } as never, noticed: false }),
  history: () => [],
  reload: () => Promise.resolve({ ok: true, changed: false }),
  announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
};

const request = (id = 'u1', extra: Partial<CommandRequest> = {}): CommandRequest => ({
  place: { platform: 'test', guildId: 'g1', channelId: 'c1' },
  asker: { actor: { platform: 'test', id } },
  ...extra,
});

function setup(options: Partial<InvokerOptions> & { instructors?: readonly string[] } = {}) {
  const checks: string[] = [];
  const seen: CommandRequest[] = [];
  const instructors = options.instructors ?? ['teacher'];
  const scope: ScopeResolver = (asked) => {
    seen.push(asked);
    return {
      course,
      admin,
      instructor: () => {
        const id = asked.asker.actor?.id ?? '';
        checks.push(id);
        return instructors.includes(id);
      },
    } satisfies Scope;
  };
  const log = recordingLog();
  const invoker = new Invoker({ commands: [...commands, counted, boom, lazy, full, whoami], clock, scope, ref: () => 'abcd1234', ...options });
  const invoke = (line: string, asked = request()): Promise<InvocationOutcome> => invoker.invoke(asked, { line }, log);
  return { invoker, invoke, log, checks, seen };
}

const title = (outcome: InvocationOutcome) => (outcome.ok ? outcome.message.title : `(${outcome.kind}) ${outcome.text}`);

describe('Invoker', () => {
  it('looks a chat line up, checks its arguments and runs it in the scope’s course at the clock’s instant', async () => {
    const { invoke } = setup();
    expect(title(await invoke('/today'))).toBe('Week 1 · Monday 4 January 2027');
    expect(title(await invoke('/week 2'))).toMatch(/^Week 2/);
    expect(await invoke('/week two')).toEqual({ ok: false, kind: 'user', code: 'bad-option', text: '/week number: "two" is not a whole number.' });
    expect(title(await invoke('/tody'))).toMatch(/^\(user\) Unknown command \/tody\. Did you mean \/today\?/);
    expect(title(await invoke('   '))).toBe('(user) Type a command, such as /today or /help.');
  });

  it('runs a command named by path with the platform’s option values, and says when the path names none', async () => {
    const { invoker, log } = setup();
    const week = await invoker.invoke(request(), { path: ['week'], options: () => ({ number: 2 }) }, log);
    expect(title(week)).toMatch(/^Week 2/);
    const garbled = await invoker.invoke(
      request(),
      {
        path: ['week'],
        options: (command) => {
          throw new UserFacingError('bad-option', `/${command.name} number: garbled`);
        },
      },
      log,
    );
    expect(garbled).toMatchObject({ ok: false, kind: 'user', text: '/week number: garbled' });
    for (const path of [['gone'], ['course', 'gone'], ['course', 'group', 'edit'], []]) {
      expect(await invoker.invoke(request(), { path, options: () => ({}) }, log)).toEqual({ ok: false, kind: 'unknown', text: NO_LONGER_AVAILABLE });
    }
    expect(log.lines.filter((line) => line.includes('stale registration'))).toHaveLength(4);
  });

  it('refuses instructor commands to students with the words of today, before reading their arguments', async () => {
    const { invoke, checks, log } = setup();
    expect(await invoke('/course undo', request('student'))).toEqual({ ok: false, kind: 'refused', text: INSTRUCTORS_ONLY });
    expect(await invoke('/course edit "unclosed', request('student'))).toEqual({ ok: false, kind: 'refused', text: INSTRUCTORS_ONLY });
    expect(await invoke('/course explode', request('student'))).toEqual({ ok: false, kind: 'refused', text: 'Only instructors can use this command.' });
    expect(log.lines.filter((line) => line.startsWith('warn instructor command refused'))).toHaveLength(3);
    expect(title(await invoke('/course undo', request('teacher')))).toMatch(/^Undone/);
    expect(title(await invoke('/course explode', request('teacher')))).toMatch(/^\(user\) \/course has no "explode"/);
    expect(checks).toEqual(['student', 'student', 'student', 'teacher', 'teacher']);
  });

  it('acks before the check: prepare is at once, admit asks who is an instructor once, run does not ask again', async () => {
    const { invoker, checks, log } = setup();
    const prepared = invoker.prepare(request('teacher'), { line: '/course undo' }, log);
    expect(prepared).toBeInstanceOf(PreparedInvocation);
    const step = prepared as PreparedInvocation;
    expect([step.instructorsOnly, step.shareable, step.command]).toEqual([true, false, undefined]);
    expect(checks).toEqual([]);
    expect(await step.admit()).toBeUndefined();
    expect(title(await step.run())).toMatch(/^Undone/);
    expect(checks).toEqual(['teacher']);
  });

  it('takes an asker whose instructor check fails for a student, and logs why', async () => {
    const invoker = new Invoker({
      commands,
      clock,
      scope: () => ({ course, admin, instructor: () => Promise.reject(new Error('users.info timed out')) }),
    });
    const log = recordingLog();
    expect(await invoker.invoke(request('teacher'), { line: '/course undo' }, log)).toEqual({ ok: false, kind: 'refused', text: INSTRUCTORS_ONLY });
    expect(JSON.stringify(await invoker.invoke(request('teacher'), { line: '/help' }, log))).not.toContain('/course edit');
    expect(log.lines.filter((line) => line.startsWith('error could not tell whether the asker is an instructor'))).toHaveLength(2);
    expect(log.lines.join('\n')).toContain('users.info timed out');
  });

  it('says a command is unknown before asking for a scope: a typo is a typo in every course', async () => {
    const invoker = new Invoker({ commands, clock, scope: () => ({ choose: message({ title: 'Which course?' }) }) });
    const outcome = await invoker.invoke(request(), { line: '/tody' }, recordingLog());
    expect(outcome.ok ? '' : outcome.text).toMatch(/^Unknown command \/tody\. Did you mean \/today\?/);
  });

  it('never asks about students’ commands, and tells personal ones (/help) who asks, within the platform’s bound', async () => {
    const { invoke, checks } = setup();
    await invoke('/today', request('teacher'));
    expect(checks).toEqual([]);
    expect(JSON.stringify(await invoke('/help', request('teacher')))).toContain('/course edit');
    expect(JSON.stringify(await invoke('/help', request('student')))).not.toContain('/course');
    const hanging = setup({ personalCheck: () => Promise.resolve(false) });
    expect(JSON.stringify(await hanging.invoke('/help', request('teacher')))).not.toContain('/course edit');
  });

  it('shows a UserFacingError’s text, maps what `explain` knows, and hides anything else behind a logged reference', async () => {
    const { invoke, log } = setup({ explain: (error) => (error instanceof DiskFull ? new UserFacingError('unavailable', `Not saved: ${error.message}`) : undefined) });
    expect(title(await invoke('/course cancel 2027-01-09', request('teacher')))).toBe('(user) There is no session on Sat 9 Jan to cancel.');
    expect(await invoke('/full')).toEqual({ ok: false, kind: 'user', code: 'unavailable', text: 'Not saved: the disk is full' });
    expect(await invoke('/boom')).toEqual({ ok: false, kind: 'internal', text: 'Something went wrong (ref abcd1234). Please tell an instructor.' });
    expect(log.lines.find((line) => line.includes('"ref":"abcd1234"'))).toContain('database on fire');
    expect(title(await invoke('/lazy'))).toBe('(internal) Something went wrong (ref abcd1234). Please tell an instructor.');
    expect(log.lines.some((line) => line.includes('/lazy answered asynchronously'))).toBe(true);
  });

  it('makes its own reference when none is given: eight hex digits', async () => {
    const { invoke } = setup({ ref: undefined });
    const outcome = await invoke('/boom');
    expect(outcome.ok ? '' : outcome.text).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)\. Please tell an instructor\.$/);
  });

  it('passes where and who to the scope, runs in the course it chooses, and shows its choice when it has none', async () => {
    const other = buildCourse(courseDoc({ course: { ...courseDoc().course, id: 'other' } }));
    const seen: CommandRequest[] = [];
    const choose = message({ title: 'Which course? Name one with course: demo, other' });
    const invoker = new Invoker({
      commands: [...commands, whoami],
      clock,
      scope: (asked) => {
        seen.push(asked);
        if (asked.course === 'other') return { course: other, instructor: () => false };
        return asked.place.channelId === 'c1' ? { course, instructor: () => false } : { choose };
      },
    });
    const log = recordingLog();
    expect(title(await invoker.invoke(request('u7'), { line: '/whoami' }, log))).toBe('test:u7 in demo');
    expect(title(await invoker.invoke(request('u7', { course: 'other' }), { line: '/whoami' }, log))).toBe('test:u7 in other');
    const nowhere = await invoker.invoke({ ...request('u7'), place: { platform: 'test', guildId: 'g1', channelId: 'c9' } }, { line: '/today' }, log);
    expect(nowhere).toEqual({ ok: false, kind: 'user', code: 'choose-course', text: choose.text });
    expect(seen.map((asked) => [asked.place.channelId, asked.course])).toEqual([['c1', undefined], ['c1', 'other'], ['c9', undefined]]);
  });

  it('shares student answers per course and minute through the cache, never the asker’s own or personal ones across askers', async () => {
    runs = 0;
    const answers = new AnswerCache();
    const { invoke } = setup({ answers });
    await invoke('/counted 1');
    await invoke('/counted n:1', request('u2'));
    expect(runs).toBe(1);
    await invoke('/counted 2');
    expect(runs).toBe(2);
    expect(title(await invoke('/whoami', request('a')))).toBe('test:a in demo');
    expect(title(await invoke('/whoami', request('b')))).toBe('test:b in demo');
    expect(JSON.stringify(await invoke('/help', request('teacher')))).toContain('/course edit');
    expect(JSON.stringify(await invoke('/help', request('student')))).not.toContain('/course edit');
  });

  it('suggests through the same scope and lookup: the option, and its choices for what is typed', () => {
    const { invoker, log } = setup();
    const found = invoker.suggest(request(), ['remind'], 'when', 'ev', log);
    expect(found?.option.name).toBe('when');
    expect(found?.choices.map((choice) => choice.value)).toEqual(['evening']);
    expect(invoker.suggest(request(), ['remind'], 'nope', '', log)).toBeUndefined();
    expect(invoker.suggest(request(), ['gone'], 'when', '', log)).toBeUndefined();
    const nowhere = new Invoker({ commands, clock, scope: () => ({ choose: message({ title: 'Which course?' }) }) });
    expect(nowhere.suggest(request(), ['remind'], 'when', 'ev', log)?.choices).toEqual([]);
  });
});

describe('the course named in a chat line', () => {
  const echo = defineCommand({
    name: 'echo',
    description: 'Says its text back',
    audience: 'everyone',
    options: [{ name: 'text', type: 'string', description: 'text' }],
    run: (_context, { text }) => message({ title: `[${text ?? ''}]` }),
  });

  function routed(courses: readonly { id: string; name: string }[] = []) {
    const seen: CommandRequest[] = [];
    const invoker = new Invoker({
      commands: [...commands, echo],
      clock,
      scope: (asked) => {
        seen.push(asked);
        return { course, instructor: () => false };
      },
      courses: () => courses,
    });
    const log = recordingLog();
    return { seen, invoke: (line: string) => invoker.invoke(request(), { line }, log), invoker, log };
  }

  it('is taken out of the line wherever it stands, quoted or not, and handed to the scope as the request’s course', async () => {
    const { seen, invoke } = routed();
    expect(title(await invoke('/echo hello course:mlops world'))).toBe('[hello world]');
    expect(title(await invoke('/echo course:"Applied ML 2027" two words'))).toBe('[two words]');
    expect(title(await invoke('course:ds /echo first'))).toBe('[first]');
    expect(title(await invoke('/echo text:"a b" course: ds'))).toBe('[a b]');
    expect(title(await invoke('/week 2 course:mlops'))).toMatch(/^Week 2/);
    expect(seen.map((asked) => asked.course)).toEqual(['mlops', 'Applied ML 2027', 'ds', 'ds', 'mlops']);
  });

  it('is left alone when it is not the lowercase option: a title such as “Course: Intro” stays text', async () => {
    const { seen, invoke } = routed();
    expect(title(await invoke('/echo Course: Intro'))).toBe('[Course: Intro]');
    expect(title(await invoke('/echo discourse:x'))).toBe('[discourse:x]');
    expect(seen.map((asked) => asked.course)).toEqual([undefined, undefined]);
  });

  it('given twice or without a value, says how to write it, in one line', async () => {
    const { invoke, seen } = routed();
    expect(await invoke('/today course:a course:b')).toEqual({
      ok: false,
      kind: 'user',
      code: 'bad-option',
      text: 'course: is given twice: name one course, such as course:mlops.',
    });
    expect(await invoke('/today course:')).toMatchObject({ ok: false, kind: 'user', text: 'course: needs a course id after it, such as course:mlops.' });
    expect(await invoke('/today course:""')).toMatchObject({ ok: false, kind: 'user', text: 'course: needs a course id after it, such as course:mlops.' });
    expect(seen).toEqual([]);
  });

  it('is not looked for in a request by path: Discord names the course in an option of its own', async () => {
    const { invoker, seen, log } = routed();
    await invoker.invoke({ ...request(), course: 'ds' }, { path: ['echo'], options: () => ({ text: 'course:mlops' }) }, log);
    expect(seen.map((asked) => asked.course)).toEqual(['ds']);
  });

  it('is listed by /help, with the course ids, only where the deployment serves several courses', async () => {
    const several = routed([
      { id: 'mlops', name: 'MLOps' },
      { id: 'ds', name: 'Data Science' },
    ]);
    const help = await several.invoke('/help');
    const lines = help.ok ? help.message.sections?.find((section) => section.heading === 'Courses')?.lines : undefined;
    expect(lines).toEqual([
      'Every command takes [course]: add course:<id> (on Discord, the course option) where the channel does not decide the course.',
      'mlops — MLOps',
      'ds — Data Science',
    ]);
    for (const one of [routed([{ id: 'mlops', name: 'MLOps' }]), routed()]) {
      const alone = await one.invoke('/help');
      expect(JSON.stringify(alone)).not.toContain('course:<id>');
      expect(alone.ok && alone.message.sections?.map((section) => section.heading)).toEqual(['Commands']);
    }
  });

  it('in a deployment of one course, answers for it when named by id or name, and refuses another in one line', () => {
    const scope: Scope = { course, instructor: () => false };
    for (const named of [undefined, '', 'demo', ' demo ', 'Demo Course', 'demo   COURSE']) {
      expect(oneCourseScope({ ...request(), ...(named !== undefined && { course: named }) }, scope)).toBe(scope);
    }
    const other = oneCourseScope({ ...request(), course: 'ds' }, scope);
    expect('choose' in other && other.choose.text).toBe('No such course here\nThis bot serves one course, Demo Course (demo), not "ds": leave out the course option.');
  });
});
