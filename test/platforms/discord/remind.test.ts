import { ApplicationCommandOptionType, MessageFlags } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { commands } from '../../../src/core/commands/registry.js';
import { DiscordBot } from '../../../src/platforms/discord/bot.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { FakeDiscord, chatInput } from '../../fakes/discord/index.js';
import { at, buildCourse } from '../../support/course.js';
import { dataOf } from '../../support/discord.js';
import { captureLogger } from '../../support/log.js';

const course = buildCourse();

describe('/remind on Discord', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let book: ReminderBook;

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    const store = new MemoryStore();
    book = new ReminderBook(store, '19:30', 'mlops');
    bot = new DiscordBot({
      // Public answers for students: /remind stays the asker's own.
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'public', guildId: fake.guildId },
      store,
      logger: captureLogger().logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      reminders: book,
    });
    await bot.start();
  });

  afterEach(async () => {
    await bot.stop();
    await fake.close();
  });

  const remind = async (user: string, when?: string) => {
    const options = when === undefined ? [] : [{ name: 'when', type: ApplicationCommandOptionType.String as const, value: when }];
    const { callback } = await fake.interact(chatInput('remind', options, { actor: { id: user } }));
    const data = dataOf(callback) as { embeds?: { title?: string }[]; content?: string; flags?: number };
    return { text: data.embeds?.[0]?.title ?? data.content, ephemeral: ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0 };
  };

  it('answers each student about their own setting, only to them, never from a shared cache', async () => {
    expect(await remind('500000000000000001', 'morning')).toEqual({
      text: 'Done. Reminders: on, on the morning of each session at 08:00 (Europe/Copenhagen), as a direct message. /remind off stops them.',
      ephemeral: true,
    });
    expect(await remind('500000000000000002')).toEqual({
      text: 'Reminders: off. /remind evening (the evening before) or /remind morning (an hour before the session) sends you a direct message.',
      ephemeral: true,
    });
    expect(await remind('500000000000000002', 'evening')).toMatchObject({ text: expect.stringContaining('at 19:30 (Europe/Copenhagen)') as string });
    expect(await remind('500000000000000001')).toMatchObject({ text: expect.stringContaining('on the morning of each session') as string });
    expect(await remind('500000000000000001', 'weekly')).toEqual({
      text: '"weekly" is no reminder setting: use /remind evening, /remind morning or /remind off.',
      ephemeral: true,
    });
    expect(book.subscribers().map((subscriber) => [subscriber.userId, subscriber.kind])).toEqual([
      ['500000000000000001', 'morning'],
      ['500000000000000002', 'evening'],
    ]);
    // Today's answer is still public and cached as before.
    const { callback } = await fake.interact(chatInput('today'));
    expect(((dataOf(callback) as { flags?: number }).flags ?? 0) & MessageFlags.Ephemeral).toBe(0);
  });
});
