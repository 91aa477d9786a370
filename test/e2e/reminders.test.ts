import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, MessageFlags } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReminderBook } from '../../src/store/reminders.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { chatInput } from '../fakes/discord/builders.js';
import { FakeDiscord } from '../fakes/discord/index.js';
import { type RunningChild, SPAWN_TIMEOUT, spawnCli } from '../support/child.js';

const TIMEOUT = SPAWN_TIMEOUT * 2;
const TITLE = 'Tomorrow in Machine Learning Operations: Week 1 · Wednesday 6 January 2027';

/** Reminders end to end: the real bot against the fake Discord, its clock set with `start --at`. */
describe('reminders students opt into, on Discord', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bots: RunningChild[];
  const db = () => join(dir, 'state.db');

  const startBot = (at: string) => {
    const bot = spawnCli(['start', '--at', at], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      STATE_DB: db(),
      ANNOUNCE_LEASE_SECONDS: '2',
      LOG_LEVEL: 'info',
    });
    bots.push(bot);
    return bot;
  };

  const withStore = <T>(work: (store: SqliteStore, book: ReminderBook) => T): T => {
    const store = new SqliteStore(db());
    try {
      return work(store, new ReminderBook(store, '18:00', 'mlops'));
    } finally {
      store.close();
    }
  };

  /** The reminders in a student's DM channel. */
  const dmsOf = (user: string) => {
    const channel = fake.dms.opened.get(user);
    return channel === undefined ? [] : fake.messages(channel);
  };

  const remind = async (user: string, when?: string) => {
    const options = when === undefined ? [] : [{ name: 'when', type: ApplicationCommandOptionType.String as const, value: when }];
    const { callback } = await fake.interact(chatInput('remind', options, { actor: { id: user } }));
    const data = ('data' in callback ? callback.data : {}) as { content?: string; embeds?: { title?: string }[]; flags?: number };
    return { text: data.embeds?.[0]?.title ?? data.content ?? '', ephemeral: ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0 };
  };

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-remind-'));
    bots = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribe with /remind evening: the evening reminder arrives once, as a DM', { timeout: TIMEOUT }, async () => {
    const students = ['310000000000000001', '310000000000000002', '310000000000000003'];
    const bot = startBot('2027-01-05T17:59:45');
    await bot.waitForOutput(/slash commands registered/, 30_000);
    for (const student of students) {
      expect(await remind(student, 'evening')).toEqual({
        text: 'Done. Reminders: on, the evening before each session at 18:00 (Europe/Copenhagen), as a direct message. /remind off stops them.',
        ephemeral: true,
      });
    }
    expect(await remind(students[0]!)).toMatchObject({ text: expect.stringContaining('Reminders: on, the evening before') as string, ephemeral: true });
    for (const student of students) await fake.waitFor(() => dmsOf(student)[0], { timeoutMs: 40_000, what: `the reminder to ${student}` });
    const [first] = dmsOf(students[0]!);
    expect(first!.embeds[0]).toMatchObject({ title: TITLE, description: 'Debugging and visualization' });
    expect(JSON.stringify(first!.embeds)).toContain('TensorBoard, Weights & Biases');
    // The lecture time is a Discord timestamp, shown in each reader's zone.
    expect(JSON.stringify(first!.embeds)).toMatch(/<t:\d+:t>|<t:\d+:F>|<t:\d+:[a-zA-Z]>/);
    await bot.stop('SIGTERM');
    // A restart within the evening sends nothing again.
    const again = startBot('2027-01-05T18:05');
    await again.waitForOutput(/slash commands unchanged/, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const student of students) expect(dmsOf(student)).toHaveLength(1);
    // User ids never reach the logs at info.
    const logs = [bot.output(), again.output()].map((output) => output.stdout + output.stderr).join('');
    for (const student of students) expect(logs).not.toContain(student);
  });

  it('SIGKILL mid-fan-out, then a restart: every subscriber exactly once', { timeout: TIMEOUT }, async () => {
    await fake.close();
    // Slow enough to kill it in the middle: 5 requests a second, a DM costs two.
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, globalRateLimit: 5 });
    const students = Array.from({ length: 30 }, (_, index) => `32000000000000${String(index).padStart(4, '0')}`);
    // Half subscribed before reminders belonged to a course (the old key): the start moves them to the course.
    withStore((store, book) => {
      for (const [index, student] of students.entries()) {
        if (index % 2 === 0) book.set('discord', student, 'evening');
        else store.setValue(`reminder:sub:discord:${student}`, '{"kind":"evening","closedDays":[]}');
      }
    });
    const first = startBot('2027-01-05T18:00');
    await fake.waitFor(() => (students.filter((student) => dmsOf(student).length > 0).length >= 5 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'five reminders sent',
    });
    await first.stop('SIGKILL');
    const before = students.filter((student) => dmsOf(student).length > 0).length;
    expect(before).toBeLessThan(students.length);
    const second = startBot('2027-01-05T18:00:30');
    await fake.waitFor(
      () => withStore((store) => (store.listClaims('remind:').filter((claim) => claim.status === 'sent').length === students.length ? true : undefined)),
      { timeoutMs: 90_000, what: 'every reminder recorded as sent' },
    );
    for (const student of students) expect(dmsOf(student), student).toHaveLength(1);
    expect(withStore((store) => store.listKeys('reminder:sub:').filter((key) => !key.startsWith('reminder:sub:mlops:discord:')))).toEqual([]);
    expect(await second.waitForOutput(/"msg":"reminders sent"/, 30_000)).toMatch(/"recovered":\d+/);
    expect(fake.unhandled).toEqual([]);
  });

  it('closed DMs are recorded, not retried that day, and turn the reminder off after 3 days', { timeout: TIMEOUT }, async () => {
    const student = '330000000000000001';
    fake.dms.closed.add(student);
    withStore((_store, book) => book.set('discord', student, 'evening'));
    const claimOf = (date: string) => withStore((store) => store.getClaim(`remind:mlops:${date}:discord:${student}`));
    // Tuesday, Wednesday and Thursday evening: the sessions of the next day.
    for (const [evening, session] of [
      ['2027-01-05', '2027-01-06'],
      ['2027-01-06', '2027-01-07'],
      ['2027-01-07', '2027-01-08'],
    ] as const) {
      const bot = startBot(`${evening}T18:00`);
      await fake.waitFor(() => (claimOf(session)?.status === 'failed' ? true : undefined), { timeoutMs: 40_000, what: `the reminder of ${session}` });
      expect(claimOf(session)).toMatchObject({ status: 'failed', error: 'direct messages closed' });
      await bot.stop('SIGTERM');
    }
    const posts = fake.requests.filter((request) => request.method === 'POST' && request.path === `/channels/${fake.dms.opened.get(student)}/messages`);
    expect(posts).toHaveLength(3);
    expect(withStore((_store, book) => book.get('discord', student))).toEqual({ stopped: 'closed-dms' });
    const bot = startBot('2027-01-08T10:00');
    await bot.waitForOutput(/slash commands unchanged/, 30_000);
    expect(await remind(student)).toEqual({
      text: 'Reminders: off. The bot turned them off because your direct messages were closed on 3 days. Allow direct messages from server members, then /remind evening or /remind morning.',
      ephemeral: true,
    });
  });
});
