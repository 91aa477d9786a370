import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { message } from '../../../src/core/messages.js';
import { discordRest } from '../../../src/platforms/discord/bot.js';
import type * as Bot from '../../../src/platforms/discord/bot.js';
import { discordPlatform } from '../../../src/platforms/discord/platform.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { FakeDiscord } from '../../fakes/discord/index.js';
import { captureLogger } from '../../support/log.js';

// Counts the REST clients the Discord poster makes (each has its own view of the bot's global rate limit).
vi.mock('../../../src/platforms/discord/bot.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Bot>();
  return { ...actual, discordRest: vi.fn(actual.discordRest) };
});

const GUILD = '1100000000000000001';
const announce = (index: number) => `130000000000000000${index}`;
const instructors = (index: number) => `140000000000000000${index}`;

describe('the Discord poster of several courses', () => {
  let fake: FakeDiscord;

  beforeEach(async () => {
    const channels = [1, 2, 3].flatMap((index) => [announce(index), instructors(index)]);
    fake = await FakeDiscord.start({ guilds: [{ id: GUILD, channels }] });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('posts and reports for every course through one REST client per bot token (one global rate limit), not one per course', async () => {
    const config = loadConfig({
      dotenv: false,
      env: { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: GUILD, DISCORD_ANNOUNCE_CHANNEL_ID: announce(1), STATE_DB: ':memory:' },
    });
    const made = vi.mocked(discordRest);
    made.mockClear();
    const poster = await discordPlatform.poster(config, captureLogger().logger);
    const store = new MemoryStore();
    const courses = [1, 2, 3].map((index) =>
      poster.forCourse({
        targets: { discord: { guildId: GUILD, announceChannelId: announce(index), instructorChannelId: instructors(index), channels: [] } },
        reminders: new ReminderBook(store, '19:00', `course-${index}`),
      }),
    );
    await Promise.all(
      courses.map((ports, index) =>
        ports.announce[0]!.post(message({ title: `Today in course ${index + 1}` }), { key: `course-${index + 1}:today`, nonce: `n${index + 1}` }),
      ),
    );
    await Promise.all(courses.map((ports, index) => ports.report!(`report of course ${index + 1}`)));
    for (const index of [1, 2, 3]) {
      expect(fake.messages(announce(index)).map((posted) => posted.embeds?.[0]?.title)).toEqual([`Today in course ${index}`]);
    }
    for (const index of [1, 2, 3]) {
      expect(fake.messages(instructors(index)).map((message) => message.content)).toEqual([`report of course ${index}`]);
    }
    expect(courses.map((ports) => ports.announce.map((messenger) => messenger.target))).toEqual([1, 2, 3].map((index) => [`discord:${announce(index)}`]));
    // Who the bot is (asked once), the posting client and the reporting client: the same for three courses as for one.
    expect(made).toHaveBeenCalledTimes(3);
  });
});
