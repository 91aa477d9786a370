import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Announcer } from '../../../src/announcer/announcer.js';
import { fixedClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/log.js';
import { discordRest } from '../../../src/platforms/discord/bot.js';
import { DiscordMessenger } from '../../../src/platforms/discord/messenger.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeDiscord } from '../../fakes/discord/index.js';
import { at, buildCourse, courseDoc } from '../../support/course.js';

const ROLE = '987654321098765432';

interface PostBody {
  readonly content?: string;
  readonly allowed_mentions?: { parse?: string[]; roles?: string[] };
  readonly embeds?: { footer?: { text: string } }[];
}

describe('Discord announcements through the announcer: who gets pinged', () => {
  let fake: FakeDiscord;

  beforeEach(async () => {
    fake = await FakeDiscord.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  it('the morning post pings the configured role; the weekly overview never mentions it', async () => {
    const course = buildCourse(courseDoc({ announcements: { time: '08:00', weeklyOverview: true } }));
    const messenger = new DiscordMessenger({
      rest: discordRest({ token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' }, { retries: 0 }),
      channelId: fake.channelId,
      mentionRoleId: ROLE,
    });
    const announcer = new Announcer({
      course: () => course,
      // Monday, the first session day of week 1: both the overview and the day card are due.
      clock: fixedClock(at(course, '2027-01-04T08:00:30')),
      store: new MemoryStore(),
      messengers: [messenger],
      logger: createLogger({ level: 'silent' }),
      owner: 'test',
      leaseMs: 60_000,
    });
    const report = await announcer.run();
    expect(report.sent).toEqual([`demo:2027-01-04:weekly:discord:${fake.channelId}`, `demo:2027-01-04:daily:discord:${fake.channelId}`]);
    const posts = fake.requests
      .filter((request) => request.method === 'POST' && request.path === `/channels/${fake.channelId}/messages`)
      .map((request) => request.body as PostBody);
    const kind = (body: PostBody) => (body.embeds?.[0]?.footer?.text.includes(':weekly:') ? 'weekly' : 'daily');
    const weekly = posts.filter((body) => kind(body) === 'weekly');
    const daily = posts.filter((body) => kind(body) === 'daily');
    expect(weekly).toHaveLength(1);
    expect(daily).toHaveLength(1);
    expect(weekly[0]!.content).toBeUndefined();
    expect(weekly[0]!.allowed_mentions).toEqual({ parse: [] });
    expect(JSON.stringify(weekly[0])).not.toContain(ROLE);
    expect(daily[0]!.content).toBe(`<@&${ROLE}>`);
    expect(daily[0]!.allowed_mentions).toEqual({ parse: [], roles: [ROLE] });
    // What the channel shows: only the morning post mentions the role.
    expect(fake.messages(fake.channelId).map((message) => message.content ?? '')).toEqual(['', `<@&${ROLE}>`]);
  });
});
