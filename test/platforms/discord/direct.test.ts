import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nonceFor } from '../../../src/announcer/plan.js';
import { message } from '../../../src/core/messages.js';
import { RecipientError } from '../../../src/core/reminders.js';
import { discordRest } from '../../../src/platforms/discord/bot.js';
import { DiscordDirectMessenger } from '../../../src/platforms/discord/direct.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { FakeDiscord } from '../../fakes/discord/index.js';

const STUDENT = '300000000000000001';
const CLOSED = '300000000000000002';
const LEFT = '300000000000000003';
const KEY = `remind:demo:2027-01-06:discord:${STUDENT}`;

describe('Discord direct messages on the fake Discord', () => {
  let fake: FakeDiscord;
  let book: ReminderBook;
  let dms: DiscordDirectMessenger;

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    book = new ReminderBook(new MemoryStore(), '18:00', 'mlops');
    dms = new DiscordDirectMessenger({
      rest: discordRest({ token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' }, { retries: 0 }),
      book,
      guildId: fake.guildId,
      botUserId: fake.botUserId,
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  const reminder = message({ title: 'Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027', description: 'Configs' });

  it('opens the DM channel once, caches it, posts pinging nobody, and finds the DM again by its nonce', async () => {
    const sent = await dms.send(STUDENT, reminder, { key: KEY, nonce: nonceFor(KEY) });
    const channelId = fake.dms.opened.get(STUDENT)!;
    expect(book.dmChannel('discord', STUDENT)).toBe(channelId);
    const [posted] = fake.messages(channelId);
    expect(posted).toMatchObject({ id: sent.id, embeds: [{ title: 'Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027', description: 'Configs' }] });
    expect(posted!.allowed_mentions).toEqual({ parse: [] });
    // The key names the user: the footer carries the nonce only.
    expect(JSON.stringify(posted!.embeds)).not.toContain(STUDENT);
    const other = 'remind:demo:2027-01-08:discord:' + STUDENT;
    await dms.send(STUDENT, reminder, { key: other, nonce: nonceFor(other) });
    expect(fake.requests.filter((request) => request.path === '/users/@me/channels')).toHaveLength(1);
    expect(await dms.findSent(STUDENT, { key: KEY, nonce: nonceFor(KEY) })).toEqual({ id: sent.id });
    const never = 'remind:demo:2027-01-12:discord:' + STUDENT;
    expect(await dms.findSent(STUDENT, { key: never, nonce: nonceFor(never) })).toBeUndefined();
    expect(await dms.findSent(CLOSED, { key: never, nonce: nonceFor(never) })).toBeUndefined();
  });

  it('tells closed DMs (50007, still a member) from a user who left (50007, then 10007 Unknown Member)', async () => {
    fake.dms.closed.add(CLOSED);
    fake.dms.left.add(LEFT);
    const closed = await dms.send(CLOSED, reminder, { key: 'k1', nonce: 'n1' }).catch((error: unknown) => error);
    expect(closed).toBeInstanceOf(RecipientError);
    expect(closed).toMatchObject({ reason: 'closed' });
    const left = await dms.send(LEFT, reminder, { key: 'k2', nonce: 'n2' }).catch((error: unknown) => error);
    expect(left).toMatchObject({ reason: 'gone' });
    expect(fake.requests.filter((request) => request.path.startsWith('/guilds/')).map((request) => request.path)).toEqual([
      `/guilds/${fake.guildId}/members/${CLOSED}`,
      `/guilds/${fake.guildId}/members/${LEFT}`,
    ]);
    expect(fake.unhandled).toEqual([]);
  });

  it('opens a new DM channel when the cached one is gone', async () => {
    book.rememberDmChannel('discord', STUDENT, '999999999999999999');
    await dms.send(STUDENT, reminder, { key: KEY, nonce: nonceFor(KEY) });
    expect(book.dmChannel('discord', STUDENT)).toBe(fake.dms.opened.get(STUDENT));
    expect(fake.messages(fake.dms.opened.get(STUDENT))).toHaveLength(1);
  });
});

describe('the fake Discord’s global rate limit', () => {
  it('answers 429 global beyond the limit, which discord.js waits out', async () => {
    const fake = await FakeDiscord.start({ globalRateLimit: 10 });
    try {
      const rest = discordRest({ token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' }, { retries: 0 });
      // discord.js keeps to 50/s on its own: at 10/s the fake refuses some, and every request still lands.
      await Promise.all(Array.from({ length: 25 }, (_, index) => rest.post(`/channels/${fake.channelId}/messages`, { body: { content: `m${index}` } })));
      expect(fake.messages(fake.channelId)).toHaveLength(25);
      expect(fake.globalRateLimit!.limited).toBeGreaterThan(0);
      const refused = fake.requests.find((request) => request.status === 429)!;
      expect(refused.fault).toBe('global rate limit');
    } finally {
      await fake.close();
    }
  });
});
