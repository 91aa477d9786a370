import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.js';
import { runCli, SPAWN_TIMEOUT } from '../support/child.js';
import { PostgresHosts, freePort, startProxy } from '../support/postgres.js';

const TIMEOUT = SPAWN_TIMEOUT;

/**
 * Two hosts on one PostgreSQL (DATABASE_URL): the real bot, twice, against the local fake Discord and one real
 * PostgreSQL server (a fresh database per test); each announcement must be posted once. The SQLite version of
 * this is in announcer.test.ts.
 */
describe('the morning announcement from two instances on one PostgreSQL, exactly once', () => {
  let hosts: PostgresHosts | undefined;
  let fake: FakeDiscord;
  const key = () => `mlops:2027-01-05:daily:discord:${fake.channelId}`;
  const posts = () => fake.messages(fake.channelId).filter((message) => message.embeds?.[0]?.footer?.text.includes(key()));
  const postRequests = () => fake.requests.filter((entry) => entry.method === 'POST' && entry.path === `/channels/${fake.channelId}/messages`);
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const startBot = (at: string) =>
    hosts!.startBot(['start', '--at', at], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_ANNOUNCE_CHANNEL_ID: fake.channelId,
      ANNOUNCE_LEASE_SECONDS: '2',
    });

  const claim = () => hosts!.withStore((store) => store.getClaim(key()));
  const sent = () => fake.waitFor(() => (claim()?.status === 'sent' ? claim() : undefined), { timeoutMs: 30_000, what: 'the claim recorded as sent' });

  beforeAll(async () => {
    hosts = await PostgresHosts.start('course-bot-announce-pg-');
  });
  afterAll(async () => {
    await hosts?.stop();
  });

  beforeEach(async () => {
    // No nonce deduplication in the fake: the bot's own claims and lookups must keep it to one post.
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, nonceWindowMs: 0 });
    await hosts!.begin();
  });

  afterEach(async () => {
    await hosts!.end();
    await fake.close();
  });

  it('two instances: one POST, one message, recorded as sent in PostgreSQL', { timeout: TIMEOUT }, async () => {
    const [a, b] = [startBot('2027-01-05T07:59:58'), startBot('2027-01-05T07:59:58')];
    await Promise.all([a.waitForOutput(/slash commands/), b.waitForOutput(/slash commands/)]);
    const record = await sent();
    await settle(3_000);
    expect(postRequests()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
    expect(record).toMatchObject({ status: 'sent', messageId: posts()[0]!.id, attempts: 1 });
  });

  it('both killed while the post is in flight (it lands), a third instance started: one message, recorded', { timeout: TIMEOUT }, async () => {
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { delayMs: 2_500 });
    startBot('2027-01-05T08:00');
    startBot('2027-01-05T08:00');
    await fake.waitFor(() => fake.requests.find((entry) => entry.method === 'POST' && entry.path.startsWith('/channels/')), {
      timeoutMs: 20_000,
      what: 'the announcement POST',
    });
    await Promise.all(hosts!.bots.map((bot) => bot.stop('SIGKILL')));
    expect(claim()).toMatchObject({ status: 'pending' });
    await fake.waitForMessage(fake.channelId, undefined, { timeoutMs: 10_000 });
    const third = startBot('2027-01-05T08:00:10');
    await third.waitForOutput(/announcement was already posted; recorded it/, 20_000);
    expect(posts()).toHaveLength(1);
    expect(await sent()).toMatchObject({ status: 'sent', messageId: posts()[0]!.id });
    expect(postRequests()).toHaveLength(1);
  });

  it('a PostgreSQL server that cannot be reached at start: exit 1 with one line that says what to do, no password', { timeout: TIMEOUT }, async () => {
    const port = await freePort();
    const result = await runCli(['start'], {
      env: {
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_GUILD_ID: fake.guildId,
        STATE_DB: join(hosts!.dir, 'host.db'),
        DATABASE_URL: `postgres://bot:hunter2-secret@127.0.0.1:${port}/course`,
        LOG_LEVEL: 'silent',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^DATABASE_URL postgres://bot@127\\.0\\.0\\.1:${port}/course: could not connect \\([^)]*ECONNREFUSED[^)]*\\)\\. Start PostgreSQL or fix DATABASE_URL, then try again\\.$`),
    );
    expect(result.stderr + result.stdout).not.toContain('hunter2');
  });

  it('a PostgreSQL server that goes away: /healthz says 503 with "database unreachable", the bot keeps running and recovers', { timeout: TIMEOUT }, async () => {
    // The bot reaches the server through a proxy, taken down halfway and brought back.
    const { server, url } = hosts!;
    const proxy = await startProxy(server.port);
    try {
      const bot = hosts!.startBot(['start', '--at', '2027-01-05T10:00'], {
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_GUILD_ID: fake.guildId,
        DATABASE_URL: url.replace(`:${server.port}/`, `:${proxy.port}/`),
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      });
      await bot.waitForOutput(/slash commands (registered|unchanged)/, 45_000);
      const port = Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);
      const health = async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
      };
      expect((await health()).status).toBe(200);
      await proxy.down();
      const unhealthy = await health();
      expect(unhealthy.status).toBe(503);
      expect(unhealthy.body.checks.database).toMatch(
        new RegExp(`^DATABASE_URL ${url.replace(':test-secret', '').replace(`:${server.port}/`, `:${proxy.port}/`).replace(/[.]/g, '\\.')}: database unreachable \\(.+\\): check that the PostgreSQL server runs`),
      );
      // Failing fast: the next check answers at once with the same line.
      expect((await health()).body.checks.database).toBe(unhealthy.body.checks.database);
      expect(bot.output().stderr).not.toContain('test-secret');
      expect(bot.output().stderr).toMatch(/database unreachable/);
      expect(await Promise.race([bot.exited.then(() => 'exited'), settle(500).then(() => 'running')])).toBe('running');
      // Back: once the backoff's wait is over (1 s, 2 s, 4 s … while it is down), a check sends a probe and fails
      // at once; a check after the probe got through reaches the server, and the bot says so.
      await proxy.up();
      const deadline = Date.now() + 45_000;
      while ((await health()).status !== 200 && Date.now() < deadline) await settle(1_000);
      expect((await health()).body.checks.database).toBe('ok');
      await bot.waitForOutput(/answers again: schedule changes and announcements are stored again/, 10_000);
      // The log names the database the store uses (the URL without its password), not the unused STATE_DB.
      const shown = url.replace(':test-secret', '').replace(`:${server.port}/`, `:${proxy.port}/`);
      const lines = bot
        .output()
        .stderr.split('\n')
        .filter((line) => /database unreachable|answers again/.test(line))
        .map((line) => JSON.parse(line) as { db?: string; msg: string });
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const line of lines) expect(line.db, line.msg).toBe(shown);
    } finally {
      await proxy.stop();
    }
  });
});
