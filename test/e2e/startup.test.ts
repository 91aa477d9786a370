import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.js';
import { runCli, spawnCli } from '../support/child.js';

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
