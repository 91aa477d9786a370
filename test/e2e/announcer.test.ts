import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeDiscord } from '../fakes/discord/index.js';
import { type RunningChild, runCli, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';

const TIMEOUT = SPAWN_TIMEOUT;
const ROLE = '987654321098765432';

/**
 * The morning post, end to end: the real bot (as `npm start` runs it) against the local fake Discord,
 * killed and restarted around the announcement; the channel must end up with exactly one post.
 */
describe('the morning announcement on Discord, exactly once', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bots: RunningChild[];
  const key = () => `mlops:2027-01-05:daily:discord:${fake.channelId}`;
  const posts = () => fake.messages(fake.channelId).filter((message) => message.embeds?.[0]?.footer?.text.includes(key()));

  const startBot = (at: string, env: Record<string, string> = {}) => {
    const bot = spawnCli(['start', '--at', at], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_ANNOUNCE_CHANNEL_ID: fake.channelId,
      STATE_DB: join(dir, 'state.db'),
      ANNOUNCE_LEASE_SECONDS: '2',
      ...env,
    });
    bots.push(bot);
    return bot;
  };

  const claim = () => {
    const store = new SqliteStore(join(dir, 'state.db'));
    try {
      return store.getClaim(key());
    } finally {
      store.close();
    }
  };

  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const postRequests = () => fake.requests.filter((entry) => entry.method === 'POST' && entry.path === `/channels/${fake.channelId}/messages`);
  /** Waits until the claim is recorded as sent (polling the state database). */
  const sent = () => fake.waitFor(() => (claim()?.status === 'sent' ? claim() : undefined), { timeoutMs: 30_000, what: 'the claim recorded as sent' });

  beforeEach(async () => {
    // No nonce deduplication in the fake: the bot's own claims and lookups must keep it to one post.
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, nonceWindowMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-announce-'));
    bots = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts at the set minute, with the key as marker, a nonce and no pings; once', { timeout: TIMEOUT }, async () => {
    const started = Date.now();
    const bot = startBot('2027-01-05T07:59:54', { DISCORD_ANNOUNCE_ROLE_ID: ROLE });
    await bot.waitForOutput(/slash commands registered/);
    expect(posts()).toHaveLength(0);
    const message = await fake.waitForMessage(fake.channelId, undefined, { timeoutMs: 15_000 });
    // 08:00 on the bot's clock is 6 s after it started; the post waited for it (not a catch-up).
    expect(postRequests()[0]!.at - started).toBeGreaterThanOrEqual(5_500);
    expect(message.embeds?.[0]?.title).toBe('Good morning! Today in Machine Learning Operations: Week 1 · Tuesday 5 January 2027');
    expect(message.embeds?.[0]?.footer?.text).toBe(`Machine Learning Operations · ${key()}`);
    expect(message.content).toBe(`<@&${ROLE}>`);
    const request = fake.requests.find((entry) => entry.method === 'POST' && entry.path === `/channels/${fake.channelId}/messages`);
    expect(request?.body).toMatchObject({ enforce_nonce: true, allowed_mentions: { parse: [], roles: [ROLE] } });
    expect(String((request?.body as { nonce: string }).nonce).length).toBeLessThanOrEqual(25);
    expect(await sent()).toMatchObject({ status: 'sent', messageId: message.id });
    await settle(1_500);
    expect(postRequests()).toHaveLength(1);
  });

  it('killed while the post is in flight (it lands), restarted: one message, recorded', { timeout: TIMEOUT }, async () => {
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { delayMs: 2_500 });
    const first = startBot('2027-01-05T08:00');
    await fake.waitFor(() => fake.requests.find((entry) => entry.method === 'POST' && entry.path.startsWith('/channels/')), {
      timeoutMs: 20_000,
      what: 'the announcement POST',
    });
    await first.stop('SIGKILL');
    expect(claim()).toMatchObject({ status: 'pending' });
    await fake.waitForMessage(fake.channelId, undefined, { timeoutMs: 10_000 });
    const second = startBot('2027-01-05T08:00:10');
    await second.waitForOutput(/announcement was already posted; recorded it/, 20_000);
    expect(posts()).toHaveLength(1);
    expect(await sent()).toMatchObject({ status: 'sent', messageId: posts()[0]!.id });
    expect(postRequests()).toHaveLength(1);
  });

  it('killed before the post lands, restarted: one message', { timeout: TIMEOUT }, async () => {
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { drop: true });
    const first = startBot('2027-01-05T08:00');
    await first.waitForOutput(/posting failed; retrying/, 20_000);
    await first.stop('SIGKILL');
    expect(posts()).toHaveLength(0);
    const second = startBot('2027-01-05T08:00:10');
    await second.waitForOutput(/"msg":"announcement posted"/, 20_000);
    expect(posts()).toHaveLength(1);
  });

  it('killed right after the post, restarted: one message', { timeout: TIMEOUT }, async () => {
    const first = startBot('2027-01-05T08:00');
    await fake.waitForMessage(fake.channelId, undefined, { timeoutMs: 20_000 });
    await first.stop('SIGKILL');
    const second = startBot('2027-01-05T08:00:10');
    await second.waitForOutput(/slash commands unchanged/, 20_000);
    expect(await sent()).toMatchObject({ messageId: posts()[0]!.id });
    await settle(3_000);
    expect(postRequests()).toHaveLength(1);
  });

  it('two instances on one state database: one POST, one message', { timeout: TIMEOUT }, async () => {
    const [a, b] = [startBot('2027-01-05T07:59:58'), startBot('2027-01-05T07:59:58')];
    await Promise.all([a.waitForOutput(/slash commands/), b.waitForOutput(/slash commands/)]);
    await sent();
    await settle(3_000);
    expect(postRequests()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('through a 429 storm and 5xx bursts: one message', { timeout: TIMEOUT }, async () => {
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { status: 429, retryAfter: 0.3 }, 3);
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { status: 503 }, 3);
    const bot = startBot('2027-01-05T08:00');
    await bot.waitForOutput(/"msg":"announcement posted"/, 40_000);
    expect(posts()).toHaveLength(1);
    const attempts = postRequests();
    expect(attempts.map((entry) => entry.status)).toEqual([429, 429, 429, 503, 503, 503, 200]);
    // Before each new attempt after a 5xx, the bot looked for the message in the channel.
    expect(fake.requests.filter((entry) => entry.method === 'GET' && entry.path === `/channels/${fake.channelId}/messages`)).toHaveLength(3);
    // The rate limit was waited out as Discord asked (0.3 s each time).
    expect(attempts[3]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(800);
  });

  it('started late: posts inside the catch-up window, skips and says so after it', { timeout: TIMEOUT }, async () => {
    const late = startBot('2027-01-05T11:30');
    await late.waitForOutput(/"msg":"announcement posted"/, 20_000);
    expect(posts()).toHaveLength(1);
    await late.stop();
    const tooLate = startBot('2027-01-06T12:30');
    const line = await tooLate.waitForOutput(/announcement skipped/, 20_000);
    expect(line).toContain('started after 12:00 (catchUpUntil)');
    expect(fake.messages(fake.channelId)).toHaveLength(1);
  });

  it('announce --now posts through the same path, once, and retries a refused post on request', { timeout: TIMEOUT }, async () => {
    // announce --now uses the real clock: a course with a session today.
    const today = DateTime.now().setZone('Europe/Copenhagen').toISODate()!;
    const courseFile = join(dir, 'today.yaml');
    writeFileSync(
      courseFile,
      `course: { id: today, name: Today Course, timezone: Europe/Copenhagen, start: ${today} }\n` +
        `weeks:\n  - number: 1\n    sessions:\n      - { date: ${today}, topic: Now }\n`,
    );
    const env = {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_ANNOUNCE_CHANNEL_ID: fake.channelId,
      DISCORD_INSTRUCTOR_CHANNEL_ID: fake.channelId,
      STATE_DB: join(dir, 'state.db'),
      COURSE_FILE: courseFile,
      LOG_LEVEL: 'silent',
    };
    const todayKey = `today:${today}:daily:discord:${fake.channelId}`;
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { status: 403, code: 50001, message: 'Missing Access' });
    const refused = await runCli(['announce', '--now'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Failed: ${todayKey}`);
    // The failure was reported to the instructor channel.
    expect(fake.messages(fake.channelId).map((message) => message.content)).toEqual([
      `The announcement ${todayKey} could not be posted: Discord 403 50001: Missing Access`,
    ]);
    const first = await runCli(['announce', '--now'], { env });
    expect(first.stdout.trim()).toBe(`Posted ${todayKey}`);
    const again = await runCli(['announce', '--now'], { env });
    expect(again.stdout).toContain('was already posted');
    expect(fake.messages(fake.channelId).filter((message) => message.embeds?.length)).toHaveLength(1);
  });
});
