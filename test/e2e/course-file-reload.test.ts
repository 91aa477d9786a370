import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import { type RunningChild, spawnCli } from '../support/child.js';
import { dataOf } from '../support/discord.js';

const TIMEOUT = 120_000;
const seed = readFileSync('data/course.yaml', 'utf8');

/** Course files that used to end the running bot, each with a phrase of its refusal. */
const BREAKERS: readonly { readonly text: string; readonly refusal: string }[] = [
  {
    text: seed.replace('  - number: 2\n', '  - number: 20270104\n'),
    refusal: 'weeks[1].number: 20270104 is too large: week numbers go up to 5,000',
  },
  {
    text: seed.replace('      - day: monday\n        topic: Training', '      - <<: 5\n        day: monday\n        topic: Training'),
    refusal: 'a merge key (<<) takes a mapping',
  },
  {
    text: `${['x-0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...[1, 2, 3, 4, 5, 6, 7].map((level) => `x-${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(', ')}]`)].join('\n')}\n${seed}`,
    refusal: 'with its aliases (*name) expanded, the file holds more than 500,000 values',
  },
  {
    text: `${seed}x-deep:\n${Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth + 1)}a:`).join('\n')} 1\n`,
    refusal: 'mappings and lists are nested more than 64 levels deep here',
  },
];

describe('a running bot and course files that used to crash it', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-reload-'));
    writeFileSync(join(dir, 'course.yaml'), seed);
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    bot = spawnCli(['start', '--at', '2027-01-05T10:00'], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      STATE_DB: join(dir, 'state.db'),
      COURSE_FILE: join(dir, 'course.yaml'),
      DISCORD_INSTRUCTOR_CHANNEL_ID: fake.channelId,
    });
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 60_000);
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses each one in the instructors’ channel, keeps answering, and gives the all-clear once fixed', { timeout: TIMEOUT }, async () => {
    const file = join(dir, 'course.yaml');
    const notices = () => fake.messages(fake.channelId).map((message) => message.content ?? '');
    const refusedWith = async (phrase: string) => {
      const notice = await fake.waitForMessage(fake.channelId, (message) => message.content?.includes(phrase) ?? false, { timeoutMs: 30_000 });
      expect(notice.content).toMatch(/^The course file was not reloaded; the last good schedule stays live\.\n.*course\.yaml: 1 problem\n/);
    };
    for (const { text, refusal } of BREAKERS) {
      writeFileSync(file, text);
      await refusedWith(refusal);
    }
    rmSync(file);
    execFileSync('mkfifo', [file]);
    await refusedWith('is a named pipe (FIFO), not a regular file');

    const today = await fake.interact(chatInput('today', [{ name: 'date', type: ApplicationCommandOptionType.String, value: '2027-01-11' }]));
    expect((dataOf(today.callback) as { embeds?: { description?: string }[] }).embeds?.[0]?.description).toMatch(/^Training in the sky/);

    rmSync(file);
    writeFileSync(file, seed);
    const clear = await fake.waitForMessage(fake.channelId, (message) => message.content?.startsWith('Course file accepted again') ?? false, {
      timeoutMs: 30_000,
    });
    expect(clear.content).toMatch(/^Course file accepted again: .*course\.yaml has no errors now, and the schedule follows it\.$/);
    expect(notices().filter((text) => text.startsWith('Course file accepted again'))).toHaveLength(1);
    expect(bot.output().stderr).toMatch(/"msg":"course file accepted again"/);
    expect(bot.output().stderr).not.toMatch(/RangeError|ReferenceError|Maximum call stack/);
    await expect(Promise.race([bot.exited, new Promise((resolve) => setTimeout(() => resolve('running'), 500))])).resolves.toBe('running');
  });
});
