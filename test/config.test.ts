import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { BUNDLED_COURSE_FILE, ConfigError, PACKAGE_ROOT, loadConfig } from '../src/config.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let cwd = '';

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'course-bot-config-'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function writeIn(relativePath: string, content: string): string {
  const path = join(cwd, relativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig defaults', () => {
  it('falls back to the bundled course when the cwd has no data/course.yaml', () => {
    const config = loadConfig({ env: {}, cwd, dotenv: false });
    expect(config.courseFile).toBe(BUNDLED_COURSE_FILE);
    expect(config.courseFileIsBundled).toBe(true);
    // Outside the cwd, the label is the absolute path.
    expect(config.courseFileLabel).toBe(BUNDLED_COURSE_FILE);
    expect(config.stateDb).toBe(join(cwd, 'var', 'course-bot.db'));
    expect(config.logLevel).toBe('info');
  });

  it('the bundled course is the package’s own data/course.yaml and exists', () => {
    expect(PACKAGE_ROOT).toBe(REPO_ROOT);
    expect(BUNDLED_COURSE_FILE).toBe(join(REPO_ROOT, 'data', 'course.yaml'));
    expect(existsSync(BUNDLED_COURSE_FILE)).toBe(true);
  });

  it('uses data/course.yaml from the cwd when it exists', () => {
    const local = writeIn('data/course.yaml', 'course: {}\n');
    const config = loadConfig({ env: {}, cwd, dotenv: false });
    expect(config.courseFile).toBe(local);
    expect(config.courseFileIsBundled).toBe(false);
    expect(config.courseFileLabel).toBe(join('data', 'course.yaml'));
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({ env: { COURSE_FILE: '   ', STATE_DB: '', LOG_LEVEL: '' }, cwd, dotenv: false });
    expect(config.courseFile).toBe(BUNDLED_COURSE_FILE);
    expect(config.courseFileIsBundled).toBe(true);
    expect(config.stateDb).toBe(join(cwd, 'var', 'course-bot.db'));
    expect(config.logLevel).toBe('info');
  });

  it('ignores variables it does not know', () => {
    const config = loadConfig({ env: { PATH: '/usr/bin', SOMETHING_ELSE: 'x' }, cwd, dotenv: false });
    expect(config.logLevel).toBe('info');
  });
});

describe('COURSE_FILE', () => {
  it('resolves a relative path against the cwd, not the process cwd', () => {
    const config = loadConfig({ env: { COURSE_FILE: 'courses/spring.yaml' }, cwd, dotenv: false });
    expect(config.courseFile).toBe(join(cwd, 'courses', 'spring.yaml'));
    expect(config.courseFileLabel).toBe(join('courses', 'spring.yaml'));
    expect(config.courseFileIsBundled).toBe(false);
  });

  it('a configured file is never replaced by the bundled one, even when missing', () => {
    writeIn('data/course.yaml', 'course: {}\n');
    const config = loadConfig({ env: { COURSE_FILE: 'nowhere.yaml' }, cwd, dotenv: false });
    expect(config.courseFile).toBe(join(cwd, 'nowhere.yaml'));
    expect(config.courseFileIsBundled).toBe(false);
  });

  it('keeps an absolute path, labelled absolute when outside the cwd', () => {
    const elsewhere = join(tmpdir(), 'elsewhere', 'course.yaml');
    const config = loadConfig({ env: { COURSE_FILE: elsewhere }, cwd, dotenv: false });
    expect(config.courseFile).toBe(elsewhere);
    expect(config.courseFileLabel).toBe(elsewhere);
  });

  it('trims surrounding whitespace', () => {
    const config = loadConfig({ env: { COURSE_FILE: '  my.yaml \n' }, cwd, dotenv: false });
    expect(config.courseFile).toBe(join(cwd, 'my.yaml'));
  });
});

describe('STATE_DB', () => {
  it('defaults to <cwd>/var/course-bot.db', () => {
    expect(loadConfig({ env: {}, cwd, dotenv: false }).stateDb).toBe(join(cwd, 'var', 'course-bot.db'));
  });

  it('keeps :memory: as is', () => {
    expect(loadConfig({ env: { STATE_DB: ':memory:' }, cwd, dotenv: false }).stateDb).toBe(':memory:');
  });

  it('resolves a relative path against the cwd and keeps an absolute one', () => {
    expect(loadConfig({ env: { STATE_DB: 'state/bot.db' }, cwd, dotenv: false }).stateDb).toBe(join(cwd, 'state', 'bot.db'));
    const absolute = join(tmpdir(), 'abs', 'bot.db');
    expect(loadConfig({ env: { STATE_DB: absolute }, cwd, dotenv: false }).stateDb).toBe(absolute);
  });
});

describe('LOG_LEVEL', () => {
  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)('accepts %s', (level) => {
    expect(loadConfig({ env: { LOG_LEVEL: level }, cwd, dotenv: false }).logLevel).toBe(level);
  });

  it('empty means info', () => {
    expect(loadConfig({ env: { LOG_LEVEL: '' }, cwd, dotenv: false }).logLevel).toBe('info');
    expect(loadConfig({ env: { LOG_LEVEL: '  ' }, cwd, dotenv: false }).logLevel).toBe('info');
  });

  it('trims whitespace', () => {
    expect(loadConfig({ env: { LOG_LEVEL: ' warn\n' }, cwd, dotenv: false }).logLevel).toBe('warn');
  });

  it('is case-insensitive', () => {
    expect(loadConfig({ env: { LOG_LEVEL: 'DEBUG' }, cwd, dotenv: false }).logLevel).toBe('debug');
    expect(loadConfig({ env: { LOG_LEVEL: 'Warn' }, cwd, dotenv: false }).logLevel).toBe('warn');
  });

  it('rejects an unknown level, naming the variable, the value and the choices', () => {
    const error = configError(() => loadConfig({ env: { LOG_LEVEL: 'verbose' }, cwd, dotenv: false }));
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^LOG_LEVEL: /);
    expect(error.problems[0]).toContain('"verbose"');
    expect(error.problems[0]).toContain('fatal, error, warn, info, debug, trace, silent');
    expect(error.message).toMatch(/^Invalid configuration:\n {2}LOG_LEVEL: /);
  });
});

describe('ConfigError', () => {
  // Only LOG_LEVEL can be invalid for string input today (COURSE_FILE and STATE_DB accept any string),
  // so the other problems are provoked with non-string values.
  it('reports every bad variable at once, each named', () => {
    const env = { LOG_LEVEL: 'loud', COURSE_FILE: 42, STATE_DB: ['x'] } as unknown as NodeJS.ProcessEnv;
    const error = configError(() => loadConfig({ env, cwd, dotenv: false }));
    expect(error.problems).toHaveLength(3);
    const named = error.problems.map((problem) => problem.split(':')[0]).sort();
    expect(named).toEqual(['COURSE_FILE', 'LOG_LEVEL', 'STATE_DB']);
    for (const name of ['COURSE_FILE', 'LOG_LEVEL', 'STATE_DB']) expect(error.message).toContain(`\n  ${name}: `);
    expect(error.message).toContain('"loud"');
  });

});

describe('.env', () => {
  it('reads .env from the cwd', () => {
    writeIn('.env', 'LOG_LEVEL=debug\nSTATE_DB=from-dotenv.db\nCOURSE_FILE=dotenv-course.yaml\n');
    const config = loadConfig({ env: {}, cwd, dotenv: true });
    expect(config.logLevel).toBe('debug');
    expect(config.stateDb).toBe(join(cwd, 'from-dotenv.db'));
    expect(config.courseFile).toBe(join(cwd, 'dotenv-course.yaml'));
  });

  it('reads .env by default', () => {
    writeIn('.env', 'LOG_LEVEL=trace\n');
    expect(loadConfig({ env: {}, cwd }).logLevel).toBe('trace');
  });

  it('real environment variables win over .env', () => {
    writeIn('.env', 'LOG_LEVEL=debug\nSTATE_DB=from-dotenv.db\n');
    const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, cwd, dotenv: true });
    expect(config.logLevel).toBe('warn');
    expect(config.stateDb).toBe(join(cwd, 'from-dotenv.db'));
  });

  it('a real variable set to empty still wins over .env (as dotenv itself does)', () => {
    writeIn('.env', 'LOG_LEVEL=debug\n');
    expect(loadConfig({ env: { LOG_LEVEL: '' }, cwd, dotenv: true }).logLevel).toBe('info');
  });

  it('is ignored with dotenv: false', () => {
    writeIn('.env', 'LOG_LEVEL=debug\nSTATE_DB=from-dotenv.db\n');
    const config = loadConfig({ env: {}, cwd, dotenv: false });
    expect(config.logLevel).toBe('info');
    expect(config.stateDb).toBe(join(cwd, 'var', 'course-bot.db'));
  });

  it('a bad value in .env is reported like one from the environment', () => {
    writeIn('.env', 'LOG_LEVEL=chatty\n');
    const error = configError(() => loadConfig({ env: {}, cwd, dotenv: true }));
    expect(error.problems).toEqual([expect.stringMatching(/^LOG_LEVEL: .*"chatty"/)]);
  });

  it('mutates neither the env passed in nor process.env', () => {
    writeIn('.env', 'LOG_LEVEL=debug\nCOURSE_BOT_TEST_MARKER=from-dotenv\n');
    const env: NodeJS.ProcessEnv = { STATE_DB: ':memory:' };
    loadConfig({ env, cwd, dotenv: true });
    expect(env).toEqual({ STATE_DB: ':memory:' });
    expect(process.env.COURSE_BOT_TEST_MARKER).toBeUndefined();
  });
});

describe('Discord settings', () => {
  it('are absent without DISCORD_TOKEN, and complete with defaults when it is set', () => {
    expect(loadConfig({ env: { DISCORD_GUILD_ID: '123456789012345678' }, cwd, dotenv: false }).discord).toBeUndefined();
    expect(loadConfig({ env: { DISCORD_TOKEN: 'abc.def.ghi' }, cwd, dotenv: false }).discord).toEqual({
      token: 'abc.def.ghi',
      apiUrl: 'https://discord.com/api',
      replyVisibility: 'ephemeral',
    });
  });

  it('read every variable, trimming a trailing slash from the API URL', () => {
    const discord = loadConfig({
      env: {
        DISCORD_TOKEN: 'abc.def.ghi',
        DISCORD_APPLICATION_ID: '111111111111111111',
        DISCORD_GUILD_ID: '222222222222222222',
        DISCORD_ANNOUNCE_CHANNEL_ID: '333333333333333333',
        DISCORD_INSTRUCTOR_ROLE_ID: '444444444444444444',
        DISCORD_ANNOUNCE_ROLE_ID: '555555555555555555',
        DISCORD_API_URL: 'http://127.0.0.1:8080/api/',
        DISCORD_REPLY_VISIBILITY: 'Public',
      },
      cwd,
      dotenv: false,
    }).discord;
    expect(discord).toEqual({
      token: 'abc.def.ghi',
      applicationId: '111111111111111111',
      guildId: '222222222222222222',
      announceChannelId: '333333333333333333',
      instructorRoleId: '444444444444444444',
      announceRoleId: '555555555555555555',
      apiUrl: 'http://127.0.0.1:8080/api',
      replyVisibility: 'public',
    });
  });

  it('report bad ids, URL and visibility together, each named', () => {
    const error = configError(() =>
      loadConfig({
        env: { DISCORD_TOKEN: 'x', DISCORD_GUILD_ID: 'my-server', DISCORD_API_URL: 'discord.com', DISCORD_REPLY_VISIBILITY: 'loud' },
        cwd,
        dotenv: false,
      }),
    );
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([
      'DISCORD_GUILD_ID',
      'DISCORD_API_URL',
      'DISCORD_REPLY_VISIBILITY',
    ]);
    expect(error.message).toContain('DISCORD_GUILD_ID: must be a Discord id');
  });
});

describe('Discord events settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ env, cwd, dotenv: false });

  it('are off by default, and 14 days ahead when on', () => {
    expect(load({}).discordEvents).toBeUndefined();
    expect(load({ DISCORD_EVENTS: 'off', DISCORD_EVENTS_DAYS: '30' }).discordEvents).toBeUndefined();
    expect(load({ DISCORD_EVENTS: 'On' }).discordEvents).toEqual({ days: 14 });
    expect(load({ DISCORD_EVENTS: 'on', DISCORD_EVENTS_DAYS: '30' }).discordEvents).toEqual({ days: 30 });
  });

  it('refuse a bad switch, too many days, and events without a server, each named', () => {
    expect(configError(() => load({ DISCORD_EVENTS: 'yes', DISCORD_EVENTS_DAYS: '200' })).problems).toEqual([
      'DISCORD_EVENTS: must be on or off (got "yes")',
      'DISCORD_EVENTS_DAYS: must be 90 or less (Discord allows 100 scheduled events per server; the rest are left for others) (got "200")',
    ]);
    expect(configError(() => load({ DISCORD_EVENTS: 'on', DISCORD_TOKEN: 'x' })).problems).toEqual([
      'DISCORD_EVENTS: needs DISCORD_GUILD_ID (the server whose Events list the bot keeps)',
    ]);
  });
});

describe('announcer settings', () => {
  it('default to a 120 s lease and 10 minutes of retries, and are checked', () => {
    expect(loadConfig({ env: {}, cwd, dotenv: false }).announcer).toEqual({ leaseMs: 120_000, retryForMs: 600_000 });
    expect(loadConfig({ env: { ANNOUNCE_LEASE_SECONDS: '30', ANNOUNCE_RETRY_MINUTES: '0.5' }, cwd, dotenv: false }).announcer).toEqual({
      leaseMs: 30_000,
      retryForMs: 30_000,
    });
    const error = configError(() => loadConfig({ env: { ANNOUNCE_LEASE_SECONDS: '1', ANNOUNCE_RETRY_MINUTES: 'soon' }, cwd, dotenv: false }));
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual(['ANNOUNCE_LEASE_SECONDS', 'ANNOUNCE_RETRY_MINUTES']);
  });
});

describe('Slack settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ env, cwd, dotenv: false });

  it('are absent without SLACK_BOT_TOKEN; Socket Mode with an app token, with defaults', () => {
    expect(load({}).slack).toBeUndefined();
    expect(load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack).toEqual({
      botToken: 'xoxb-1',
      appToken: 'xapp-1',
      port: 3000,
      host: '0.0.0.0',
      instructorUserIds: [],
      commandPrefix: '',
      apiUrl: 'https://slack.com/api/',
      replyVisibility: 'ephemeral',
    });
  });

  it('read every variable (HTTP mode), with a trailing slash added to the API URL', () => {
    expect(
      load({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'shh',
        SLACK_PORT: '0',
        SLACK_HOST: '127.0.0.1',
        SLACK_ANNOUNCE_CHANNEL: 'C0123ABCD',
        SLACK_INSTRUCTOR_CHANNEL: 'G0123ABCD',
        SLACK_INSTRUCTOR_USER_IDS: 'U0123ABCD, W0123ABCD',
        SLACK_INSTRUCTOR_USERGROUP: 'S0123ABCD',
        SLACK_COMMAND_PREFIX: 'mlops-',
        SLACK_API_URL: 'http://127.0.0.1:9/api',
        SLACK_REPLY_VISIBILITY: 'Public',
      }).slack,
    ).toEqual({
      botToken: 'xoxb-1',
      signingSecret: 'shh',
      port: 0,
      host: '127.0.0.1',
      announceChannel: 'C0123ABCD',
      instructorChannel: 'G0123ABCD',
      instructorUserIds: ['U0123ABCD', 'W0123ABCD'],
      instructorUsergroup: 'S0123ABCD',
      commandPrefix: 'mlops-',
      apiUrl: 'http://127.0.0.1:9/api/',
      replyVisibility: 'public',
    });
  });

  it('need an app token or a signing secret', () => {
    expect(configError(() => load({ SLACK_BOT_TOKEN: 'xoxb-1' })).problems).toEqual([
      'SLACK_BOT_TOKEN: needs SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET (HTTP mode on SLACK_PORT)',
    ]);
  });

  it('report bad tokens, ids, names and ports together, each named, without echoing secrets', () => {
    const error = configError(() =>
      load({
        SLACK_BOT_TOKEN: 'xoxp-user-token',
        SLACK_APP_TOKEN: 'xoxb-not-app',
        SLACK_PORT: '70000',
        SLACK_ANNOUNCE_CHANNEL: '#general',
        SLACK_INSTRUCTOR_USER_IDS: 'U0123ABCD,alice',
        SLACK_INSTRUCTOR_USERGROUP: 'teachers',
        SLACK_COMMAND_PREFIX: 'MLOps ',
      }),
    );
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_APP_TOKEN',
      'SLACK_PORT',
      'SLACK_ANNOUNCE_CHANNEL',
      'SLACK_INSTRUCTOR_USER_IDS',
      'SLACK_INSTRUCTOR_USERGROUP',
      'SLACK_COMMAND_PREFIX',
    ]);
    expect(error.message).toContain('SLACK_ANNOUNCE_CHANNEL: must be a Slack channel id (such as C0123ABCD; not a #name)');
    expect(error.message).not.toContain('xoxp-user-token');
    expect(error.message).not.toContain('xoxb-not-app');
  });
});

describe('LOG_FORMAT and HTTP_PORT', () => {
  it('default to auto and no server; are read and checked', () => {
    const plain = loadConfig({ env: {}, cwd, dotenv: false });
    expect(plain.logFormat).toBe('auto');
    expect(plain.http).toBeUndefined();
    const set = loadConfig({ env: { LOG_FORMAT: 'JSON', HTTP_PORT: '8080' }, cwd, dotenv: false });
    expect(set.logFormat).toBe('json');
    expect(set.http).toEqual({ port: 8080, host: '0.0.0.0' });
    const error = configError(() => loadConfig({ env: { LOG_FORMAT: 'xml', HTTP_PORT: 'eighty' }, cwd, dotenv: false }));
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual(['LOG_FORMAT', 'HTTP_PORT']);
  });
});

describe('a .env that cannot be read as one: one line naming .env and the fix', () => {
  const example = 'NAME=value lines, as in .env.example';
  const cases: readonly [string, () => void, string][] = [
    ['a folder', () => mkdirSync(join(cwd, '.env')), `.env is a directory: it must be a file of ${example}; move the folder away.`],
    [
      'a FIFO (read without waiting for a writer)',
      () => execFileSync('mkfifo', [join(cwd, '.env')]),
      `.env is a named pipe (FIFO), not a regular file: it must be a regular file of ${example}; replace it with one, or remove it.`,
    ],
    ['a link to nothing', () => symlinkSync('vault/env', join(cwd, '.env')), `.env is a link to <cwd>/vault/env, which does not exist: point it at a file of ${example}, or remove it.`],
    [
      'UTF-16 with a byte order mark',
      () => writeFileSync(join(cwd, '.env'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('LOG_LEVEL=debug\n', 'utf16le')])),
      `.env is UTF-16 text: save it as UTF-8 (${example}).`,
    ],
    ['UTF-32 with a byte order mark', () => writeFileSync(join(cwd, '.env'), Buffer.from([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0, 0x3d, 0, 0, 0])), `.env is UTF-32 text: save it as UTF-8 (${example}).`],
    ['UTF-16 without one', () => writeFileSync(join(cwd, '.env'), Buffer.from('LOG_LEVEL=debug\n', 'utf16le')), `.env is UTF-16 text: save it as UTF-8 (${example}).`],
    [
      'binary content',
      () => writeFileSync(join(cwd, '.env'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x41, 0x3d])),
      `.env is not text (it holds NUL bytes, as a binary file does): it must be UTF-8 text of ${example}.`,
    ],
    ['Latin-1 text', () => writeFileSync(join(cwd, '.env'), Buffer.concat([Buffer.from('LOG_LEVEL=debug\n# K'), Buffer.from([0xf8]), Buffer.from('benhavn\n')])), '.env line 2 is not UTF-8 text: save the file as UTF-8.'],
    [
      'a quote that is never closed (the value is a secret: never shown)',
      () => writeIn('.env', 'LOG_LEVEL=debug\nDISCORD_TOKEN="MTIz.secret\nSTATE_DB=x.db\n'),
      '.env line 2: the value of DISCORD_TOKEN opens a " quote that is never closed: close it (DISCORD_TOKEN="…") or remove the quote.',
    ],
    [
      'a quote closed by the next value’s quote',
      () => writeIn('.env', "SLACK_BOT_TOKEN='xoxb-1\nSLACK_APP_TOKEN='xapp-1'\n"),
      ".env line 1: the value of SLACK_BOT_TOKEN opens a ' quote that is never closed: close it (SLACK_BOT_TOKEN='…') or remove the quote.",
    ],
    [
      'text after the closing quote',
      () => writeIn('.env', 'COURSE_FILE="data/course.yaml" data/other.yaml\n'),
      '.env line 1: the value of COURSE_FILE has text after its closing " quote: put all of it inside the quotes, or a # before a comment.',
    ],
    ['a line that is no assignment', () => writeIn('.env', '# tokens\nDISCORD_TOKEN MTIz.secret\n'), '.env line 2 is not a NAME=value line (nor a # comment): fix it or remove it.'],
    ['more than 1 MB', () => writeIn('.env', `# ${'x'.repeat(1024 * 1024)}\n`), '.env is 1.0 MB: a .env file may be at most 1 MB (NAME=value lines, as in .env.example).'],
  ];

  it.each(cases)('%s', (_name, make, expected) => {
    make();
    const line = expected.replace('<cwd>', cwd);
    const error = configError(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toBe(line);
    expect(error.problems).toEqual([line]);
    expect(error.message).not.toContain('secret');
  });

  it('every problem of the file at once, one line each', () => {
    writeIn('.env', 'A="x\nB=1\nnot an assignment\nC=\'y\' z\n');
    expect(configError(() => loadConfig({ env: {}, cwd })).message).toBe(
      [
        '.env line 1: the value of A opens a " quote that is never closed: close it (A="…") or remove the quote.',
        '.env line 3 is not a NAME=value line (nor a # comment): fix it or remove it.',
        ".env line 4: the value of C has text after its closing ' quote: put all of it inside the quotes, or a # before a comment.",
      ].join('\n'),
    );
  });

  it('a socket: named as one', async () => {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(join(cwd, '.env'), listening));
    try {
      expect(configError(() => loadConfig({ env: {}, cwd })).message).toBe(
        `.env is a socket, not a regular file: it must be a regular file of ${example}; replace it with one, or remove it.`,
      );
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  it('a file of something else (a line of problems each): the first 20, then how many more', () => {
    writeIn('.env', Array.from({ length: 25 }, (_, index) => `word ${index}`).join('\n'));
    const lines = configError(() => loadConfig({ env: {}, cwd })).message.split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[19]).toBe('.env line 20 is not a NAME=value line (nor a # comment): fix it or remove it.');
    expect(lines[20]).toBe(`.env has 5 more lines like these: is it a .env file of ${example}?`);
  });

  it('unreadable: says so (and names no port)', () => {
    writeIn('.env', 'LOG_LEVEL=debug\n');
    chmodSync(join(cwd, '.env'), 0o000);
    if (process.getuid?.() === 0) return; // root reads it anyway: the CLI test below runs as uid 65534
    expect(configError(() => loadConfig({ env: {}, cwd })).message).toBe(`.env cannot be read (permission denied): let uid ${process.getuid?.()} read it, or remove it.`);
  });

  it('what dotenv reads is still read: a UTF-8 byte order mark, comments, export, NAME: value, quotes of every kind, values over lines, CRLF', () => {
    writeFileSync(
      join(cwd, '.env'),
      '\ufeff# comment\r\nexport LOG_LEVEL=debug\r\nLOG_FORMAT: json\r\n\r\nSTATE_DB="state # not a comment.db" # a comment\r\n' +
        "COURSE_FILE='c.yaml'\r\nSLACK_SIGNING_SECRET=`s3cret`\r\nDISCORD_GUILD_ID=\r\nX_MULTI=\"line one\nline two\"\r\nX_ESCAPED=\"a\\\"b\"\r\n",
    );
    const config = loadConfig({ env: {}, cwd });
    expect(config.logLevel).toBe('debug');
    expect(config.logFormat).toBe('json');
    expect(config.stateDb).toBe(join(cwd, 'state # not a comment.db'));
    expect(config.courseFile).toBe(join(cwd, 'c.yaml'));
  });
});

describe('the CLI on a bad .env', () => {
  /** `course-bot <args>` in this process, in `cwd` (where the .env is). */
  async function run(args: readonly string[]) {
    let stdout = '';
    let stderr = '';
    const sink = (write: (text: string) => void) =>
      ({ write: (chunk: string, callback?: () => void) => (write(String(chunk)), callback?.(), true), on: () => undefined, off: () => undefined }) as unknown as NodeJS.WritableStream;
    const code = await main(args, { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)), cwd, env: { LOG_LEVEL: 'silent' } });
    return { code, stdout, stderr };
  }

  it.each([['start'], ['validate'], ['ask', '/today'], ['export'], ['calendar'], ['announce', '--dry-run'], ['invite-url']])(
    '%s with .env a folder: exit 1 and the one line',
    async (...args) => {
      mkdirSync(join(cwd, '.env'));
      expect(await run(args)).toEqual({ code: 1, stdout: '', stderr: '.env is a directory: it must be a file of NAME=value lines, as in .env.example; move the folder away.\n' });
    },
  );

  /** The real command, as `uid` when given, in `cwd`; killed after a minute (a hang fails the test). */
  function spawnCli(args: readonly string[], uid?: number): Promise<{ code: number | null; stderr: string }> {
    return new Promise((done, fail) => {
      // tsx by its own path: the working directory (where the .env is) has no node_modules.
      const tsx = import.meta.resolve('tsx');
      const child = spawn(process.execPath, ['--import', tsx, join(REPO_ROOT, 'src', 'cli.ts'), ...args], {
        cwd,
        env: { ...process.env, LOG_LEVEL: 'silent', COURSE_FILE: '', STATE_DB: ':memory:', HOME: cwd, NODE_PATH: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(uid !== undefined && { uid, gid: uid }),
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, stderr });
      });
    });
  }

  it('start with .env a FIFO nobody writes: exits 1 with the one line instead of hanging', { timeout: 90_000 }, async () => {
    execFileSync('mkfifo', [join(cwd, '.env')]);
    expect(await spawnCli(['start'])).toEqual({
      code: 1,
      stderr: '.env is a named pipe (FIFO), not a regular file: it must be a regular file of NAME=value lines, as in .env.example; replace it with one, or remove it.\n',
    });
  });

  it('start with a .env the user may not read: the one line, not a port', { timeout: 90_000 }, async (context) => {
    if (process.getuid?.() !== 0) context.skip('needs root to run the command as uid 65534');
    chmodSync(cwd, 0o755);
    writeIn('.env', 'LOG_LEVEL=debug\n');
    chmodSync(join(cwd, '.env'), 0o600);
    expect(await spawnCli(['start'], 65_534)).toEqual({ code: 1, stderr: '.env cannot be read (permission denied): let uid 65534 read it, or remove it.\n' });
  });
});

