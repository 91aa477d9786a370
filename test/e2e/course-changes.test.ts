import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, autocomplete, chatInput } from '../fakes/discord/index.js';
import type { ChatInputOption } from '../fakes/discord/builders.js';
import { type RunningChild, runCli, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';
import { dataOf } from '../support/discord.js';

const { String: STRING, Subcommand: SUBCOMMAND } = ApplicationCommandOptionType;
const TIMEOUT = SPAWN_TIMEOUT;
const GUILD = '1100000000000000001';
const ANNOUNCE = '1100000000000000002';
const INSTRUCTORS = '1100000000000000003';
const INSTRUCTOR_ROLE = '1100000000000000010';
const teacher = { id: '1200000000000000001', username: 'teacher', roles: [INSTRUCTOR_ROLE] };
const student = { id: '1200000000000000002', username: 'student' };

interface Reply {
  content?: string;
  flags?: number;
  embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[]; footer?: { text: string } }[];
}

/** `/course <sub> name:value …` as Discord sends it: one subcommand option holding the options. */
function course(sub: string, options: Record<string, string> = {}, actor: typeof teacher | typeof student = teacher) {
  const nested: ChatInputOption[] = Object.entries(options).map(([name, value]) => ({ name, type: STRING, value }));
  return chatInput('course', [{ name: sub, type: SUBCOMMAND, options: nested } as ChatInputOption], { actor });
}

/**
 * Instructor changes in chat, end to end: the real bot as `npm start` runs it against the fake Discord,
 * with the morning announcement already posted when the first change comes in.
 */
describe('/course on Discord: instructors change the schedule, students are told', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild;

  const env = () => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: GUILD,
    DISCORD_ANNOUNCE_CHANNEL_ID: ANNOUNCE,
    DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
    DISCORD_INSTRUCTOR_ROLE_ID: INSTRUCTOR_ROLE,
    STATE_DB: join(dir, 'state.db'),
    COURSE_FILE: join(dir, 'course.yaml'),
  });
  const startBot = async () => {
    const child = spawnCli(['start', '--at', '2027-01-05T08:30'], env());
    await child.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    return child;
  };
  /** The answer to an interaction: the immediate reply, or the deferred one once it is edited in. */
  const answer = async (input: ReturnType<typeof chatInput>): Promise<Reply> => {
    const { callback, interaction } = await fake.interact(input, { timeoutMs: 10_000 });
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      expect((dataOf(callback) as { flags?: number }).flags).toBe(MessageFlags.Ephemeral);
      return (await fake.waitForOriginal(interaction.id, (stored) => (stored.embeds?.length ?? 0) > 0 || Boolean(stored.content), {
        timeoutMs: 15_000,
      }));
    }
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    return dataOf(callback) as Reply;
  };
  const announcements = () => fake.messages(ANNOUNCE);
  const notices = () => announcements().filter((message) => message.embeds?.[0]?.title?.startsWith('Schedule change'));
  const morningPost = () =>
    announcements().find((message) => message.embeds?.[0]?.footer?.text.includes(`mlops:2027-01-05:daily:discord:${ANNOUNCE}`));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-changes-'));
    writeFileSync(join(dir, 'course.yaml'), readFileSync('data/course.yaml', 'utf8'));
    fake = await FakeDiscord.start({
      heartbeatInterval: 1_000,
      guilds: [{ id: GUILD, channels: [ANNOUNCE, INSTRUCTORS], roles: [INSTRUCTOR_ROLE] }],
    });
    bot = await startBot();
    // Started at 08:30, inside the catch-up window: the 08:00 post goes out now.
    await fake.waitFor(morningPost, { timeoutMs: 15_000, what: 'the morning announcement' });
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers /course with its subcommands, hidden behind Manage Server', () => {
    const registered = fake.commands(GUILD).find((command) => command.name === 'course');
    expect(registered?.default_member_permissions).toBe('32');
    expect(registered?.options?.map((option) => option.name)).toEqual([
      'edit',
      'cancel',
      'move',
      'add',
      'undo',
      'history',
      'preview',
      'announce',
      'reload',
    ]);
  });

  it('refuses a student at run time, ephemerally, and logs a warning with the user id', async () => {
    const reply = await answer(course('cancel', { date: '2027-01-05' }, student));
    expect(reply.flags).toBe(MessageFlags.Ephemeral);
    expect(reply.content).toBe('Only instructors can use this command.');
    await bot.waitForOutput(new RegExp(`"user":"${student.id}".*instructor command refused`));
    expect(notices()).toHaveLength(0);
  });

  it('suggests session dates inside a subcommand', async () => {
    const { callback } = await fake.interact(
      autocomplete('course', [{ name: 'cancel', type: SUBCOMMAND, options: [{ name: 'date', type: STRING, value: '2027-01-0', focused: true }] }], {
        actor: teacher,
      }),
    );
    const choices = (dataOf(callback) as { choices: { value: string }[] }).choices.map((choice) => choice.value);
    expect(choices.slice(0, 3)).toEqual(['2027-01-05', '2027-01-06', '2027-01-07']);
  });

  it(
    'cancels today: the instructor gets an ephemeral receipt, students one notice, and the posted announcement is edited',
    { timeout: TIMEOUT },
    async () => {
      const posted = morningPost()!;
      const reply = await answer(course('cancel', { date: '2027-01-05', reason: 'instructor ill' }));
      expect(reply.flags).toBe(MessageFlags.Ephemeral);
      expect(reply.embeds?.[0]?.title).toBe('Done: Cancel Tue 5 Jan (instructor ill)');
      const notice = await fake.waitFor(() => notices()[0], { timeoutMs: 15_000, what: 'the schedule change notice' });
      expect(notice.embeds?.[0]?.description).toBe(
        'Tue 5 Jan (today): cancelled: Code organisation: why it matters · Conda, GitHub, Docker (instructor ill)',
      );
      expect(notice.allowed_mentions ?? { parse: [] }).toEqual({ parse: [] });
      const edited = await fake.waitFor(
        () => (morningPost()?.embeds?.[0]?.title?.includes('is cancelled') ? morningPost() : undefined),
        { timeoutMs: 15_000, what: 'the morning post edited' },
      );
      expect(edited.id).toBe(posted.id);
      expect(edited.embeds?.[0]?.fields).toContainEqual({ name: 'Reason', value: 'instructor ill', inline: false });
      // Students see it at once.
      const today = await answer(chatInput('today', [], { actor: student }));
      expect(today.embeds?.[0]?.description).toBe('Cancelled: Code organisation: why it matters');
      expect(notices()).toHaveLength(1);
    },
  );

  it('previews, lists the history, and posts today\'s announcement only once', { timeout: TIMEOUT }, async () => {
    const preview = await answer(course('preview'));
    expect(preview.flags).toBe(MessageFlags.Ephemeral);
    expect(preview.embeds?.[0]?.title).toBe(
      'Good morning! No session today in Machine Learning Operations: Week 1 · Tuesday 5 January 2027 is cancelled',
    );
    const history = await answer(course('history'));
    expect(history.embeds?.[0]?.title).toBe('Schedule changes (1)');
    expect(history.embeds?.[0]?.description).toMatch(/^#1 · 5 Jan, 08:3\d · teacher · Cancel Tue 5 Jan \(instructor ill\)$/);
    const before = announcements().length;
    const announced = await answer(course('announce'));
    expect(announced.embeds?.[0]?.description).toBe(`Already posted earlier: mlops:2027-01-05:daily:discord:${ANNOUNCE}`);
    expect(announcements()).toHaveLength(before);
  });

  it('refuses a change that does not fit, saying why, and stores nothing', async () => {
    const reply = await answer(course('move', { from: '2027-01-06', to: '2027-01-08' }));
    expect(reply.flags).toBe(MessageFlags.Ephemeral);
    expect(reply.content).toBe('2027-01-08 already has a session (no topic); cancel or move it first.');
    expect((await answer(course('history'))).embeds?.[0]?.title).toBe('Schedule changes (1)');
  });

  it('keeps changes across a restart, and undo brings the session back with a notice', { timeout: TIMEOUT }, async () => {
    expect(await bot.stop('SIGTERM')).toBe(0);
    bot = await startBot();
    const today = await answer(chatInput('today', [], { actor: student }));
    expect(today.embeds?.[0]?.description).toBe('Cancelled: Code organisation: why it matters');
    // The restart found nothing new to announce.
    expect(notices()).toHaveLength(1);
    const undone = await answer(course('undo'));
    expect(undone.embeds?.[0]?.title).toBe('Undone: Cancel Tue 5 Jan (instructor ill)');
    const back = await fake.waitFor(() => notices()[1], { timeoutMs: 15_000, what: 'the second notice' });
    expect(back.embeds?.[0]?.description).toBe('Tue 5 Jan (today): back on: Code organisation: why it matters · Conda, GitHub, Docker');
    await fake.waitFor(() => (morningPost()?.embeds?.[0]?.title?.includes('is cancelled') ? undefined : true), {
      timeoutMs: 15_000,
      what: 'the morning post edited back',
    });
  });

  it('announces a near-future difference when the course file is edited, once, after the file has been quiet', { timeout: TIMEOUT }, async () => {
    const file = join(dir, 'course.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('topic: Debugging and visualization', 'topic: Profiling and debugging'));
    // The notice waits until the file has been quiet for FILE_SETTLE_MS (20 s).
    const notice = await fake.waitFor(() => notices()[2], { timeoutMs: 60_000, what: 'the notice of the file change' });
    expect(notice.embeds?.[0]?.description).toBe(
      'Wed 6 Jan (tomorrow): now Profiling and debugging · TensorBoard, Weights & Biases (was: Debugging and visualization)',
    );
    const reload = await answer(course('reload'));
    expect(reload.embeds?.[0]?.title).toBe('The course file has not changed');
    expect(notices()).toHaveLength(3);
  });

  it('exports the effective course as a file that passes validate', { timeout: TIMEOUT }, async () => {
    await answer(course('edit', { date: '2027-01-07', topic: 'Guest lecture', frameworks: 'Docker, GCP' }));
    const out = join(dir, 'exported.yaml');
    const exported = await runCli(['export', '--out', out], { env: env() });
    expect(exported.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('topic: Guest lecture');
    const validated = await runCli(['validate', out], { env: env() });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('valid.');
  });
});
