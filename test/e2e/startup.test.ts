import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.js';
import { FakeSlack } from '../fakes/slack/index.js';
import { runCli, spawnCli } from '../support/child.js';

const DISCORD_REFUSED = 'Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).';
const SLACK_REFUSED = 'Slack refused the token (invalid_auth): check SLACK_BOT_TOKEN and SLACK_APP_TOKEN (api.slack.com/apps → your app).';

/** The lines of stderr that are not JSON log lines: what a person reads. */
function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{"level"'));
}

describe('starting and stopping the Discord bot', () => {
  let fake: FakeDiscord;
  let dir: string;
  const env = () => ({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, STATE_DB: join(dir, 'state.db') });

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join(tmpdir(), 'course-bot-startup-'));
  });

  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops on SIGTERM while still connecting', async () => {
    fake.failNext('GET /gateway/bot', { delayMs: 3_000 });
    const bot = spawnCli(['start'], env());
    await bot.waitForOutput(/"msg":"course loaded"/);
    const started = Date.now();
    expect(await bot.stop('SIGTERM', 8_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(bot.output().stderr).toContain('"msg":"shutting down"');
  });

  it('explains a refused token in one line, without printing it', async () => {
    const result = await runCli(['start'], { env: { ...env(), DISCORD_TOKEN: 'not-the-token', LOG_LEVEL: 'silent' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).');
  });

  it('explains an unreachable Discord in one line', async () => {
    const result = await runCli(['start'], { env: { ...env(), DISCORD_API_URL: 'http://127.0.0.1:9/api', LOG_LEVEL: 'silent' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Could not reach Discord \(.*\): check the network and DISCORD_API_URL\.$/);
  });
});

/**
 * Discord and Slack together: a platform refused at start-up ends the process with exit 1 and one line per
 * refused platform, whichever it is, so that a supervisor restarts it (a process left half-connected
 * answers nobody and is never restarted).
 */
describe('a refused platform while the other connects', () => {
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let dir: string;
  const WRONG_DISCORD = 'wrong-discord-token-0123456789';
  const WRONG_SLACK = 'xoxb-0000000000-wrong-slack-token';

  beforeAll(async () => {
    [discord, slack] = await Promise.all([FakeDiscord.start({ heartbeatInterval: 1_000 }), FakeSlack.start({ pingIntervalMs: 0 })]);
    dir = mkdtempSync(join(tmpdir(), 'course-bot-startup-both-'));
  });

  afterAll(async () => {
    await Promise.all([discord.close(), slack.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: readonly [string, { discordOk: boolean; slackOk: boolean; discordSlowMs?: number }, readonly string[]][] = [
    // Discord still logging in when Slack is refused, past the wait for the other platforms: its connection
    // opens after the stop and must be closed then.
    ['Discord connects, Slack refuses', { discordOk: true, slackOk: false, discordSlowMs: 8_000 }, [SLACK_REFUSED]],
    ['both refuse', { discordOk: false, slackOk: false }, [DISCORD_REFUSED, SLACK_REFUSED]],
    ['Discord refuses, Slack connects', { discordOk: false, slackOk: true }, [DISCORD_REFUSED]],
  ];

  for (const [name, { discordOk, slackOk, discordSlowMs }, expected] of cases) {
    it(`${name}: exits 1 with one line per refused platform, no stack trace, no token`, { timeout: 90_000 }, async () => {
      if (discordSlowMs) discord.failNext('GET /gateway/bot', { delayMs: discordSlowMs });
      const result = await runCli(['start'], {
        timeout: 60_000,
        env: {
          DISCORD_TOKEN: discordOk ? discord.token : WRONG_DISCORD,
          DISCORD_API_URL: discord.apiUrl,
          DISCORD_GUILD_ID: discord.guildId,
          SLACK_BOT_TOKEN: slackOk ? slack.botToken : WRONG_SLACK,
          SLACK_APP_TOKEN: slack.appToken,
          SLACK_API_URL: slack.apiUrl,
          // A database of its own: earlier failed starts would make this one wait (the start backoff).
          STATE_DB: join(dir, `${name.replaceAll(/\W+/g, '-')}.db`),
          LOG_LEVEL: 'info',
        },
      });
      const all = `${result.stdout}${result.stderr}`;
      expect(result.code).toBe(1);
      // The bot logged before it failed: an empty log would pass the checks below for nothing.
      expect(result.stderr).toContain('"msg":"course loaded"');
      expect(plainLines(result.stderr)).toEqual(expected);
      expect(all).not.toMatch(/^\s+at |Error:|Unhandled/m);
      for (const token of [discord.token, slack.botToken, slack.appToken, WRONG_DISCORD, WRONG_SLACK]) expect(all).not.toContain(token);
    });
  }
});

/**
 * A platform that shuts a running bot out (its token reset or revoked) ends the process with exit 1 and the
 * same one line a start would give, so that a supervisor restarts it; the bot never lingers connected to
 * nothing, and never dies of an unhandled rejection.
 */
describe('a platform that shuts the running bot out', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-shut-out-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('Discord closes the gateway with 4004 (the token was reset): exit 1, one line', { timeout: 90_000 }, async () => {
    const discord = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    try {
      const bot = spawnCli(['start'], {
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_GUILD_ID: discord.guildId,
        STATE_DB: join(dir, 'discord.db'),
      });
      await bot.waitForOutput(/slash commands registered/, 30_000);
      discord.closeConnections(4004, 'Authentication failed.');
      expect(await Promise.race([bot.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))])).toBe(1);
      const { stdout, stderr } = bot.output();
      expect(stderr).toContain('"msg":"a platform shut the bot out; stopping"');
      expect(plainLines(stderr)).toEqual([DISCORD_REFUSED]);
      expect(`${stdout}${stderr}`).not.toMatch(/^\s+at |Unhandled/m);
      expect(`${stdout}${stderr}`).not.toContain(discord.token);
      await bot.stop('SIGKILL');
    } finally {
      await discord.close();
    }
  });

  it('Slack refuses the app token when Socket Mode reconnects: exit 1, one line', { timeout: 90_000 }, async () => {
    const slack = await FakeSlack.start({ pingIntervalMs: 0 });
    try {
      const bot = spawnCli(['start'], {
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_API_URL: slack.apiUrl,
        STATE_DB: join(dir, 'slack.db'),
      });
      await bot.waitForOutput(/slack ready/, 30_000);
      await slack.connected();
      slack.failNext('apps.connections.open', { error: 'invalid_auth' }, 10);
      slack.dropSocket();
      expect(await Promise.race([bot.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))])).toBe(1);
      const { stdout, stderr } = bot.output();
      expect(plainLines(stderr)).toEqual([SLACK_REFUSED]);
      expect(`${stdout}${stderr}`).not.toMatch(/^\s+at |Unhandled/m);
      for (const token of [slack.botToken, slack.appToken]) expect(`${stdout}${stderr}`).not.toContain(token);
      await bot.stop('SIGKILL');
    } finally {
      await slack.close();
    }
  });
});

/**
 * The health server (HTTP_HOST, HTTP_PORT) and Slack's HTTP mode (SLACK_HOST, SLACK_PORT) that cannot listen:
 * one line that names the setting and the fix, exit 1, never a stack trace and never blamed on a platform.
 */
describe('a server that cannot listen', () => {
  let dir: string;
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let taken: ReturnType<typeof createServer>;
  let takenPort: number;
  // TEST-NET-3 (RFC 5737): an address no machine has.
  const NOT_HERE = '203.0.113.77';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-listen-'));
    [discord, slack] = await Promise.all([FakeDiscord.start(), FakeSlack.start({ pingIntervalMs: 0 })]);
    taken = createServer();
    takenPort = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
  });

  afterAll(async () => {
    taken.close();
    await Promise.all([discord.close(), slack.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  let runs = 0;
  const start = (env: Record<string, string>) =>
    runCli(['start'], { env: { STATE_DB: join(dir, `state-${(runs += 1)}.db`), LOG_LEVEL: 'silent', ...env } });
  const withDiscord = () => ({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl, DISCORD_GUILD_ID: discord.guildId });

  const cases: readonly [string, () => Record<string, string>, RegExp][] = [
    [
      'HTTP_HOST not an address of this machine (EADDRNOTAVAIL), Discord configured',
      () => ({ ...withDiscord(), HTTP_HOST: NOT_HERE, HTTP_PORT: '8080' }),
      /^Cannot listen on 203\.0\.113\.77:8080 \(EADDRNOTAVAIL\): 203\.0\.113\.77 is not an address of this machine; set HTTP_HOST to one of its addresses, or 0\.0\.0\.0 for all\.$/,
    ],
    [
      'HTTP_HOST a name that does not resolve, Discord configured',
      () => ({ ...withDiscord(), HTTP_HOST: 'no-such-host.invalid', HTTP_PORT: '8080' }),
      /^Cannot listen on no-such-host\.invalid:8080 \((ENOTFOUND|EAI_AGAIN)\): .*HTTP_HOST.* set it to an address, such as 0\.0\.0\.0 \(all\) or 127\.0\.0\.1\.$/,
    ],
    [
      'HTTP_PORT in use (EADDRINUSE), terminal mode',
      () => ({ HTTP_HOST: '127.0.0.1', HTTP_PORT: String(takenPort) }),
      /^Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\): another program uses port \d+; stop it, or set HTTP_PORT to a free port\.$/,
    ],
    [
      'SLACK_HOST not an address of this machine, in Slack HTTP mode',
      () => ({ SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl, SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789', SLACK_HOST: NOT_HERE, SLACK_PORT: '3999' }),
      /^Cannot listen on 203\.0\.113\.77:3999 \(EADDRNOTAVAIL\): 203\.0\.113\.77 is not an address of this machine; set SLACK_HOST to one of its addresses, or 0\.0\.0\.0 for all\.$/,
    ],
  ];

  for (const [name, env, line] of cases) {
    it(`${name}: exit 1 and one line naming the setting`, { timeout: 90_000 }, async () => {
      const result = await start(env());
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(line);
      expect(result.stderr).not.toMatch(/Discord|DISCORD_API_URL|\n\s+at /);
    });
  }
});
