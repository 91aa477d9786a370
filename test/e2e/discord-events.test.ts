import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, GuildScheduledEventStatus, InteractionResponseType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCourse } from '../../src/core/course/parse.js';
import { desiredEvents } from '../../src/events/plan.js';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import type { ChatInputOption } from '../fakes/discord/builders.js';
import { type RunningChild, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';
import { dataOf } from '../support/discord.js';

const { String: STRING, Subcommand: SUBCOMMAND } = ApplicationCommandOptionType;
const TIMEOUT = SPAWN_TIMEOUT;
const GUILD = '1100000000000000001';
const ANNOUNCE = '1100000000000000002';
const INSTRUCTORS = '1100000000000000003';
const INSTRUCTOR_ROLE = '1100000000000000010';
const teacher = { id: '1200000000000000001', username: 'teacher', roles: [INSTRUCTOR_ROLE] };
const START = '2027-01-05T08:30';

const parsed = parseCourse(parse(readFileSync('data/course.yaml', 'utf8')));
if (!parsed.ok) throw new Error('data/course.yaml is invalid');
/** The session dates with events when the bot starts (Tuesday 5 January 08:30, Copenhagen), 14 days ahead. */
const EXPECTED = desiredEvents(parsed.course, new Date('2027-01-05T07:30:00Z'), 14);

function course(sub: string, options: Record<string, string>) {
  const nested: ChatInputOption[] = Object.entries(options).map(([name, value]) => ({ name, type: STRING, value }));
  return chatInput('course', [{ name: sub, type: SUBCOMMAND, options: nested } as ChatInputOption], { actor: teacher });
}

/**
 * Discord Scheduled Events end to end: the real bot (`course-bot start`) against the fake Discord, which
 * checks every event as Discord does.
 */
describe('Discord Scheduled Events, kept in sync', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild | undefined;

  const env = (db = 'state.db') => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: GUILD,
    DISCORD_ANNOUNCE_CHANNEL_ID: ANNOUNCE,
    DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
    DISCORD_INSTRUCTOR_ROLE_ID: INSTRUCTOR_ROLE,
    DISCORD_EVENTS: 'on',
    STATE_DB: join(dir, db),
    COURSE_FILE: join(dir, 'course.yaml'),
  });
  const startBot = async (db?: string) => {
    const child = spawnCli(['start', '--at', START], env(db));
    await child.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    return child;
  };
  const live = () => fake.scheduledEvents.list(GUILD);
  const mine = () => live().filter((event) => event.creator_id === fake.botUserId);
  const creates = () => fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/scheduled-events') && request.status === 200);
  const byDate = (date: string) => live().find((event) => event.description?.includes(`:${date}]`));
  const allCreated = () => fake.waitFor(() => (mine().length >= EXPECTED.length ? true : undefined), { timeoutMs: 20_000, what: 'every event' });
  const answer = async (input: ReturnType<typeof chatInput>) => {
    const { callback, interaction } = await fake.interact(input, { timeoutMs: 10_000 });
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      return fake.waitForOriginal(interaction.id, (stored) => (stored.embeds?.length ?? 0) > 0 || Boolean(stored.content), { timeoutMs: 15_000 });
    }
    return dataOf(callback) as { content?: string; embeds?: { title?: string }[] };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-events-'));
    writeFileSync(join(dir, 'course.yaml'), readFileSync('data/course.yaml', 'utf8'));
    fake = await FakeDiscord.start({
      heartbeatInterval: 1_000,
      guilds: [{ id: GUILD, channels: [ANNOUNCE, INSTRUCTORS], roles: [INSTRUCTOR_ROLE] }],
    });
    // An event someone else made: never touched.
    fake.scheduledEvents.create(
      GUILD,
      {
        name: 'Study group',
        scheduled_start_time: '2027-01-06T15:00:00Z',
        scheduled_end_time: '2027-01-06T17:00:00Z',
        privacy_level: 2,
        entity_type: 3,
        entity_metadata: { location: 'Library' },
      },
      '1200000000000000002',
    );
    // Discord's rate limit on the first create: discord.js's queue waits it out, nothing is sent twice.
    fake.failNext(`POST /guilds/${GUILD}/scheduled-events`, { status: 429, retryAfter: 0.5 });
    bot = await startBot();
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates one external event per session on start, named, described, placed and timed', { timeout: TIMEOUT }, async () => {
    await allCreated();
    expect(EXPECTED.length).toBeGreaterThan(5);
    expect(mine().map((event) => `${event.name} @ ${event.scheduled_start_time}`)).toEqual(
      EXPECTED.map((spec) => `${spec.name} @ ${new Date(spec.start).toISOString()}`),
    );
    const tuesday = byDate('2027-01-05')!;
    expect(tuesday).toMatchObject({
      name: 'Week 1 · Code organisation: why it matters',
      entity_type: 3,
      entity_metadata: { location: 'Machine Learning Operations' },
      scheduled_start_time: '2027-01-05T08:00:00.000Z',
      scheduled_end_time: '2027-01-05T16:00:00.000Z',
    });
    expect(tuesday.description).toContain('Frameworks: Conda, GitHub, Docker');
    expect(tuesday.description?.endsWith('[course-bot event mlops:2027-01-05]')).toBe(true);
    expect(creates()).toHaveLength(EXPECTED.length);
    expect(fake.requests.filter((request) => request.method === 'POST' && request.status === 429)).toHaveLength(1);
    expect(fake.unhandled).toEqual([]);
  });

  it('edits the event on /course edit', { timeout: TIMEOUT }, async () => {
    const before = byDate('2027-01-07')!;
    await answer(course('edit', { date: '2027-01-07', topic: 'Debugging for real' }));
    const edited = await fake.waitFor(() => (byDate('2027-01-07')?.name === 'Week 1 · Debugging for real' ? byDate('2027-01-07') : undefined), {
      timeoutMs: 15_000,
      what: 'the event renamed',
    });
    expect(edited.id).toBe(before.id);
    expect(creates()).toHaveLength(EXPECTED.length);
  });

  it('moves the event on /course move, keeping it', { timeout: TIMEOUT }, async () => {
    const before = byDate('2027-01-08')!;
    const reply = await answer(course('move', { from: '2027-01-08', to: '2027-01-09' }));
    expect(JSON.stringify(reply)).toContain('Done');
    const moved = await fake.waitFor(() => byDate('2027-01-09'), { timeoutMs: 15_000, what: 'the event moved' });
    expect(moved.id).toBe(before.id);
    expect(moved.scheduled_start_time).toBe('2027-01-09T08:00:00.000Z');
    expect(byDate('2027-01-08')).toBeUndefined();
  });

  it('cancels the event on /course cancel, and leaves the event it did not make alone', { timeout: TIMEOUT }, async () => {
    const before = byDate('2027-01-06')!;
    await answer(course('cancel', { date: '2027-01-06', reason: 'ill' }));
    await fake.waitFor(() => (fake.scheduledEvents.events.get(before.id)?.status === GuildScheduledEventStatus.Canceled ? true : undefined), { timeoutMs: 15_000, what: 'the event cancelled' });
    expect(live().find((event) => event.name === 'Study group')).toMatchObject({ status: 1 });
    const touched = fake.requests.filter((request) => request.method !== 'GET' && request.path.includes('/scheduled-events/'));
    const studyGroup = live().find((event) => event.name === 'Study group')!;
    expect(touched.some((request) => request.path.endsWith(studyGroup.id))).toBe(false);
  });

  it('adopts its events after the state database is deleted, duplicating none', { timeout: TIMEOUT }, async () => {
    await bot!.stop();
    const count = creates().length;
    rmSync(join(dir, 'state.db'), { force: true });
    bot = await startBot();
    const line = await bot.waitForOutput(/"adopted":\d+.*scheduled events synced/, 20_000);
    // The instructors' changes were in the lost database: the schedule is the file's again. Only Wednesday,
    // whose event was cancelled (Discord never revives one), gets a new event; the others are adopted and
    // edited or moved back.
    expect(line).toContain(`"adopted":${EXPECTED.length - 1}`);
    await fake.waitFor(() => (byDate('2027-01-08') && byDate('2027-01-06') ? true : undefined), { timeoutMs: 15_000, what: 'the file schedule back' });
    expect(creates().slice(count).map((request) => (request.body as { description: string }).description.slice(-11, -1))).toEqual(['2027-01-06']);
    const dates = mine().map((event) => /:(\d{4}-\d{2}-\d{2})\]$/.exec(event.description ?? '')?.[1]);
    expect(dates.sort()).toEqual(EXPECTED.map((spec) => spec.date));
    expect(byDate('2027-01-07')?.name).toBe(EXPECTED.find((spec) => spec.date === '2027-01-07')?.name);
  });

  it('edits the event when the course file is edited', { timeout: TIMEOUT }, async () => {
    const before = byDate('2027-01-12')!;
    const topic = before.name.replace(/^Week \d+ · /, '');
    const text = readFileSync(join(dir, 'course.yaml'), 'utf8');
    expect(text).toContain(`topic: "${topic}"`);
    writeFileSync(join(dir, 'course.yaml'), text.replace(`topic: "${topic}"`, 'topic: Rewritten in the file'));
    const edited = await fake.waitFor(() => (byDate('2027-01-12')?.name.endsWith('Rewritten in the file') ? byDate('2027-01-12') : undefined), {
      // The file must be quiet for 20 s before a change made by editing it is published (src/course-file/settle.ts).
      timeoutMs: 60_000,
      what: 'the event renamed after the file edit',
    });
    expect(edited.id).toBe(before.id);
  });
});

describe('Discord Scheduled Events: two instances and a missing permission', () => {
  let fake: FakeDiscord;
  let dir: string;
  const bots: RunningChild[] = [];

  const env = () => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: GUILD,
    DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
    DISCORD_EVENTS: 'on',
    STATE_DB: join(dir, 'state.db'),
    COURSE_FILE: join(dir, 'course.yaml'),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-events-two-'));
    writeFileSync(join(dir, 'course.yaml'), readFileSync('data/course.yaml', 'utf8'));
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: GUILD, channels: [ANNOUNCE, INSTRUCTORS] }] });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all(bots.map((bot) => bot.stop()));
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 403 is told to the instructors once, with the fix, and the bot still answers', { timeout: TIMEOUT }, async () => {
    fake.scheduledEvents.manageEvents = false;
    const bot = spawnCli(['start', '--at', START], env());
    bots.push(bot);
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    const told = await fake.waitFor(() => fake.messages(INSTRUCTORS).find((message) => message.content.includes('Manage Events')), {
      timeoutMs: 15_000,
      what: 'the instructors told',
    });
    expect(told.content).toContain('course-bot invite-url');
    expect(told.allowed_mentions).toEqual({ parse: [] });
    const { callback } = await fake.interact(chatInput('today'), { timeoutMs: 10_000 });
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    await bot.stop();
    expect(fake.messages(INSTRUCTORS).filter((message) => message.content.includes('Manage Events'))).toHaveLength(1);
    expect(fake.scheduledEvents.all(GUILD)).toEqual([]);
  });

  it('two instances sharing a state database make one event per session', { timeout: TIMEOUT }, async () => {
    fake.scheduledEvents.manageEvents = true;
    const [a, b] = [spawnCli(['start', '--at', START], { ...env(), LOG_LEVEL: 'debug' }), spawnCli(['start', '--at', START], { ...env(), LOG_LEVEL: 'debug' })];
    bots.push(a, b);
    await Promise.all([a.waitForOutput(/slash commands (registered|unchanged)/, 30_000), b.waitForOutput(/slash commands (registered|unchanged)/, 30_000)]);
    await fake.waitFor(() => (fake.scheduledEvents.list(GUILD).length >= EXPECTED.length ? true : undefined), { timeoutMs: 20_000, what: 'every event' });
    // Each has finished a pass: whatever either would create, it has.
    await Promise.all([a, b].map((bot) => bot.waitForOutput(/"subsystem":"events".*scheduled events (synced|in step)/, 20_000)));
    const dates = fake.scheduledEvents.list(GUILD).map((event) => /:(\d{4}-\d{2}-\d{2})\]$/.exec(event.description ?? '')?.[1]);
    // In the order the two created them, which interleaves: sorted, one per session.
    expect(dates.sort()).toEqual(EXPECTED.map((spec) => spec.date));
    expect(fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/scheduled-events') && request.status === 200)).toHaveLength(
      EXPECTED.length,
    );
  });
});
