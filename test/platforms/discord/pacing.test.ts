import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { message } from '../../../src/core/messages.js';
import { Pacer } from '../../../src/platforms/discord/pacing.js';
import { discordPlatform } from '../../../src/platforms/discord/platform.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { FakeDiscord } from '../../fakes/discord/index.js';
import { captureLogger } from '../../support/log.js';

/** A pacer on a hand-moved clock: its waits move the clock (late by `lateMs()` each), nothing really sleeps. */
function pacerOnFakeClock(perSecond: number, lateMs: () => number = () => 0) {
  let now = 0;
  const pacer = new Pacer({
    perSecond,
    now: () => now,
    sleep: (ms, signal) => {
      signal?.throwIfAborted();
      now += ms + lateMs();
      return Promise.resolve();
    },
  });
  return {
    pacer,
    /** The instants `count` requests asked together are let out. */
    async release(count: number): Promise<number[]> {
      const at: number[] = [];
      await Promise.all(Array.from({ length: count }, () => pacer.take().then(() => at.push(now))));
      return at;
    },
    advance: (ms: number) => (now += ms),
  };
}

/** The most instants within any one second [t, t + 1000). */
function mostInASecond(instants: readonly number[]): number {
  const sorted = [...instants].sort((a, b) => a - b);
  let most = 0;
  for (const [index, start] of sorted.entries()) most = Math.max(most, sorted.filter((t, other) => other >= index && t < start + 1000).length);
  return most;
}

describe('Pacer', () => {
  it('lets the first request go at once and the rest about one spacing apart: 200 asked together never make a burst', async () => {
    const clock = pacerOnFakeClock(48);
    const at = await clock.release(200);
    expect(at[0]).toBe(0);
    const gaps = at.slice(1).map((instant, index) => instant - at[index]!);
    // The second may go half a spacing early (the tolerance); after it about one spacing each, never closer than
    // half of one, and never more than 48 within a second.
    expect(gaps[0]).toBeCloseTo(1000 / 48 / 2, 6);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 48 / 2 - 1e-9);
    expect(Math.max(...gaps)).toBeLessThanOrEqual((1000 / 48) * 1.5 + 1e-9);
    expect(at[199]).toBeLessThan((199 * 1000) / 48 + 1000 / 48);
    expect(mostInASecond(at)).toBe(48);
    expect(clock.pacer.taken).toBe(200);
  });

  it('makes up for late timers a little, but never lets more than perSecond go within one second', async () => {
    // Every other wait ends 30 ms late (a busy event loop).
    let turn = 0;
    const clock = pacerOnFakeClock(48, () => (turn++ % 2 ? 30 : 0));
    const at = await clock.release(300);
    expect(mostInASecond(at)).toBeLessThanOrEqual(48);
    // The one after a late turn goes sooner than a full spacing after it (made up), never closer than half a spacing.
    const gaps = at.slice(1).map((instant, index) => instant - at[index]!);
    expect(Math.min(...gaps)).toBeLessThan(1000 / 48);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 48 / 2 - 1e-9);
  });

  it('after an idle spell sends the next at once and the ones after it about a spacing apart (no saved-up burst)', async () => {
    const clock = pacerOnFakeClock(10);
    await clock.release(3);
    clock.advance(60_000);
    const at = await clock.release(3);
    expect(at.map((instant) => instant - at[0]!)).toEqual([0, 50, 150]);
  });

  it('a request whose signal aborts while waiting is refused and takes no turn; the ones behind it go on', async () => {
    const clock = pacerOnFakeClock(10);
    await clock.pacer.take();
    const aborted = new AbortController();
    aborted.abort(new Error('the lease ran out'));
    const refused = clock.pacer.take(aborted.signal);
    const next = clock.pacer.take();
    await expect(refused).rejects.toThrow('the lease ran out');
    await next;
    expect(clock.pacer.taken).toBe(2);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new Pacer({ perSecond: 0 })).toThrow('perSecond must be positive');
  });
});

describe("the Discord poster's pacing under the fake's global rate limit (50 requests/s)", () => {
  it('posts the announcements of 120 courses asked at once, each exactly once, meeting at most a stray 429', async () => {
    const GUILD = '1100000000000000001';
    const channels = Array.from({ length: 120 }, (_, index) => `13${String(index).padStart(16, '0')}`);
    const fake = await FakeDiscord.start({ globalRateLimit: 50, guilds: [{ id: GUILD, channels }] });
    try {
      const config = loadConfig({
        dotenv: false,
        env: { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: GUILD, STATE_DB: ':memory:' },
      });
      const poster = await discordPlatform.poster(config, captureLogger().logger);
      const store = new MemoryStore();
      await Promise.all(
        channels.map((channel, index) =>
          poster
            .forCourse({
              targets: { discord: { guildId: GUILD, announceChannelId: channel, channels: [] } },
              reminders: new ReminderBook(store, '19:00', `course-${index}`),
            })
            .announce[0]!.post(message({ title: `Today in course ${index}` }), { key: `course-${index}:today`, nonce: `n${index}` }),
        ),
      );
      expect(channels.map((channel) => fake.messages(channel).map((posted) => posted.embeds?.[0]?.title))).toEqual(
        channels.map((_, index) => [`Today in course ${index}`]),
      );
      // Paced at 48/s, the 120 go out over 2.5 s with no burst. The fake counts arrivals in a fixed window, and a
      // busy machine (CI's two shared cores) can bunch a few arrivals into one window, so a stray 429 (retried by
      // discord.js, the post still going out once, as above) is allowed. The Pacer tests above pin the spacing itself.
      const limited = fake.requests.filter((request) => request.status === 429).length;
      expect(limited).toBeLessThanOrEqual(2);
      expect(fake.globalRateLimit!.limited).toBe(limited);
    } finally {
      await fake.close();
    }
  });
});
