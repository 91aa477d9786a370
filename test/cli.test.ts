import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_PERMISSIONS, EVENTS_PERMISSION } from '../src/cli/invite-url.js';
import { parseInstant, shiftedClock } from '../src/core/clock.js';
import { runCommandLine } from '../src/core/commands/parse.js';
import { commands } from '../src/core/commands/registry.js';
import { loadCourseFile } from '../src/course-file/read.js';
import { databaseId } from '../src/schedule/effective-course.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { ROOT, type Run, SPAWN_TIMEOUT, runChild, runCli } from './support/child.js';
import { runMain } from './support/main.js';

let tmp: string;

/** `course-bot` in this process, its state DB in the test's temp dir (the real command: `runCli`). */
function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  return runMain(args, { STATE_DB: join(tmp, 'state.db'), ...env });
}

/** Writes a file into the test's temp dir and returns its path. */
function tmpFile(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const BROKEN_COURSE = `course:
  id: demo
  name: Demo Course
  timezone: Mars/Base
  start: 2027-01-04
announcements:
  time: "08:00"
weeks:
  - number: 1
    sessions:
      - day: monday
        date: 2027-01-05
        topic: Intro
`;

const OTHER_COURSE = `course:
  id: other
  name: Other Course
  timezone: America/New_York
  start: 2027-03-01
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Something entirely different
resources:
  - id: zod
    title: Zod docs
    url: https://zod.dev/
    tags: [zod]
`;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'course-bot-cli-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('course-bot ask', () => {
  it('prints the Tuesday card for /today', async () => {
    const run = await cli(['ask', '/today', '--at', '2027-01-05T10:00']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Week 1 · Tuesday 5 January 2027');
    expect(run.stdout).toContain('Code organisation: why it matters');
    expect(run.stdout).toContain('Conda, GitHub, Docker');
    expect(run.stdout).toContain('https://docs.docker.com/');
  });

  it('answers /week 2 and /week number:2 the same', async () => {
    const [positional, named] = await Promise.all([
      cli(['ask', '/week 2', '--at', '2027-01-05T10:00']),
      cli(['ask', '/week number:2', '--at', '2027-01-05T10:00']),
    ]);
    expect(positional.code).toBe(0);
    expect(named.code).toBe(0);
    expect(positional.stdout).toContain('Week 2 · Scalability');
    expect(positional.stdout).toContain('Training in the sky');
    expect(positional.stdout).not.toContain('Code organisation');
    expect(named.stdout).toBe(positional.stdout);
  });

  it('finds resources by topic', async () => {
    const run = await cli(['ask', '/resources hydra', '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Resources for "hydra"');
    expect(run.stdout).toContain('https://hydra.cc/');
    expect(run.stdout).not.toContain('https://docs.docker.com/');
  });

  it('takes a date option for /today that overrides --at', async () => {
    const run = await cli(['ask', '/today 2027-01-05', '--at', '2027-01-20T10:00']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Week 1 · Tuesday 5 January 2027');
    expect(run.stdout).toContain('Code organisation: why it matters');
  });

  it('reads --at without an offset in the course zone, and honours an explicit offset', async () => {
    const [local, utc] = await Promise.all([
      cli(['ask', '/today', '--at', '2027-01-04T23:30']),
      // 23:30 UTC is 00:30 on Tuesday in Copenhagen.
      cli(['ask', '/today', '--at', '2027-01-04T23:30Z']),
    ]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain('Week 1 · Monday 4 January 2027');
    expect(local.stdout).toContain('How autodiff changed the world');
    expect(utc.code).toBe(0);
    expect(utc.stdout).toContain('Week 1 · Tuesday 5 January 2027');
    expect(utc.stdout).toContain('Code organisation: why it matters');
  });

  it('reports an unknown command on stderr with exit 2', async () => {
    const run = await cli(['ask', '/nope', '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Unknown command /nope');
    expect(run.stderr).toContain('/today');
  });

  it.each([
    ['/week two', '/week number: "two" is not a whole number'],
    ['/today 2027-13-01', '/today date: "2027-13-01" is not a date'],
  ])('rejects the bad option in %s with exit 2', async (line, message) => {
    const run = await cli(['ask', line, '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it.each(['next tuesday', '', '2027-01-05 25:00', '2027-02-30', '5/1/2027 10:00', '2027-01-05T10:00 Europe/Paris', '0001-01-01'])(
    'rejects --at %j with exit 2, naming the forms it takes',
    async (value) => {
      const run = await cli(['ask', '/today', '--at', value]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `--at: ${JSON.stringify(value)} is not a date or date-time; use 2027-01-05, 2027-01-05 10:00, 2027-01-05 10:00:30, 2027-01-05T10:00 or 2027-01-05T10:00+01:00\n`,
      );
    },
  );

  it.each([
    ['9999-12-31T12:00', '/tomorrow', 9999],
    ['9999-12-31', '/week', 9999],
    ['3000-01-01T00:00', '/today', 3000],
    ['1899-12-31T23:59+01:00', '/today', 1899],
  ])('refuses --at %j (%s) in one line: its year %i is one no course file may use', async (value, command, year) => {
    const run = await cli(['ask', command, '--at', value]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `--at: ${JSON.stringify(value)} is in the year ${year}; give a date in 1900–2999, the years a course file may use\n`,
    });
  });

  it('answers at the edge of those years: --at the last evening of 2999, and a clock running on into 3000', async () => {
    const file = tmpFile(
      'edge.yaml',
      'course:\n  id: edge\n  name: Edge Course\n  timezone: Europe/Copenhagen\n  start: 2999-12-30\nweeks:\n  - number: 1\n    sessions:\n' +
        '      - day: monday\n        topic: Last of the millennium\n      - day: wednesday\n        topic: First of the next\n',
    );
    const tomorrow = await cli(['ask', '/tomorrow', '--course', file, '--at', '2999-12-31T23:59:45']);
    expect(tomorrow).toEqual({ code: 0, stdout: 'Week 1 · Wednesday 1 January 3000\nFirst of the next\n\n— Edge Course\n', stderr: '' });
    // `start --at`: the clock runs on past midnight, into a year no --at may name.
    let base = Date.parse('2026-06-01T12:00:00Z');
    const clock = shiftedClock(parseInstant('2999-12-31T23:59:45', 'Europe/Copenhagen')!, { now: () => new Date(base) });
    base += 30_000;
    const { course } = loadCourseFile(file);
    const today = await runCommandLine('/today', { course, now: clock.now(), commands });
    expect(today.text).toContain('Week 1 · Wednesday 1 January 3000');
    expect(today.text).toContain('First of the next');
  });

  it.each([
    // As people type it: a space instead of the T, with or without seconds, in the course zone.
    ['2027-01-05 10:00', 'Tuesday 5 January 2027'],
    ['2027-01-05 10:00:30', 'Tuesday 5 January 2027'],
    ['  2027-01-04   23:30 ', 'Monday 4 January 2027'],
    ['2027-01-05', 'Tuesday 5 January 2027'],
    // An offset wins over the course zone: 23:30 at UTC-05:00 is 05:30 on Tuesday in Copenhagen.
    ['2027-01-04T23:30-05:00', 'Tuesday 5 January 2027'],
    ['2027-01-04 23:30-05:00', 'Tuesday 5 January 2027'],
    ['2027-01-05T10:00+01:00', 'Tuesday 5 January 2027'],
    ['2027-01-04T23:30z', 'Tuesday 5 January 2027'],
  ])('takes --at %j', async (value, day) => {
    const run = await cli(['ask', '/today', '--at', value]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Week 1 · ${day}`);
  });

  it('answers from another course file with --course', async () => {
    const file = tmpFile('other.yaml', OTHER_COURSE);
    const [today, resources] = await Promise.all([
      cli(['ask', '/today', '--course', file, '--at', '2027-03-01T10:00']),
      cli(['ask', '/resources zod', '--course', file, '--at', '2027-03-01T10:00']),
    ]);
    expect(today.code).toBe(0);
    expect(today.stdout).toContain('Week 1 · Monday 1 March 2027');
    expect(today.stdout).toContain('Something entirely different');
    expect(today.stdout).toContain('Other Course');
    expect(today.stdout).not.toContain('Machine Learning Operations');
    expect(resources.code).toBe(0);
    expect(resources.stdout).toContain('https://zod.dev/');
  });
});

describe('course-bot validate', () => {
  it('summarises the default course file in one line', async () => {
    const run = await cli(['validate']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('data/course.yaml: valid.');
    expect(lines[0]).toContain('3 weeks, 15 sessions');
    expect(lines[0]).toContain('Monday 4 January 2027');
    expect(lines[0]).toContain('Friday 22 January 2027');
    expect(lines[0]).toContain('Europe/Copenhagen');
  });

  it('lists every problem of a broken course with file:line:col', async () => {
    const file = tmpFile('broken.yaml', BROKEN_COURSE);
    const run = await cli(['validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file}: 2 problems`);
    expect(lines).toContain(
      `${file}:4:3 course.timezone: Mars/Base is not a known IANA time zone (such as Europe/Copenhagen)`,
    );
    const dateLine = lines.find((line) => line.includes('weeks[0].sessions[0].date'));
    expect(dateLine).toMatch(/:\d+:\d+ weeks\[0\]\.sessions\[0\]\.date: 2027-01-05 is a Tuesday, but day says monday/);
    expect(dateLine).toBe(`${file}:12:9 weeks[0].sessions[0].date: 2027-01-05 is a Tuesday, but day says monday`);
  });

  it('reports a YAML syntax error with its line', async () => {
    const file = tmpFile('syntax.yaml', 'course:\n  id: demo\n  name: "unterminated\nweeks: []\n');
    const run = await cli(['validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}: 1 problem`);
    expect(run.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+ Missing closing "quote`));
  });

  it('names a missing file', async () => {
    const file = join(tmp, 'no-such-course.yaml');
    const run = await cli(['validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file} cannot be read: no such file`);
  });
});

describe('course-bot announce', () => {
  it('prints the morning announcement of a session day', async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-01-05']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Announcement for Tuesday 5 January 2027 at 08:00 (Europe/Copenhagen)');
    expect(run.stdout).toContain('Good morning!');
    expect(run.stdout).toContain('Code organisation: why it matters');
  });

  it('says there is no announcement on a Saturday', async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-01-09']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No announcement on Saturday 9 January 2027');
    expect(run.stdout).not.toContain('Good morning');
  });

  it('needs --now or --dry-run, and takes --date only with --dry-run', async () => {
    const run = await cli(['announce', '--date', '2027-01-05']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('announce needs --now (post) or --dry-run (print)');
    const mixed = await cli(['announce', '--now', '--date', '2027-01-05']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--date, --course and --state-db go with --dry-run');
  });

  it('rejects a date that is not YYYY-MM-DD with exit 2', async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-1-5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--date: "2027-1-5" is not a date');
  });
});

describe('course-bot start and configuration', () => {
  it('exits 1 with the course errors before anything starts (the real command)', { timeout: SPAWN_TIMEOUT }, async () => {
    const file = tmpFile('broken-start.yaml', BROKEN_COURSE);
    const db = join(tmp, 'start-broken.db');
    const run = await runCli(['start'], { env: { COURSE_FILE: file, STATE_DB: db } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stdout).not.toContain('terminal mode');
    expect(run.stderr).toContain('course.timezone: Mars/Base is not a known IANA time zone');
    expect(run.stderr).toContain('weeks[0].sessions[0].date: 2027-01-05 is a Tuesday, but day says monday');
    // Nothing was opened: the state store comes after the course.
    expect(existsSync(db)).toBe(false);
  });

  it('exits 1 naming LOG_LEVEL when it is not a level', async () => {
    const run = await cli(['validate'], { LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Invalid configuration');
    expect(run.stderr).toMatch(/LOG_LEVEL: must be one of .*silent.* \(got "loud"\)/);
  });

  it('refuses to start with a bad LOG_LEVEL', async () => {
    const run = await cli(['start'], { LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('LOG_LEVEL');
  });

  it('refuses an --at past the years a course may use before it starts anything', async () => {
    const db = join(tmp, 'start-far-at.db');
    const run = await cli(['start', '--at', '9999-12-31T23:59:45'], { STATE_DB: db });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: '--at: "9999-12-31T23:59:45" is in the year 9999; give a date in 1900–2999, the years a course file may use\n',
    });
    expect(existsSync(db)).toBe(false);
  });

  it('refuses a bad --at before it starts anything', async () => {
    const db = join(tmp, 'start-bad-at.db');
    const run = await cli(['start', '--at', 'tomorrow'], { STATE_DB: db });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^--at: "tomorrow" is not a date or date-time; use 2027-01-05, /);
    expect(existsSync(db)).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('course-bot calendar, invite-url, slack-manifest', () => {
  it('writes the calendar: one event per session, stable UIDs, lecture times in the course zone', async () => {
    const out = join(tmp, 'course.ics');
    const result = await cli(['calendar', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}: 15 events (Machine Learning Operations, Europe/Copenhagen)\n`);
    const { default: ICAL } = await import('ical.js');
    const events = ICAL.Component.fromString(readFileSync(out, 'utf8')).getAllSubcomponents('vevent');
    expect(events).toHaveLength(15);
    const first = new ICAL.Event(events[0]);
    expect(first.uid).toBe('mlops-2027-01-04@course-bot');
    expect(first.summary).toBe('Week 1 · How autodiff changed the world · PyTorch');
    expect(first.startDate.toJSDate().toISOString()).toBe('2027-01-04T08:00:00.000Z');
  });

  it('prints the invite link with the scopes bot and applications.commands and only the permissions needed', async () => {
    const result = await cli(['invite-url'], { DISCORD_TOKEN: 'x', DISCORD_APPLICATION_ID: '123456789012345678' });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=84992',
    );
    expect(BOT_PERMISSIONS).toBe(
      PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.ReadMessageHistory,
    );
  });

  it('prints the invite link from DISCORD_APPLICATION_ID alone, without a token', async () => {
    const result = await cli(['invite-url'], { DISCORD_APPLICATION_ID: '123456789012345678' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=84992\n',
    );
  });

  it('adds Manage Events to the invite link when DISCORD_EVENTS=on', async () => {
    const result = await cli(['invite-url'], { DISCORD_APPLICATION_ID: '123456789012345678', DISCORD_EVENTS: 'on' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=${84992n + (1n << 33n)}\n`,
    );
    expect(EVENTS_PERMISSION).toBe(PermissionFlagsBits.ManageEvents);
  });

  it('exits 1 (a configuration problem), in one line, when invite-url or register-commands has no token', async () => {
    const invite = await cli(['invite-url']);
    expect(invite.code).toBe(1);
    expect(invite.stdout).toBe('');
    expect(invite.stderr).toBe(
      'invite-url needs DISCORD_APPLICATION_ID (Developer Portal → your app → General Information), or DISCORD_TOKEN to look it up (see .env.example)\n',
    );
    const register = await cli(['register-commands']);
    expect(register.code).toBe(1);
    expect(register.stdout).toBe('');
    expect(register.stderr).toBe('register-commands needs DISCORD_TOKEN (see .env.example)\n');
  });

  it('prints a Slack manifest with the prefixed commands, /course folded, and Socket Mode on', async () => {
    const result = await cli(['slack-manifest', '--prefix', 'mlops-']);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(result.stdout) as {
      features: { slash_commands: { command: string }[] };
      settings: { socket_mode_enabled: boolean };
      oauth_config: { scopes: { bot: string[] } };
    };
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual(
      ['today', 'tomorrow', 'week', 'next', 'schedule', 'resources', 'setup', 'remind', 'help', 'course'].map((name) => `/mlops-${name}`),
    );
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toContain('chat:write');
  });
});

describe('the CLI says what the bot says: the schedule changes made in chat apply', () => {
  let db: string;

  beforeAll(() => {
    db = join(tmp, 'changes.db');
    const store = new SqliteStore(db);
    const actor = { platform: 'discord', id: '42', name: 'Prof' };
    // As the bot does before it stores a change: read-only commands (export) never give a database its id.
    databaseId(store);
    store.addChange('mlops', { kind: 'cancel', date: '2027-01-05', reason: 'Snow day' }, actor, 1);
    store.addChange('mlops', { kind: 'move', from: '2027-01-06', to: '2027-01-09' }, actor, 2);
    store.close();
  });

  it('ask /today shows a cancelled day as cancelled, from STATE_DB or --state-db', async () => {
    const [fromEnv, fromOption] = await Promise.all([
      cli(['ask', '/today', '--at', '2027-01-05 10:00'], { STATE_DB: db }),
      cli(['ask', '/today', '--at', '2027-01-05 10:00', '--state-db', db], { STATE_DB: join(tmp, 'elsewhere.db') }),
    ]);
    expect(fromEnv.stderr).toBe('');
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('Week 1 · Tuesday 5 January 2027\nCancelled: Code organisation: why it matters');
    expect(fromEnv.stdout).toContain('Snow day');
    expect(fromOption.stdout).toBe(fromEnv.stdout);
    // A read-only command does not create a state database that is not there.
    expect(existsSync(join(tmp, 'elsewhere.db'))).toBe(false);
  });

  it('ask shows a moved session on its new day, and /week lists it there', async () => {
    const [moved, week] = await Promise.all([
      cli(['ask', '/today 2027-01-09', '--state-db', db]),
      cli(['ask', '/week', '--at', '2027-01-05T10:00', '--state-db', db]),
    ]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('Week 1 · Saturday 9 January 2027\nDebugging and visualization');
    expect(week.stdout).toContain('Saturday 9 January 2027:\n  Debugging and visualization');
    expect(week.stdout).not.toContain('Wednesday 6 January 2027');
  });

  it('announce --dry-run prints what the bot would post: a cancelled day, no post on the old day, one on the new', async () => {
    const [cancelled, old, moved] = await Promise.all([
      cli(['announce', '--dry-run', '--date', '2027-01-05'], { STATE_DB: db }),
      cli(['announce', '--dry-run', '--date', '2027-01-06', '--state-db', db]),
      cli(['announce', '--dry-run', '--date', '2027-01-09', '--state-db', db]),
    ]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('No session today in Machine Learning Operations: Week 1 · Tuesday 5 January 2027 is cancelled');
    expect(cancelled.stdout).toContain('Snow day');
    expect(old.stdout).toBe('No announcement on Wednesday 6 January 2027: there is no session that day.\n');
    expect(moved.stdout).toContain('Today in Machine Learning Operations: Week 1 · Saturday 9 January 2027\nDebugging and visualization');
  });

  it('export and calendar read the same changes, from --state-db and --course', async () => {
    const course = tmpFile('course-copy.yaml', readFileSync(join(ROOT, 'data/course.yaml'), 'utf8'));
    const [exported, calendar] = await Promise.all([
      cli(['export', '--course', course, '--state-db', db], { STATE_DB: join(tmp, 'elsewhere.db') }),
      cli(['calendar', '--course', course, '--state-db', db], { STATE_DB: join(tmp, 'elsewhere.db') }),
    ]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^# Exported by course-bot from .*course-copy\.yaml, with the schedule changes up to #2\./);
    expect(exported.stdout).toContain('cancelled: Snow day');
    expect(exported.stdout).toContain('date: 2027-01-09');
    expect(calendar.code).toBe(0);
    expect(calendar.stdout).toContain('DTSTART;TZID=Europe/Copenhagen:20270109T090000');
    expect(calendar.stdout).not.toContain('20270106T');
    expect(existsSync(join(tmp, 'elsewhere.db'))).toBe(false);
  });

  it('reads no changes (and creates nothing) when the state database does not exist', async () => {
    const missing = join(tmp, 'missing', 'state.db');
    const run = await cli(['ask', '/today', '--at', '2027-01-05 10:00', '--state-db', missing]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Week 1 · Tuesday 5 January 2027\nCode organisation: why it matters');
    expect(run.stdout).not.toContain('Cancelled');
    const fromEnv = join(tmp, 'missing-too.db');
    const [calendar, exported] = await Promise.all([cli(['calendar'], { STATE_DB: fromEnv }), cli(['export'], { STATE_DB: fromEnv })]);
    expect(calendar.code).toBe(0);
    expect(calendar.stdout).toContain('DTSTART;TZID=Europe/Copenhagen:20270105T090000');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^# Exported by course-bot from data\/course\.yaml\.\n/);
    expect(exported.stdout).not.toContain('x-course-bot');
    expect(existsSync(join(tmp, 'missing'))).toBe(false);
    expect(existsSync(fromEnv)).toBe(false);
  });

  it('refuses a --state-db that cannot be a database (a link loop, a file as a folder), rather than reading no changes', async () => {
    const loop = join(tmp, 'loop.db');
    symlinkSync(join(tmp, 'loop-back.db'), loop);
    symlinkSync(loop, join(tmp, 'loop-back.db'));
    const inFile = join(tmpFile('plain-file', 'x'), 'state.db');
    const [looped, underFile] = await Promise.all([cli(['ask', '/today', '--state-db', loop]), cli(['export', '--state-db', inFile])]);
    expect(looped).toEqual({
      code: 1,
      stdout: '',
      stderr: `STATE_DB ${loop} is a symbolic link that loops, not a database file: set STATE_DB to a regular file's path.\n`,
    });
    expect(underFile.code).toBe(1);
    expect(underFile.stdout).toBe('');
    expect(underFile.stderr).toBe(
      `STATE_DB ${inFile}: ${join(tmp, 'plain-file')} is a file, not a directory: set STATE_DB to a path in a directory (or move that file away).\n`,
    );
  });

  it('refuses a --state-db that is empty, a folder or a device, in one line', async () => {
    const [empty, folder, device] = await Promise.all([
      cli(['ask', '/today', '--state-db', '']),
      cli(['calendar', '--state-db', tmp]),
      cli(['export', '--state-db', '/dev/null']),
    ]);
    expect(empty).toEqual({ code: 2, stdout: '', stderr: '--state-db needs a file name (the bot’s STATE_DB)\n' });
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(`STATE_DB ${tmp} is a directory, not a database file: set STATE_DB to a file in it, such as ${tmp}/course-bot.db.\n`);
    expect(device.code).toBe(1);
    expect(device.stderr).toMatch(/^STATE_DB \/dev\/null is a device/);
    expect(device.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--state-db goes with announce --dry-run only', async () => {
    const run = await cli(['announce', '--now', '--state-db', db]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--date, --course and --state-db go with --dry-run');
  });
});

describe('course-bot export writes YAML that YAML 1.1 readers read as written', () => {
  it('quotes times and other strings a YAML 1.1 reader would misread, and reads back the same', async () => {
    const { parse } = await import('yaml');
    const course = tmpFile(
      'yaml11.yaml',
      [
        'course:',
        '  id: yaml11',
        '  name: "No"',
        '  timezone: Europe/Copenhagen',
        '  start: 2027-01-04',
        '  dayStart: "9:30"',
        'announcements:',
        '  time: "08:00"',
        'weeks:',
        '  - number: 1',
        '    title: "on"',
        '    sessions:',
        '      - day: monday',
        '        topic: "0755"',
        '        frameworks: ["yes", "1:30", "3.10", "~", "1_000", "2027-01-04 10:00:00", "Off", "0x1F", ".inf", "<<", PyTorch]',
        '        note: "12:30:00.5"',
        '',
      ].join('\n'),
    );
    const run = await cli(['export', '--course', course]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const quoted of [
      'name: "No"',
      'dayStart: "09:30"',
      'time: "08:00"',
      'catchUpUntil: "12:00"',
      'title: "on"',
      'topic: "0755"',
      'note: "12:30:00.5"',
      '- "yes"',
      '- "1:30"',
      '- "3.10"',
      '- "~"',
      '- "1_000"',
      '- "2027-01-04 10:00:00"',
      '- "Off"',
      '- "0x1F"',
      '- ".inf"',
      '- "<<"',
    ]) {
      expect(run.stdout).toContain(quoted);
    }
    // Left plain: words, and dates (every reader takes them as that date).
    expect(run.stdout).toContain('- PyTorch');
    expect(run.stdout).toContain('start: 2027-01-04');
    // Read as YAML 1.1 and as YAML 1.2, the strings are the same.
    const v11 = parse(run.stdout, { version: '1.1' }) as Record<string, unknown>;
    const v12 = parse(run.stdout) as Record<string, unknown>;
    expect(v11.weeks).toEqual(v12.weeks);
    expect(v11.announcements).toEqual(v12.announcements);
    expect(v11.announcements).toMatchObject({ time: '08:00' });
    expect(v11.course).toMatchObject({ name: 'No', dayStart: '09:30' });
    // And it is a course file again.
    const back = tmpFile('yaml11-back.yaml', run.stdout);
    const validated = await cli(['validate', back]);
    expect(validated.code).toBe(0);
  });
});

describe('what a command loads', () => {
  it('validate, ask and export load neither discord.js nor SQLite (the compiled CLI)', { timeout: SPAWN_TIMEOUT }, async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "const { main } = await import('./dist/cli.js');",
      "const out = { write: (_text, done) => { done?.(); return true; }, on() { return this; }, off() { return this; } };",
      "const codes = [await main(['validate'], { stdout: out, stderr: out }), await main(['ask', '/week 1'], { stdout: out, stderr: out }), await main(['export'], { stdout: out, stderr: out })];",
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      "console.log(JSON.stringify({ codes, heavy: loaded.filter((path) => /node_modules\\/(discord\\.js|@discordjs|better-sqlite3|@slack)\\//.test(path)) }));",
    ].join('\n');
    const run = await runChild(process.execPath, ['--input-type=module', '-e', script], { env: { STATE_DB: join(tmp, 'never.db') } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ codes: [0, 0, 0], heavy: [] });
  });
});
