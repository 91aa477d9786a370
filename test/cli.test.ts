import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, runCli } from './support/child.js';

const TIMEOUT = 30_000;

let tmp: string;

/** The real CLI in a child process, with its state DB in the test's temp dir. */
function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  return runCli(args, { env: { STATE_DB: join(tmp, 'state.db'), ...env } });
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
  it('prints the Tuesday card for /today', { timeout: TIMEOUT }, async () => {
    const run = await cli(['ask', '/today', '--at', '2027-01-05T10:00']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Week 1 · Tuesday 5 January 2027');
    expect(run.stdout).toContain('Code organisation: why it matters');
    expect(run.stdout).toContain('Conda, GitHub, Docker');
    expect(run.stdout).toContain('https://docs.docker.com/');
  });

  it('answers /week 2 and /week number:2 the same', { timeout: TIMEOUT }, async () => {
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

  it('finds resources by topic', { timeout: TIMEOUT }, async () => {
    const run = await cli(['ask', '/resources hydra', '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Resources for "hydra"');
    expect(run.stdout).toContain('https://hydra.cc/');
    expect(run.stdout).not.toContain('https://docs.docker.com/');
  });

  it('takes a date option for /today that overrides --at', { timeout: TIMEOUT }, async () => {
    const run = await cli(['ask', '/today 2027-01-05', '--at', '2027-01-20T10:00']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Week 1 · Tuesday 5 January 2027');
    expect(run.stdout).toContain('Code organisation: why it matters');
  });

  it('reads --at without an offset in the course zone, and honours an explicit offset', { timeout: TIMEOUT }, async () => {
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

  it('reports an unknown command on stderr with exit 2', { timeout: TIMEOUT }, async () => {
    const run = await cli(['ask', '/nope', '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Unknown command /nope');
    expect(run.stderr).toContain('/today');
  });

  it.each([
    ['/week two', '/week number: "two" is not a whole number'],
    ['/today 2027-13-01', '/today date: "2027-13-01" is not a date'],
  ])('rejects the bad option in %s with exit 2', { timeout: TIMEOUT }, async (line, message) => {
    const run = await cli(['ask', line, '--at', '2027-01-05T10:00']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('rejects a bad --at with exit 2', { timeout: TIMEOUT }, async () => {
    const run = await cli(['ask', '/today', '--at', 'next tuesday']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--at: "next tuesday" is not an ISO date or date-time');
  });

  it('answers from another course file with --course', { timeout: TIMEOUT }, async () => {
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
  it('summarises the default course file in one line', { timeout: TIMEOUT }, async () => {
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

  it('lists every problem of a broken course with file:line:col', { timeout: TIMEOUT }, async () => {
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

  it('reports a YAML syntax error with its line', { timeout: TIMEOUT }, async () => {
    const file = tmpFile('syntax.yaml', 'course:\n  id: demo\n  name: "unterminated\nweeks: []\n');
    const run = await cli(['validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}: 1 problem`);
    expect(run.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+ Missing closing "quote`));
  });

  it('names a missing file', { timeout: TIMEOUT }, async () => {
    const file = join(tmp, 'no-such-course.yaml');
    const run = await cli(['validate', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file} cannot be read: no such file`);
  });
});

describe('course-bot announce', () => {
  it('prints the morning announcement of a session day', { timeout: TIMEOUT }, async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-01-05']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Announcement for Tuesday 5 January 2027 at 08:00 (Europe/Copenhagen)');
    expect(run.stdout).toContain('Good morning!');
    expect(run.stdout).toContain('Code organisation: why it matters');
  });

  it('says there is no announcement on a Saturday', { timeout: TIMEOUT }, async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-01-09']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No announcement on Saturday 9 January 2027');
    expect(run.stdout).not.toContain('Good morning');
  });

  it('needs --now or --dry-run, and takes --date only with --dry-run', { timeout: TIMEOUT }, async () => {
    const run = await cli(['announce', '--date', '2027-01-05']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('announce needs --now (post) or --dry-run (print)');
    const mixed = await cli(['announce', '--now', '--date', '2027-01-05']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--date and --course go with --dry-run');
  });

  it('rejects a date that is not YYYY-MM-DD with exit 2', { timeout: TIMEOUT }, async () => {
    const run = await cli(['announce', '--dry-run', '--date', '2027-1-5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--date: "2027-1-5" is not a date');
  });
});

describe('course-bot start and configuration', () => {
  it('exits 1 with the course errors before anything starts', { timeout: TIMEOUT }, async () => {
    const file = tmpFile('broken-start.yaml', BROKEN_COURSE);
    const db = join(tmp, 'start-broken.db');
    const run = await cli(['start'], { COURSE_FILE: file, STATE_DB: db });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stdout).not.toContain('terminal mode');
    expect(run.stderr).toContain('course.timezone: Mars/Base is not a known IANA time zone');
    expect(run.stderr).toContain('weeks[0].sessions[0].date: 2027-01-05 is a Tuesday, but day says monday');
    // Nothing was opened: the state store comes after the course.
    expect(existsSync(db)).toBe(false);
  });

  it('exits 1 naming LOG_LEVEL when it is not a level', { timeout: TIMEOUT }, async () => {
    const run = await cli(['validate'], { LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Invalid configuration');
    expect(run.stderr).toMatch(/LOG_LEVEL: must be one of .*silent.* \(got "loud"\)/);
  });

  it('refuses to start with a bad LOG_LEVEL', { timeout: TIMEOUT }, async () => {
    const run = await cli(['start'], { LOG_LEVEL: 'loud' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('LOG_LEVEL');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('course-bot calendar, invite-url, slack-manifest', () => {
  it('writes the calendar: one event per session, stable UIDs, lecture times in the course zone', { timeout: TIMEOUT }, async () => {
    const out = join(tmp, 'course.ics');
    const result = await cli(['calendar', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}: 15 events (Machine Learning Operations, Europe/Copenhagen)\n`);
    const { readFileSync } = await import('node:fs');
    const { default: ICAL } = await import('ical.js');
    const events = ICAL.Component.fromString(readFileSync(out, 'utf8')).getAllSubcomponents('vevent');
    expect(events).toHaveLength(15);
    const first = new ICAL.Event(events[0]);
    expect(first.uid).toBe('mlops-2027-01-04@course-bot');
    expect(first.summary).toBe('Week 1 · How autodiff changed the world · PyTorch');
    expect(first.startDate.toJSDate().toISOString()).toBe('2027-01-04T08:00:00.000Z');
  });

  it('prints the invite link with the scopes bot and applications.commands and only the permissions needed', { timeout: TIMEOUT }, async () => {
    const result = await cli(['invite-url'], { DISCORD_TOKEN: 'x', DISCORD_APPLICATION_ID: '123456789012345678' });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=84992',
    );
    const without = await cli(['invite-url'], { DISCORD_TOKEN: '' });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('invite-url needs DISCORD_TOKEN');
  });

  it('prints a Slack manifest with the prefixed commands, /course folded, and Socket Mode on', { timeout: TIMEOUT }, async () => {
    const result = await cli(['slack-manifest', '--prefix', 'mlops-']);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(result.stdout) as {
      features: { slash_commands: { command: string }[] };
      settings: { socket_mode_enabled: boolean };
      oauth_config: { scopes: { bot: string[] } };
    };
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual(
      ['today', 'tomorrow', 'week', 'next', 'schedule', 'resources', 'setup', 'help', 'course'].map((name) => `/mlops-${name}`),
    );
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toContain('chat:write');
  });
});
