import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { defineCommand } from '../../../src/core/commands/command.js';
import { commands } from '../../../src/core/commands/registry.js';
import { message } from '../../../src/core/messages.js';
import type { DiscordConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { DiscordBot, discordRest, syncCommands } from '../../../src/platforms/discord/bot.js';
import type { ScheduleAdmin, StateStore } from '../../../src/core/ports.js';
import { seenKeyPrefix } from '../../../src/platforms/seen-requests.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { FakeDiscord, type InteractResult, autocomplete, chatInput } from '../../fakes/discord/index.js';
import { snowflakeAt } from '../../fakes/discord/snowflake.js';
import { at, buildCourse } from '../../support/course.js';
import { answerOf, dataOf } from '../../support/discord.js';
import { captureLogger } from '../../support/log.js';

const course = buildCourse();

const boom = defineCommand({
  name: 'boom',
  description: 'Always fails',
  audience: 'everyone',
  options: [],
  run: () => {
    throw new Error('database on fire');
  },
});

const slow = defineCommand({
  name: 'slow',
  description: 'Takes its time',
  audience: 'everyone',
  slow: true,
  options: [{ name: 'text', type: 'string', description: 'echo' }],
  run: (_context, { text }) => message({ title: `Slow answer: ${text ?? ''}` }),
});

/** The title of the first embed the asker finally sees (an instructor command's answer comes after a deferral). */
async function titleOf(fake: FakeDiscord, result: InteractResult): Promise<string | undefined> {
  const { data } = await answerOf(fake, result);
  return (data as { embeds?: { title?: string }[] }).embeds?.[0]?.title;
}

describe('DiscordBot (in process, real discord.js, fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let logs: string[];
  let store: MemoryStore;

  const config = (overrides: Partial<DiscordConfig> = {}): DiscordConfig => ({
    token: fake.token,
    apiUrl: fake.apiUrl,
    replyVisibility: 'ephemeral',
    guildId: fake.guildId,
    ...overrides,
  });

  const startBot = async (overrides: Partial<DiscordConfig> = {}) => {
    const captured = captureLogger();
    logs = captured.lines;
    bot = new DiscordBot({
      config: config(overrides),
      store,
      logger: captured.logger,
      course: () => course,
      commands: [...commands, boom, slow],
      clock: fixedClock(at(course, '2027-01-04T10:00')),
    });
    await bot.start();
  };

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    logs = [];
    store = new MemoryStore();
  });

  afterEach(async () => {
    await bot?.stop();
    await fake.close();
  });

  it('shows an unexpected error as a short message with a reference that is in the log', async () => {
    await startBot();
    const { callback } = await fake.interact(chatInput('boom'));
    const data = dataOf(callback) as { content: string; flags: number };
    expect(data.flags).toBe(MessageFlags.Ephemeral);
    const ref = /^Something went wrong \(ref ([0-9a-f]{8})\)\. Please tell an instructor\.$/.exec(data.content)?.[1];
    expect(ref).toBeDefined();
    const line = logs.find((entry) => entry.includes(`"ref":"${ref}"`));
    expect(line).toContain('database on fire');
    expect(line).toContain('"command":"boom"');
    expect(data.content).not.toContain('database on fire');
  });

  it('acknowledges a slow command first, then edits the answer in', async () => {
    await startBot();
    const { callback, interaction } = await fake.interact(
      chatInput('slow', [{ name: 'text', type: ApplicationCommandOptionType.String, value: 'hi' }]),
    );
    expect(callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect((dataOf(callback) as { flags?: number } | undefined)?.flags).toBe(MessageFlags.Ephemeral);
    const original = await fake.waitForOriginal(interaction.id, (stored) => (stored.embeds?.length ?? 0) > 0);
    expect(original.embeds?.[0]?.title).toBe('Slow answer: hi');
  });

  it('answers publicly when configured, errors still ephemerally', async () => {
    await startBot({ replyVisibility: 'public' });
    const answer = await fake.interact(chatInput('today'));
    expect((dataOf(answer.callback) as { flags?: number }).flags ?? 0).toBe(0);
    const error = await fake.interact(chatInput('week', [{ name: 'number', type: ApplicationCommandOptionType.Integer, value: 9 }]));
    expect((dataOf(error.callback) as { flags?: number }).flags).toBe(MessageFlags.Ephemeral);
  });

  it('still answers once when the callback first meets a 500 and a 429', async () => {
    await startBot();
    const statuses = (id: string) =>
      fake.requests.filter((request) => request.path.startsWith(`/interactions/${id}/`)).map((request) => request.status);
    fake.failNext('POST /interactions/', { status: 500 });
    const first = await fake.interact(chatInput('today'), { timeoutMs: 15_000 });
    expect((dataOf(first.callback) as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Week 1 · Monday 4 January 2027');
    expect(statuses(first.interaction.id)).toEqual([500, 204]);
    fake.failNext('POST /interactions/', { status: 429, retryAfter: 0.2 });
    const second = await fake.interact(chatInput('help'), { timeoutMs: 15_000 });
    expect(statuses(second.interaction.id)).toEqual([429, 204]);
  });

  it('falls back to a short text with a reference when Discord refuses the answer, without logging the token', async () => {
    await startBot();
    fake.failNext('POST /interactions/', { status: 400, code: 50035, message: 'Invalid Form Body' });
    const { callback, interaction } = await fake.interact(chatInput('today'));
    const data = dataOf(callback) as { content: string; flags: number };
    expect(data.content).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)/);
    expect(data.flags).toBe(MessageFlags.Ephemeral);
    const log = logs.join('');
    expect(log).toContain('Discord refused the answer');
    expect(interaction.token.length).toBeGreaterThan(10);
    expect(log).not.toContain(interaction.token);
    expect(log).not.toContain(encodeURIComponent(interaction.token));
  });

  it('keeps a slow command’s error ephemeral even when answers are public', async () => {
    await startBot({ replyVisibility: 'public' });
    const ok = await fake.interact(chatInput('slow', [{ name: 'text', type: ApplicationCommandOptionType.String, value: 'hi' }]));
    expect((dataOf(ok.callback) as { flags?: number }).flags).toBe(MessageFlags.Ephemeral);
    const followUp = await fake.waitFor(() => fake.followUps.get(ok.interaction.id)?.[0], { what: 'the public follow-up' });
    expect(followUp.embeds?.[0]?.title).toBe('Slow answer: hi');
    expect(followUp.flags ?? 0).toBe(0);
  });

  it('refuses instructor commands to students at run time, whatever the permissions say', async () => {
    const instructorOnly = defineCommand({
      name: 'secret',
      description: 'Instructors only',
      audience: 'instructors',
      options: [],
      run: () => message({ title: 'For instructors' }),
    });
    // A server that has the instructor role.
    await fake.close();
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: '555555555555555555', roles: ['424242424242424242'] }] });
    bot = new DiscordBot({
      config: { ...config(), instructorRoleId: '424242424242424242' },
      store,
      logger: createLogger({ level: 'silent' }),
      course: () => course,
      commands: [...commands, instructorOnly],
      clock: fixedClock(at(course, '2027-01-04T10:00')),
    });
    await bot.start();
    const student = await fake.interact(chatInput('secret', [], { actor: { roles: [] } }));
    expect(dataOf(student.callback)).toMatchObject({ content: 'Only instructors can use this command.', flags: MessageFlags.Ephemeral });
    const teacher = await fake.interact(chatInput('secret', [], { actor: { roles: ['424242424242424242'] } }));
    expect(await titleOf(fake, teacher)).toBe('For instructors');
    const admin = await fake.interact(chatInput('secret', [], { actor: { permissions: String(1n << 5n) } }));
    expect(await titleOf(fake, admin)).toBe('For instructors');
  });

  it('lists /course in /help to instructors only, and never serves one asker’s /help to the other', async () => {
    await fake.close();
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: '555555555555555555', roles: ['424242424242424242'] }] });
    await startBot({ instructorRoleId: '424242424242424242' });
    const fields = (callback: Parameters<typeof dataOf>[0]) =>
      JSON.stringify((dataOf(callback) as { embeds: { fields?: unknown[] }[] }).embeds[0]!.fields ?? []);
    // Asked in turn within the same minute: the answer cache must keep them apart.
    const teacher = await fake.interact(chatInput('help', [], { actor: { roles: ['424242424242424242'] } }));
    const student = await fake.interact(chatInput('help', [], { actor: { roles: [], permissions: '0' } }));
    const manager = await fake.interact(chatInput('help', [], { actor: { roles: [], permissions: String(1n << 5n) } }));
    const studentAgain = await fake.interact(chatInput('help', [], { actor: { roles: [], permissions: '0' } }));
    expect(fields(teacher.callback)).toContain('/course edit');
    expect(fields(manager.callback)).toContain('/course edit');
    expect(fields(student.callback)).not.toContain('/course');
    expect(fields(studentAgain.callback)).not.toContain('/course');
    expect(fields(student.callback)).toContain('/today');
  });

  it('with no instructor role configured, only Manage Server counts as instructor, whatever roles or overrides say', async () => {
    const instructorOnly = defineCommand({
      name: 'secret',
      description: 'Instructors only',
      audience: 'instructors',
      options: [],
      run: () => message({ title: 'For instructors' }),
    });
    bot = new DiscordBot({
      config: config(),
      store,
      logger: createLogger({ level: 'silent' }),
      course: () => course,
      commands: [...commands, instructorOnly],
      clock: fixedClock(at(course, '2027-01-04T10:00')),
    });
    await bot.start();
    const refused = { content: 'Only instructors can use this command.', flags: MessageFlags.Ephemeral };
    // A server admin may let everyone use the command (Integrations → permissions): the bot still checks.
    const everyone = await fake.interact(chatInput('secret', [], { actor: { roles: [], permissions: '0' } }));
    expect(dataOf(everyone.callback)).toMatchObject(refused);
    const roles = await fake.interact(chatInput('secret', [], { actor: { roles: [fake.guildId, '424242424242424242'] } }));
    expect(dataOf(roles.callback)).toMatchObject(refused);
    const sendAndManageMessages = String((1n << 11n) | (1n << 13n));
    const moderator = await fake.interact(chatInput('secret', [], { actor: { permissions: sendAndManageMessages } }));
    expect(dataOf(moderator.callback)).toMatchObject(refused);
    const dm = await fake.interact(chatInput('secret', [], { dm: true }));
    expect(dataOf(dm.callback)).toMatchObject(refused);
    const manager = await fake.interact(chatInput('secret', [], { actor: { permissions: String(1n << 5n) } }));
    expect(await titleOf(fake, manager)).toBe('For instructors');
    const administrator = await fake.interact(chatInput('secret', [], { actor: { permissions: String(1n << 3n) } }));
    expect(await titleOf(fake, administrator)).toBe('For instructors');
  });

  it('a stop while logging in ends the start and closes the gateway connection the login still opens', async () => {
    fake.failNext('GET /gateway/bot', { delayMs: 1_500 });
    bot = new DiscordBot({
      config: config(),
      store,
      logger: createLogger({ level: 'silent' }),
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
    });
    const starting = bot.start();
    await fake.waitFor(() => (fake.gatewayBotCount > 0 ? true : undefined), { what: 'the login asking for the gateway' });
    await bot.stop();
    await starting;
    expect(bot.connected).toBe(false);
    // discord.js goes on connecting once the gateway answers: that connection must be closed again.
    await fake.waitFor(() => (fake.connectionCount > 0 ? true : undefined), { timeoutMs: 10_000, what: 'the late gateway connection' });
    await fake.waitFor(() => (fake.openSockets === 0 ? true : undefined), { timeoutMs: 10_000, what: 'no gateway socket left open' });
  });

  it('survives a 5xx storm while answering, client and shard error events, and gateway closes, and answers after each', async () => {
    const uncaught: unknown[] = [];
    const collect = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', collect);
    process.on('unhandledRejection', collect);
    try {
      await startBot();
      const help = async () =>
        ((dataOf((await fake.interact(chatInput('help'), { timeoutMs: 15_000 })).callback) as { embeds: { title: string }[] }).embeds[0]!.title);
      // Every attempt at the answer and at the fallback fails (discord.js tries each 4 times): the bot gives
      // up and logs it; the user saw nothing.
      fake.failNext('POST /interactions/', { status: 500 }, 8);
      const before = fake.requests.length;
      void fake.interact(chatInput('today'), { timeoutMs: 30_000 }).catch(() => undefined);
      const failed = () => fake.requests.slice(before).filter((request) => request.status === 500).length;
      await fake.waitFor(() => (failed() === 8 ? true : undefined), { timeoutMs: 30_000, what: '8 failed callbacks' });
      await vi.waitFor(() => expect(logs.join('')).toContain('could not answer an interaction'), { timeout: 10_000 });
      expect(logs.join('')).toContain('Discord refused the answer');
      expect(await help()).toBe('Demo Course: commands');
      bot.client.emit('error', new Error('synthetic client error'));
      bot.client.emit('shardError', new Error('synthetic shard error'), 0);
      expect(await help()).toBe('Demo Course: commands');
      for (const code of [4000, 4009]) {
        const sessions = fake.identifyCount + fake.resumeCount;
        fake.closeConnections(code, 'chaos');
        await fake.waitFor(() => (fake.identifyCount + fake.resumeCount > sessions ? true : undefined), { timeoutMs: 15_000, what: `a new session after ${code}` });
        expect(await help()).toBe('Demo Course: commands');
      }
      expect(logs.join('')).toContain('synthetic client error');
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', collect);
      process.off('unhandledRejection', collect);
    }
  });

  it('reports a gateway closed for good (a reset token) through `lost`; a close it comes back from is not', async () => {
    await startBot();
    let lost: unknown;
    void bot.lost.then((error) => (lost = error));
    const sessions = fake.identifyCount + fake.resumeCount;
    fake.closeConnections(4000, 'Unknown error');
    await fake.waitFor(() => (fake.identifyCount + fake.resumeCount > sessions ? true : undefined), { timeoutMs: 15_000, what: 'a new session' });
    expect(lost).toBeUndefined();
    fake.closeConnections(4004, 'Authentication failed.');
    await vi.waitFor(() => expect(lost).toBeDefined(), { timeout: 15_000 });
    expect(lost).toMatchObject({ code: 'TokenInvalid', message: 'Discord closed the gateway: authentication failed (4004)' });
    expect(bot.connected).toBe(false);
  });

  it('registers globally without a guild, and only when the definitions change', async () => {
    await startBot({ guildId: undefined });
    expect(fake.registrations.map((registration) => registration.scope)).toEqual(['global']);
    const rest = discordRest(config());
    const logger = createLogger({ level: 'silent' });
    const again = await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger });
    expect(again.changed).toBe(true);
    const same = await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger });
    expect(same).toEqual({ scope: 'global', names: [...new Set(commands.map((command) => command.group ?? command.name))], changed: false });
    const forced = await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger, force: true });
    expect(forced.changed).toBe(true);
    expect(fake.registrations).toHaveLength(3);
  });

  it('syncCommands adds the course option when asked (several courses): new definitions, registered again', async () => {
    await startBot({ guildId: undefined });
    const rest = discordRest(config());
    const logger = createLogger({ level: 'silent' });
    type Registered = { name: string; options?: { name: string; required?: boolean; autocomplete?: boolean }[] };
    const todayOptions = () => (fake.commands('global') as Registered[]).find((command) => command.name === 'today')?.options ?? [];
    expect(todayOptions().map((option) => option.name)).toEqual(['date']);
    const several = await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger, courseOption: true });
    expect(several.changed).toBe(true);
    expect(todayOptions().at(-1)).toMatchObject({ name: 'course', required: false, autocomplete: true });
    expect((await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger, courseOption: true })).changed).toBe(false);
    const one = await syncCommands({ rest, applicationId: fake.applicationId, commands, store, logger });
    expect(one.changed).toBe(true);
    expect(todayOptions().map((option) => option.name)).toEqual(['date']);
  });

  it('registers where the running courses need it, with the course option while two are on Discord (and without once one is left)', async () => {
    const inFake = (id: string) => ({ id, name: id.toUpperCase(), targets: { discord: { guildId: fake.guildId, channels: [] } } });
    let running = [inFake('one'), inFake('two')];
    bot = new DiscordBot({
      config: config({ guildId: undefined }),
      store,
      logger: captureLogger().logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      registration: () => running.map((entry) => entry.targets),
      courses: () => running,
    });
    await bot.start();
    type Registered = { name: string; options?: { name: string }[] };
    const todayOptions = () => (fake.commands(fake.guildId) as Registered[]).find((command) => command.name === 'today')?.options?.map((option) => option.name);
    expect(fake.registrations.map((registration) => registration.scope)).toEqual([fake.guildId]);
    expect(todayOptions()).toEqual(['date', 'course']);
    running = [inFake('one')];
    await bot.registerCommands();
    expect(fake.registrations.map((registration) => registration.scope)).toEqual([fake.guildId, fake.guildId]);
    expect(todayOptions()).toEqual(['date']);
  });

  it('keeps running and says what to fix when registration is refused', async () => {
    fake.failNext('PUT /applications/', { status: 403, code: 50001, message: 'Missing Access' });
    await startBot();
    expect(logs.join('')).toContain('could not register slash commands: was the bot invited with the applications.commands scope');
    const { callback } = await fake.interact(chatInput('help'));
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
  });

  it('answers from the per-minute cache only within the same minute and course', async () => {
    let now = at(course, '2027-01-04T23:59:30');
    bot = new DiscordBot({
      config: config(),
      store,
      logger: createLogger({ level: 'silent' }),
      course: () => course,
      commands,
      clock: { now: () => now },
    });
    await bot.start();
    const title = async () =>
      (dataOf((await fake.interact(chatInput('today'))).callback) as { embeds?: { title: string }[]; content?: string }).embeds?.[0]
        ?.title;
    expect(await title()).toBe('Week 1 · Monday 4 January 2027');
    now = at(course, '2027-01-05T00:00:10');
    expect(await title()).toBe('No session on Tuesday 5 January 2027');
  });
});

/** Instructor actions over a store's change log: enough for `/course cancel`, `undo` and `history`. */
function changeLog(store: StateStore): ScheduleAdmin {
  return {
    change: (change, actor) => Promise.resolve({ record: store.addChange(course.id, change, actor, Date.now()), noticed: false }),
    undo: (actor) => {
      const record = store.undoChange(course.id, actor, Date.now());
      return Promise.resolve(record && { record, noticed: false });
    },
    history: () => store.listChanges(course.id).map((record) => ({ record })),
    reload: () => Promise.resolve({ ok: true, changed: false }),
    announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
  };
}

/**
 * Discord delivers every interaction to every session of the token (two instances in a rolling restart, a
 * standby), and a resumed session may get one again: exactly one instance answers, once.
 */
describe('DiscordBot runs each interaction once (real discord.js, fake Discord, one state database)', () => {
  const MANAGE_GUILD = String(1n << 5n);
  const TAKEN = 'interaction already taken';
  let fake: FakeDiscord;
  let dir: string;
  let bots: { bot: DiscordBot; logs: string[] }[];
  let stores: SqliteStore[];

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-discord-once-'));
    bots = [];
    stores = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map(({ bot }) => bot.stop()));
    for (const store of stores) store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A bot on its own connection to the shared database, as a second process would have. */
  const startBot = async () => {
    const store = new SqliteStore(join(dir, 'state.db'));
    stores.push(store);
    const { logger, lines } = captureLogger();
    const bot = new DiscordBot({
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral', guildId: fake.guildId },
      store,
      logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      admin: changeLog(store),
    });
    await bot.start();
    bots.push({ bot, logs: lines });
    return { bot, store, logs: lines };
  };

  const teacher = { actor: { permissions: MANAGE_GUILD } };
  /** Warnings and errors the bots logged (level 40 and up). */
  const problems = () => bots.flatMap(({ logs }) => logs.filter((line) => /"level":(4|5|6)0/.test(line)));
  /** Requests to an interaction's callback and webhook, with their statuses. */
  const answers = (id: string) => fake.requests.filter((request) => request.path.startsWith(`/interactions/${id}/`));
  /**
   * Resolves once some bot has dropped `id` as taken (and says which), or a second answer was tried (-1): a
   * bot that runs it again answers too.
   */
  const settled = (id: string) =>
    vi.waitFor(
      () => {
        const which = bots.findIndex(({ logs }) => logs.some((line) => line.includes(TAKEN) && line.includes(id)));
        expect(which >= 0 || answers(id).length > 1).toBe(true);
        return which;
      },
      { timeout: 15_000 },
    );

  it('two instances: one /course undo undoes one change and is answered once; a student command is answered by both, Discord takes one, without errors', { timeout: 60_000 }, async () => {
    const first = await startBot();
    await startBot();
    await fake.waitFor(() => (fake.identifyCount === 2 ? true : undefined), { timeoutMs: 15_000, what: 'both sessions' });
    const actor = { platform: 'discord', id: 'teacher' };
    first.store.addChange(course.id, { kind: 'cancel', date: '2027-01-06' }, actor, Date.now());
    first.store.addChange(course.id, { kind: 'cancel', date: '2027-01-08' }, actor, Date.now());

    const undo = await fake.interact(chatInput('course', [{ name: 'undo', type: ApplicationCommandOptionType.Subcommand, options: [] }], teacher));
    const dropper = await settled(undo.interaction.id);
    expect(await titleOf(fake, undo)).toMatch(/^Undone/);
    expect(answers(undo.interaction.id).map((request) => request.status)).toEqual([204]);
    expect(first.store.listChanges(course.id).map((record) => record.undoneAt !== undefined)).toEqual([false, true]);
    expect(dropper).toBeGreaterThanOrEqual(0);
    expect(bots[1 - dropper]!.logs.some((line) => line.includes(TAKEN))).toBe(false);

    // Read-only commands are not claimed: both instances answer, Discord takes the first callback and refuses
    // the second (40060), which the other instance logs at debug. The student sees one answer.
    for (const input of [chatInput('today'), chatInput('help'), chatInput('week', [{ name: 'number', type: ApplicationCommandOptionType.Integer, value: 2 }])]) {
      const { callback, interaction } = await fake.interact(input);
      await vi.waitFor(() => expect(answers(interaction.id)).toHaveLength(2), { timeout: 15_000 });
      expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
      expect(answers(interaction.id).map((request) => request.status).sort()).toEqual([204, 400]);
      await vi.waitFor(() =>
        expect(bots.flatMap(({ logs }) => logs.filter((line) => line.includes(interaction.id) && line.includes('(40060')))).toHaveLength(1),
      );
    }
    expect(fake.callbacks.size).toBe(4);
    expect(problems()).toEqual([]);
    // Only the claimed id is a row in the shared database, under Discord's own prefix.
    expect(first.store.listKeys(seenKeyPrefix('discord'))).toEqual([`${seenKeyPrefix('discord')}${undo.interaction.id}`]);
  });

  it('one instance: an interaction delivered again (a resumed session) is dropped, not run again', { timeout: 60_000 }, async () => {
    const { store, logs } = await startBot();
    const actor = { platform: 'discord', id: 'teacher' };
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-06' }, actor, Date.now());
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-08' }, actor, Date.now());
    const undo = await fake.interact(chatInput('course', [{ name: 'undo', type: ApplicationCommandOptionType.Subcommand, options: [] }], teacher));
    const today = await fake.interact(chatInput('today'));
    for (const { interaction } of [undo, today]) {
      fake.dispatch('INTERACTION_CREATE', interaction);
      await settled(interaction.id);
      expect(answers(interaction.id).map((request) => request.status)).toEqual([204]);
    }
    expect(store.listChanges(course.id).map((record) => record.undoneAt !== undefined)).toEqual([false, true]);
    expect(logs.filter((line) => line.includes(TAKEN))).toHaveLength(2);
    expect(problems()).toEqual([]);
  });
});

/** An instructor command (those may answer asynchronously, after a deferral) that takes 0.6 s. */
const dawdle = defineCommand({
  name: 'dawdle',
  description: 'Takes 0.6 s',
  audience: 'instructors',
  options: [],
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return message({ title: 'Finally' });
  },
});

describe('DiscordBot when Discord has given up on an interaction (real discord.js, fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let logs: string[];
  let store: MemoryStore;
  let drops: string[];
  let outcomes: string[];

  beforeEach(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    store = new MemoryStore();
    drops = [];
    outcomes = [];
    const captured = captureLogger();
    logs = captured.lines;
    bot = new DiscordBot({
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral', guildId: fake.guildId },
      store,
      logger: captured.logger,
      course: () => course,
      commands: [...commands, slow, dawdle],
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      observe: (event) => outcomes.push(`${event.command} ${event.outcome}`),
      dropped: (platform, why) => drops.push(`${platform} ${why}`),
    });
    await bot.start();
  });

  afterEach(async () => {
    await bot.stop();
    await fake.close();
  });

  /** Requests to an interaction's callback and webhook, with their statuses. */
  const answers = (id: string) => fake.requests.filter((request) => request.path.startsWith(`/interactions/${id}/`)).map((request) => request.status);
  const levelOf = (line: string) => Number(/"level":(\d+)/.exec(line)?.[1]);
  const linesAbout = (id: string) => logs.filter((line) => line.includes(`"interaction":"${id}"`));
  /** Interactions on one gateway session are handled in order: once a later one is answered, the earlier was handled. */
  const afterward = async () => {
    const counted = outcomes.length;
    const { callback } = await fake.interact(chatInput('today'));
    expect((dataOf(callback) as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Week 1 · Monday 4 January 2027');
    // Counted once discord.js has the callback's answer, a moment after the fake recorded it.
    await vi.waitFor(() => expect(outcomes.length).toBe(counted + 1));
  };

  it('sheds an interaction already 3 s old: never answered, no store or command work, one line, counted', async () => {
    // A fresh one first: it shows this clock agrees with Discord's (see InteractionAges).
    await afterward();
    // An instructor command (claimed in the store when run) and an autocomplete.
    const old = fake.dispatchInteraction({ ...chatInput('dawdle', [], { actor: { permissions: String(1n << 5n) } }), id: snowflakeAt(Date.now() - 3_000) });
    const oldSearch = fake.dispatchInteraction({
      ...autocomplete('resources', [{ name: 'query', type: ApplicationCommandOptionType.String, value: 'py', focused: true }]),
      // Not the same millisecond as the first: the fake's ids carry no counter, so that would be the same id.
      id: snowflakeAt(Date.now() - 3_100),
    });
    await afterward();
    expect(answers(old.id)).toEqual([]);
    expect(answers(oldSearch.id)).toEqual([]);
    expect(drops).toEqual(['discord shed', 'discord shed']);
    // The fresh one after them is answered and counted as before; the shed ones reached no command.
    expect(outcomes).toEqual(['today ok', 'today ok']);
    // Neither claimed in the store (the /today ones answered are read-only: never claimed).
    expect(store.listKeys(seenKeyPrefix('discord'))).toEqual([]);
    // One line each: the first at info (with how many since the last info line), the next within 10 s at debug.
    for (const [id, level] of [[old.id, 30], [oldSearch.id, 20]] as const) {
      const lines = linesAbout(id);
      expect(lines, lines.join('\n')).toHaveLength(1);
      expect(lines[0]).toContain('interaction too old to answer in time: shed');
      expect(levelOf(lines[0]!)).toBe(level);
      expect((JSON.parse(lines[0]!) as { ageMs: number }).ageMs).toBeGreaterThan(2_500);
    }
    expect((JSON.parse(linesAbout(old.id)[0]!) as { shed: number }).shed).toBe(1);
  });

  it('answers an interaction 2 s old, and one whose id says no believable time (a clock far off)', async () => {
    const recent = await fake.interact({ ...chatInput('today'), id: snowflakeAt(Date.now() - 2_000) });
    expect(recent.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    // Ten minutes old by this clock: Discord would have refused it long ago, so the clocks disagree: answered.
    const skewed = await fake.interact({ ...chatInput('help'), id: snowflakeAt(Date.now() - 10 * 60_000) });
    expect(skewed.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    // From the future by this clock (this clock is behind): answered.
    const ahead = await fake.interact({ ...chatInput('today'), id: snowflakeAt(Date.now() + 5_000) });
    expect(ahead.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    await vi.waitFor(() => expect(outcomes).toHaveLength(3));
    expect(drops).toEqual([]);
    expect(outcomes).toEqual(['today ok', 'help ok', 'today ok']);
  });

  // 40060 to a read-only command is another instance answering first (those are not claimed in the store):
  // debug. To a command that is claimed, or 10062 to a fresh interaction, it is worth a warning.
  const teacher = { actor: { permissions: String(1n << 5n) } };
  it.each([
    { status: 404, code: 10062, message: 'Unknown interaction', why: 'expired', said: '10062 Unknown interaction', command: 'today', level: 40 },
    { status: 400, code: 40060, message: 'Interaction has already been acknowledged.', why: 'acknowledged', said: '(40060', command: 'today', level: 20 },
    { status: 400, code: 40060, message: 'Interaction has already been acknowledged.', why: 'acknowledged', said: '(40060', command: 'dawdle', level: 40 },
  ] as const)('makes no second call and logs no error when the reply to /$command meets $code', async ({ status, code, message, why, said, command, level }) => {
    fake.failNext('POST /interactions/', { status, code, message });
    const refused = fake.dispatchInteraction(chatInput(command, [], teacher));
    await vi.waitFor(() => expect(drops).toEqual([`discord ${why}`]), { timeout: 10_000 });
    await afterward();
    expect(answers(refused.id)).toEqual([status]);
    expect(outcomes).toEqual([`${command} unanswered`, 'today ok']);
    const lines = linesAbout(refused.id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(said);
    // Without a stack.
    expect(levelOf(lines[0]!)).toBe(level);
    expect(lines[0]).not.toContain('"stack"');
    expect(logs.filter((line) => levelOf(line) >= 50)).toEqual([]);
    expect(logs.join('')).not.toContain('Something went wrong');
  });

  it('makes no edit after a deferral that meets 10062, and no fallback', async () => {
    fake.failNext('POST /interactions/', { status: 404, code: 10062, message: 'Unknown interaction' });
    const refused = fake.dispatchInteraction(chatInput('slow', [{ name: 'text', type: ApplicationCommandOptionType.String, value: 'hi' }]));
    await vi.waitFor(() => expect(drops).toEqual(['discord expired']), { timeout: 10_000 });
    await afterward();
    expect(answers(refused.id)).toEqual([404]);
    expect(outcomes).toEqual(['slow unanswered', 'today ok']);
    expect(logs.filter((line) => levelOf(line) >= 50)).toEqual([]);
  });

  it('logs 10062 at debug when the interaction was already older than the shed limit (the bot is behind)', async () => {
    // 2.2 s old when it arrives (not shed): deferred at once, then the command takes 0.6 s more, and the edit
    // of the deferred answer comes too late.
    fake.failNext('PATCH /webhooks/', { status: 404, code: 10062, message: 'Unknown interaction' });
    const refused = fake.dispatchInteraction({
      ...chatInput('dawdle', [], { actor: { permissions: String(1n << 5n) } }),
      id: snowflakeAt(Date.now() - 2_200),
    });
    await vi.waitFor(() => expect(drops).toEqual(['discord expired']), { timeout: 10_000 });
    await afterward();
    expect(answers(refused.id)).toEqual([204]);
    const lines = linesAbout(refused.id);
    expect(lines, lines.join('\n')).toHaveLength(1);
    expect(lines[0]).toContain('10062 Unknown interaction: answered too late');
    expect(levelOf(lines[0]!)).toBe(20);
    expect((JSON.parse(lines[0]!) as { ageMs: number }).ageMs).toBeGreaterThan(2_500);
  });

  it('keeps the fallback for other refusals of the answer', async () => {
    fake.failNext('POST /interactions/', { status: 400, code: 50035, message: 'Invalid Form Body' });
    const { callback, interaction } = await fake.interact(chatInput('today'));
    expect((dataOf(callback) as { content: string }).content).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)/);
    expect(answers(interaction.id)).toEqual([400, 204]);
    expect(drops).toEqual([]);
  });
});
