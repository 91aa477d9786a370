import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import { type RunningChild, SPAWN_TIMEOUT, spawnCli } from '../support/child.js';

const TIMEOUT = SPAWN_TIMEOUT * 2;
const seed = readFileSync('data/course.yaml', 'utf8');
/** Valid, inside every limit, and slow to check (seconds, even on a fast machine): lists nested 62 deep, 4,000 times. */
const slow = (topic: string) =>
  `${seed}${Array.from({ length: 4000 }, (_, block) => `x-n${block}: ${'['.repeat(62)}1${']'.repeat(62)}\n`).join('')}`.replace(
    'topic: Deployment',
    `topic: ${topic}`,
  );

/** The running bot while a large course file is checked: it answers, and it stops. Nothing is timed. */
describe('a slow reload of the course file', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild | undefined;

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-slow-reload-'));
  });
  afterEach(async () => {
    await bot?.stop('SIGKILL');
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves /healthz and chat answering while it runs, and a stop ends it', { timeout: TIMEOUT }, async () => {
    const file = join(dir, 'course.yaml');
    writeFileSync(file, seed);
    bot = spawnCli(['start', '--at', '2027-01-05T10:00'], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      STATE_DB: join(dir, 'state.db'),
      COURSE_FILE: file,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    });
    await bot.waitForOutput(/http server listening/, 60_000);
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 60_000);
    const port = Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);
    const reloaded = () => bot!.output().stderr.split('\n').filter((line) => line.includes('course file reloaded'));

    writeFileSync(file, slow('Slow to read'));
    process.kill(bot.pid, 'SIGHUP');
    await bot.waitForOutput(/checking the course file in a worker thread/, 60_000);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const today = await fake.interact(chatInput('today'));
    expect(JSON.stringify(today)).toContain('Tuesday');
    // Both answered while the file was still being checked.
    expect(reloaded()).toEqual([]);
    await bot.waitForOutput(/course file reloaded/, 120_000);

    const checks = () => bot!.output().stderr.split('\n').filter((line) => line.includes('checking the course file in a worker thread')).length;
    const started = checks();
    writeFileSync(file, slow('Never taken'));
    process.kill(bot.pid, 'SIGHUP');
    for (let tries = 0; tries < 600 && checks() === started; tries += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checks()).toBeGreaterThan(started);
    const before = reloaded().length;
    expect(await bot.stop('SIGTERM', 60_000)).toBe(0);
    expect(reloaded()).toHaveLength(before);
    expect(bot.output().stderr).not.toContain('Never taken');
  });
});
