import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAILED_STARTS_KEY } from '../../src/startup.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import { type RunningChild, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';

const TIMEOUT = SPAWN_TIMEOUT;

/** Operations, end to end: the real bot with its HTTP server, against the fake Discord. */
describe('running it: health, metrics, calendar, crash-loop backoff, shutdown', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bots: RunningChild[];

  const env = (extra: Record<string, string> = {}) => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: fake.guildId,
    STATE_DB: join(dir, 'state.db'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    ...extra,
  });
  const portOf = (bot: RunningChild) => Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-ops-'));
    bots = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports health, counts commands in /metrics, serves the calendar, and stops within 10 s', { timeout: TIMEOUT }, async () => {
    const bot = spawnCli(['start', '--at', '2027-01-05T10:00'], env());
    bots.push(bot);
    await bot.waitForOutput(/http server listening/, 30_000);
    const url = (path: string) => `http://127.0.0.1:${portOf(bot)}${path}`;
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    const healthy = await fetch(url('/healthz'));
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ status: 'ok', checks: { database: 'ok', discord: 'ok' } });

    await fake.interact(chatInput('today'));
    await fake.interact(chatInput('week', [{ name: 'number', type: 4, value: 9 }]));
    // The ping is known after the first heartbeat acknowledgement.
    let metrics = '';
    for (let tries = 0; tries < 50 && !/course_bot_gateway_ping_seconds\{platform="discord"\} \d/.test(metrics); tries += 1) {
      if (tries) await new Promise((resolve) => setTimeout(resolve, 200));
      metrics = await (await fetch(url('/metrics'))).text();
    }
    expect(metrics).toContain('course_bot_commands_total{platform="discord",command="today",outcome="ok"} 1');
    expect(metrics).toContain('course_bot_commands_total{platform="discord",command="week",outcome="user_error"} 1');
    expect(metrics).toMatch(/course_bot_gateway_ping_seconds\{platform="discord"\} \d/);

    const ics = await (await fetch(url('/calendar.ics'))).text();
    const events = ICAL.Component.fromString(ics).getAllSubcomponents('vevent');
    expect(events).toHaveLength(15);
    expect(events.map((event) => String(event.getFirstPropertyValue('uid')))).toContain('mlops-2027-01-05@course-bot');

    // The gateway goes away: unhealthy, with the reason.
    fake.dropConnections();
    await fake.close();
    let unhealthy = await fetch(url('/healthz'));
    for (let tries = 0; tries < 75 && unhealthy.status === 200; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      unhealthy = await fetch(url('/healthz'));
    }
    expect(unhealthy.status).toBe(503);
    expect(((await unhealthy.json()) as { checks: { discord: string } }).checks.discord).toMatch(/^not connected to the gateway/);

    const stopping = Date.now();
    expect(await bot.stop('SIGTERM', 12_000)).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(10_500);
    fake = await FakeDiscord.start();
  });

  it('waits before logging in again when the last starts kept failing, and a signal ends the wait', { timeout: TIMEOUT }, async () => {
    const store = new SqliteStore(join(dir, 'state.db'));
    store.setValue(FAILED_STARTS_KEY, '4');
    store.close();
    const bot = spawnCli(['start'], env());
    bots.push(bot);
    await bot.waitForOutput(/"failedStarts":4,"waitSeconds":20,.*waiting before connecting/, 30_000);
    expect(fake.identifyCount).toBe(0);
    expect(await bot.stop('SIGTERM')).toBe(0);
    expect(fake.identifyCount).toBe(0);
    const after = new SqliteStore(join(dir, 'state.db'));
    // A stop during the wait neither resets nor raises the count.
    expect(after.getValue(FAILED_STARTS_KEY)).toBe('4');
    after.close();
  });

  it('stops cleanly within 10 s even when the platform APIs accept connections but never answer', { timeout: TIMEOUT }, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const bot = spawnCli(
        ['start'],
        env({
          DISCORD_API_URL: `http://127.0.0.1:${port}/api`,
          SLACK_BOT_TOKEN: 'xoxb-1-silent',
          SLACK_APP_TOKEN: 'xapp-1-silent',
          SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
        }),
      );
      bots.push(bot);
      await bot.waitForOutput(/http server listening/, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const stopping = Date.now();
      expect(await bot.stop('SIGTERM', 15_000)).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(10_000);
      expect(bot.output().stderr).not.toContain('shutdown took longer than 10 s');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
