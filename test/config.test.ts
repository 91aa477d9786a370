import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
