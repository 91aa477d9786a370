import { ApplicationCommandOptionType as T, InteractionResponseType, InteractionType, MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { commands } from '../../../src/core/commands/registry.js';
import { UserFacingError } from '../../../src/core/errors.js';
import type { ScheduleAdmin } from '../../../src/core/ports.js';
import { DiscordBot } from '../../../src/platforms/discord/bot.js';
import { MALFORMED_OPTIONS, optionValues } from '../../../src/platforms/discord/dispatch.js';
import { interactionKind, interactionProblem } from '../../../src/platforms/discord/payload.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeDiscord, type InteractionInput, autocomplete, chatInput } from '../../fakes/discord/index.js';
import { at, buildCourse } from '../../support/course.js';
import { answerOf, dataOf } from '../../support/discord.js';
import { captureLogger } from '../../support/log.js';

const course = buildCourse();
const MANAGE_GUILD = String(1n << 5n);

/** An option as a malformed payload may carry it: anything at all. */
const raw = (option: unknown) => option as never;
/** A whole interaction input with free-form data. */
const input = (type: InteractionType, data: unknown): InteractionInput => ({ type, data: data as never });

/** Hand-written malformed option payloads: wrong value types, missing or odd names, odd nesting. */
const MALFORMED: readonly [string, InteractionInput][] = [
  ['value null', chatInput('week', [raw({ name: 'number', type: T.Integer, value: null })])],
  ['value missing', chatInput('week', [raw({ name: 'number', type: T.Integer })])],
  ['value an object', chatInput('week', [raw({ name: 'number', type: T.Integer, value: {} })])],
  ['value an array', chatInput('week', [raw({ name: 'number', type: T.Integer, value: [1] })])],
  ['value a boolean', chatInput('week', [raw({ name: 'number', type: T.Integer, value: true })])],
  ['text value null', chatInput('today', [raw({ name: 'date', type: T.String, value: null })])],
  ['text value an object', chatInput('resources', [raw({ name: 'topic', type: T.String, value: { a: 1 } })])],
  ['text value too long', chatInput('resources', [raw({ name: 'topic', type: T.String, value: 'py'.repeat(4_000) })])],
  ['name missing', chatInput('week', [raw({ type: T.Integer, value: 2 })])],
  ['name null', chatInput('week', [raw({ name: null, type: T.Integer, value: 2 })])],
  ['name a number', chatInput('week', [raw({ name: 5, type: T.Integer, value: 2 })])],
  ['name empty', chatInput('week', [raw({ name: '', type: T.Integer, value: 2 })])],
  ['type missing', chatInput('week', [raw({ name: 'number', value: 2 })])],
  ['the same option twice', chatInput('week', [raw({ name: 'number', type: T.Integer, value: 2 }), raw({ name: 'number', type: T.Integer, value: 3 })])],
  ['an option that is null', chatInput('week', [raw(null)])],
  ['an option that is a string', chatInput('week', [raw('number')])],
  ['options null', input(InteractionType.ApplicationCommand, { name: 'week', type: 1, options: null })],
  ['options an object', input(InteractionType.ApplicationCommand, { name: 'week', type: 1, options: { name: 'number' } })],
  ['options a string', input(InteractionType.ApplicationCommand, { name: 'week', type: 1, options: 'number' })],
  ['no command name', input(InteractionType.ApplicationCommand, { type: 1 })],
  ['no data', { type: InteractionType.ApplicationCommand }],
  ['a subcommand on a plain command', chatInput('week', [raw({ name: 'x', type: T.Subcommand, options: [{ name: 'number', type: T.Integer, value: 2 }] })])],
  ['a subcommand group on a plain command', chatInput('week', [raw({ name: 'x', type: T.SubcommandGroup, options: [{ name: 'y', type: T.Subcommand }] })])],
  ['a group without its subcommand', chatInput('course', [])],
  ['a group option where the subcommand goes', chatInput('course', [raw({ name: 'date', type: T.String, value: '2027-01-05' })])],
  ['a subcommand with options null', chatInput('course', [raw({ name: 'history', type: T.Subcommand, options: null })])],
  ['a subcommand with no name', chatInput('course', [raw({ name: null, type: T.Subcommand, options: [] })])],
  ['an unknown subcommand', chatInput('course', [raw({ name: 'explode', type: T.Subcommand, options: [] })])],
  ['a subcommand inside a group', chatInput('course', [raw({ name: 'course', type: T.SubcommandGroup, options: [{ name: 'history', type: T.Subcommand, options: [] }] })])],
  ['a group with options null', chatInput('course', [raw({ name: 'g', type: T.SubcommandGroup, options: null })])],
  ['a subcommand option with value null', chatInput('course', [raw({ name: 'cancel', type: T.Subcommand, options: [{ name: 'date', type: T.String, value: null }] })])],
  ['a subcommand inside a subcommand', chatInput('course', [raw({ name: 'cancel', type: T.Subcommand, options: [{ name: 'date', type: T.Subcommand, options: [] }] })])],
  ['a subcommand option twice', chatInput('course', [raw({ name: 'cancel', type: T.Subcommand, options: [{ name: 'date', type: T.String, value: '2027-01-06' }, { name: 'date', type: T.String, value: '2027-01-08' }] })])],
  ['autocomplete: value null', autocomplete('week', [raw({ name: 'number', type: T.Integer, value: null, focused: true })])],
  ['autocomplete: nothing focused', input(InteractionType.ApplicationCommandAutocomplete, { name: 'week', type: 1, options: [{ name: 'number', type: T.Integer, value: '' }] })],
  ['autocomplete: options null', input(InteractionType.ApplicationCommandAutocomplete, { name: 'week', type: 1, options: null })],
  ['autocomplete: a subcommand with options null', input(InteractionType.ApplicationCommandAutocomplete, { name: 'course', type: 1, options: [{ name: 'cancel', type: 1, options: null }] })],
  ['autocomplete: value an object', autocomplete('resources', [raw({ name: 'topic', type: T.String, value: { x: 1 }, focused: true })])],
];

/** Odd values put in each field of a well-formed option, for every command shape (generated cases). */
const ODD_VALUES: readonly unknown[] = [null, {}, [], [null], true, false, 0, -1, 1.5, 1e308, '', ' ', 'x'.repeat(7_000), '2', '__proto__', 'constructor', '\u0000', [{ name: 'n', type: 4, value: 1 }]];
const FIELDS = ['name', 'type', 'value', 'options'] as const;
const SHAPES: readonly [string, (option: Record<string, unknown>) => InteractionInput][] = [
  ['/week', (option) => chatInput('week', [raw(option)])],
  ['/resources', (option) => chatInput('resources', [raw({ ...option, name: option.name === 'number' ? 'topic' : option.name })])],
  ['/course cancel', (option) => chatInput('course', [raw({ name: 'cancel', type: T.Subcommand, options: [option] })])],
];

function generated(): [string, InteractionInput][] {
  const cases: [string, InteractionInput][] = [];
  for (const [shape, build] of SHAPES) {
    for (const field of FIELDS) {
      for (const [index, odd] of ODD_VALUES.entries()) {
        const option: Record<string, unknown> = { name: 'number', type: T.Integer, value: 2, [field]: odd };
        cases.push([`${shape} ${field} #${index}`, build(option)]);
      }
      const missing: Record<string, unknown> = { name: 'number', type: T.Integer, value: 2 };
      delete missing[field];
      cases.push([`${shape} without ${field}`, build(missing)]);
    }
  }
  return cases;
}

/** What a user may see for a malformed request: a refusal that says what to do, never an error reference. */
const REFUSAL =
  /^(The options of this command arrived garbled|\/[a-z ]+ [a-z]+: The options of this command arrived garbled|\/[a-z ]+ [a-z]+ arrived twice|This command is no longer available|Only instructors can use this command|\/[a-z ]+ has no option|\/[a-z ]+ needs |\/[a-z ]+ [a-z]+: |There is no week )/;

describe('malformed Discord option payloads (real discord.js, fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let logs: string[];
  const uncaught: unknown[] = [];
  const collect = (error: unknown) => uncaught.push(error);
  const admin: ScheduleAdmin = {
    change: () => Promise.reject(new Error('a malformed request must not change the schedule')),
    undo: () => Promise.reject(new Error('a malformed request must not undo')),
    history: () => [],
    reload: () => Promise.resolve({ ok: true, changed: false }),
    announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
  };

  beforeAll(async () => {
    process.on('uncaughtException', collect);
    process.on('unhandledRejection', collect);
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    const captured = captureLogger('warn');
    logs = captured.lines;
    bot = new DiscordBot({
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'public', guildId: fake.guildId },
      store: new MemoryStore(),
      logger: captured.logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      admin,
    });
    await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    process.off('uncaughtException', collect);
    process.off('unhandledRejection', collect);
  });

  /**
   * Sends a payload as a student and as an instructor; returns what each finally saw. An instructor command is
   * deferred (ephemerally) and then edited: that counts as a message, with the edited content and flags.
   */
  async function tryBoth(
    payload: InteractionInput,
  ): Promise<{ type: InteractionResponseType; content?: string; flags?: number; choices?: unknown[] }[]> {
    const seen = [];
    for (const permissions of ['0', MANAGE_GUILD]) {
      const result = await fake.interact({ ...payload, actor: { permissions } });
      const { deferred, data } = await answerOf(fake, result);
      const type = deferred ? InteractionResponseType.ChannelMessageWithSource : result.callback.type;
      seen.push({ ...(data as { content?: string; flags?: number; choices?: unknown[] }), type });
    }
    return seen;
  }

  it(`answers each of ${MALFORMED.length} hand-written malformed payloads with a clear ephemeral refusal`, { timeout: 120_000 }, async () => {
    const results: string[] = [];
    for (const [name, payload] of MALFORMED) {
      for (const answer of await tryBoth(payload)) {
        if (answer.type === InteractionResponseType.ApplicationCommandAutocompleteResult) {
          expect(answer.choices, name).toEqual([]);
          continue;
        }
        expect(answer.type, name).toBe(InteractionResponseType.ChannelMessageWithSource);
        expect(answer.flags, name).toBe(MessageFlags.Ephemeral);
        expect(answer.content, name).toMatch(REFUSAL);
        results.push(answer.content!);
      }
    }
    expect(results.filter((content) => content.includes(MALFORMED_OPTIONS)).length).toBeGreaterThan(20);
    expect(logs.join('')).not.toContain('command failed');
    expect(uncaught).toEqual([]);
    // Discord answered every one, and the bot still works.
    const { callback } = await fake.interact(chatInput('week', [{ name: 'number', type: T.Integer, value: 2 }]));
    expect((dataOf(callback) as { embeds: { title: string }[] }).embeds[0]!.title).toMatch(/^Week 2/);
  });

  it('answers generated odd option fields for three command shapes: an answer or a refusal, never a crash', { timeout: 180_000 }, async () => {
    const cases = generated();
    expect(cases).toHaveLength(SHAPES.length * FIELDS.length * (ODD_VALUES.length + 1));
    let refused = 0;
    for (const [name, payload] of cases) {
      for (const answer of await tryBoth(payload)) {
        expect(answer.type, name).toBe(InteractionResponseType.ChannelMessageWithSource);
        const content = answer.content ?? '';
        expect(content, name).not.toMatch(/Something went wrong/);
        // Answered (an embed, public as configured) or refused (ephemeral, saying what to do).
        if (content !== '') {
          expect(answer.flags, name).toBe(MessageFlags.Ephemeral);
          expect(content, name).toMatch(REFUSAL);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(cases.length);
    expect(logs.join('')).not.toContain('command failed');
    expect(uncaught).toEqual([]);
  });
});

/** Interaction types other than a slash command (2) or its autocomplete (4), as Discord or a garbled payload may send them. */
const OTHER_TYPES: readonly unknown[] = [1, 3, 5, 0, 6, 99, -1, 2.5, '2', '3', null, true, {}];
/** What their `data` may be: nothing, garbage, or what a button, a select menu or a modal sends. */
const OTHER_DATA: readonly unknown[] = [
  undefined,
  null,
  {},
  'x',
  { custom_id: 'x', component_type: 2 },
  { custom_id: 'x', component_type: 3, values: ['a'] },
  { custom_id: 'x', component_type: 99 },
  { custom_id: 'x', components: [] },
  { custom_id: 'x', components: [{ type: 1, components: [{ type: 4, custom_id: 'y', value: null }] }] },
];
/** A message a component interaction may carry (a click on a message's button). */
const CLICKED = {
  id: '1577000000000000000',
  channel_id: '1100000000000000002',
  author: { id: '1', username: 'x', discriminator: '0', avatar: null },
  content: '',
  timestamp: '2027-01-04T10:00:00.000Z',
  edited_timestamp: null,
  tts: false,
  mention_everyone: false,
  mentions: [],
  mention_roles: [],
  attachments: [],
  embeds: [],
  pinned: false,
  type: 0,
};

/** Interactions the bot does not handle: each is dropped before discord.js builds it, never answered. */
function unhandledInteractions(): [string, InteractionInput][] {
  const cases: [string, InteractionInput][] = [];
  for (const type of OTHER_TYPES) {
    for (const data of OTHER_DATA) {
      const name = `type ${JSON.stringify(type)} data ${JSON.stringify(data) ?? 'missing'}`;
      cases.push([name, { type: type as InteractionType, ...(data !== undefined && { data: data as never }) }]);
      if (type === 3) cases.push([`${name} with a message`, { type: 3, ...(data !== undefined && { data: data as never }), message: CLICKED } as never]);
    }
  }
  // Application commands of other kinds: context menus and the activity entry point, registered by no one here.
  for (const commandType of [2, 3, 4, 99]) {
    for (const type of [InteractionType.ApplicationCommand, InteractionType.ApplicationCommandAutocomplete]) {
      cases.push([`type ${type} command type ${commandType}`, input(type, { name: 'today', type: commandType, target_id: '1' })]);
      cases.push([`type ${type} command type ${commandType} resolved garbage`, input(type, { name: 'x', type: commandType, target_id: '1', resolved: { users: null, messages: 5 } })]);
    }
  }
  return cases;
}

/** Gateway events with data that is not what discord.js reads (Discord sends them to every bot; the fake relays any). */
const EVENTS = [
  'GUILD_CREATE', 'GUILD_UPDATE', 'GUILD_DELETE', 'CHANNEL_CREATE', 'CHANNEL_UPDATE', 'CHANNEL_DELETE', 'CHANNEL_PINS_UPDATE',
  'GUILD_ROLE_CREATE', 'GUILD_ROLE_UPDATE', 'GUILD_ROLE_DELETE', 'THREAD_CREATE', 'THREAD_UPDATE', 'THREAD_DELETE',
  'THREAD_LIST_SYNC', 'THREAD_MEMBERS_UPDATE', 'GUILD_MEMBER_ADD', 'GUILD_MEMBER_UPDATE', 'GUILD_MEMBER_REMOVE',
  'GUILD_MEMBERS_CHUNK', 'APPLICATION_COMMAND_PERMISSIONS_UPDATE', 'MESSAGE_CREATE', 'MESSAGE_UPDATE', 'MESSAGE_DELETE',
  'MESSAGE_REACTION_ADD', 'USER_UPDATE', 'ENTITLEMENT_CREATE', 'GUILD_EMOJIS_UPDATE', 'GUILD_STICKERS_UPDATE',
  'STAGE_INSTANCE_CREATE', 'VOICE_STATE_UPDATE', 'PRESENCE_UPDATE', 'TYPING_START', 'WEBHOOKS_UPDATE',
  'GUILD_INTEGRATIONS_UPDATE', 'INVITE_CREATE', 'GUILD_SCHEDULED_EVENT_CREATE', 'GUILD_SOUNDBOARD_SOUND_CREATE',
  'SOUNDBOARD_SOUNDS', 'AUTO_MODERATION_RULE_CREATE', 'GUILD_AUDIT_LOG_ENTRY_CREATE', 'GUILD_BAN_ADD', 'RESUMED',
  'SOME_EVENT_DISCORD_ADDS_LATER',
];
const EVENT_DATA: readonly unknown[] = [null, [], 'x', 42, {}, { id: '5' }, { guild_id: '1100000000000000001' }, { id: '5', guild_id: '1100000000000000001' }];

describe('gateway packets the bot does not handle (real discord.js, fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let logs: string[];
  const uncaught: unknown[] = [];
  const collect = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', collect);
    process.on('unhandledRejection', collect);
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    const captured = captureLogger('debug');
    logs = captured.lines;
    bot = new DiscordBot({
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral', guildId: fake.guildId },
      store: new MemoryStore(),
      logger: captured.logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
    });
    await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    process.off('uncaughtException', collect);
    process.off('unhandledRejection', collect);
  });

  /** Answered means every packet dispatched before it was handled: one socket, in order. */
  const stillAnswers = async () => {
    const { callback } = await fake.interact(chatInput('help'));
    expect((dataOf(callback) as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Demo Course: commands');
  };

  it('drops every interaction it does not handle before discord.js builds it: unanswered, logged once per kind at warn', { timeout: 60_000 }, async () => {
    const cases = unhandledInteractions();
    const ids = cases.map(([, payload]) => fake.dispatchInteraction(payload).id);
    const notObjects = [null, [], 'x', 42, true];
    for (const payload of notObjects) fake.dispatch('INTERACTION_CREATE', payload);
    await stillAnswers();
    expect(uncaught).toEqual([]);
    for (const id of ids) expect(fake.callbacks.has(id), id).toBe(false);
    const dropped = logs.filter((line) => line.includes('interaction of a kind the bot does not handle: dropped'));
    expect(dropped).toHaveLength(cases.length + notObjects.length);
    const kinds = dropped.map((line) => (JSON.parse(line) as { kind: string }).kind);
    const warned = dropped.filter((line) => line.includes('"level":40'));
    expect(warned).toHaveLength(new Set(kinds).size);
    expect(kinds).toEqual(expect.arrayContaining(['message component', 'modal submit', 'ping', 'user context menu', 'message context menu', 'not an interaction (null)']));
    expect(logs.join('')).not.toContain('could not answer');
  });

  it(`survives each of ${EVENTS.length * EVENT_DATA.length} gateway events with data discord.js cannot read, and answers after`, { timeout: 60_000 }, async () => {
    for (const event of EVENTS) for (const data of EVENT_DATA) fake.dispatch(event, data);
    await stillAnswers();
    expect(uncaught).toEqual([]);
    const screened = logs.filter((line) => line.includes('malformed gateway event from Discord (no data object): dropped'));
    const caught = logs.filter((line) => line.includes('discord.js could not handle a gateway event from Discord: dropped'));
    // null, [], 'x' and 42 for every event but RESUMED (which carries no data).
    expect(screened).toHaveLength((EVENTS.length - 1) * 4);
    expect(caught.length).toBeGreaterThan(0);
    // Still a member of its guild, with its roles: the events it needs were not dropped wholesale.
    expect(bot.client.guilds.cache.has(fake.guildId)).toBe(true);
    const { callback } = await fake.interact(chatInput('today'));
    expect((dataOf(callback) as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Week 1 · Monday 4 January 2027');
  });
});

describe('optionValues', () => {
  const week = commands.find((command) => command.name === 'week')!;
  const option = (value: unknown, name = 'number') => ({ name, type: T.Integer, value }) as never;

  it('passes texts and numbers on, by name', () => {
    expect(optionValues(week, [option(2)])).toEqual({ number: 2 });
    expect(optionValues(week, [option('2')])).toEqual({ number: '2' });
    expect(optionValues(week, [])).toEqual({});
  });

  it('refuses any other value, and an option given twice, as the user’s to retry', () => {
    for (const value of [null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => optionValues(week, [option(value)]), JSON.stringify(value)).toThrow(UserFacingError);
      expect(() => optionValues(week, [option(value)])).toThrow(`/week number: ${MALFORMED_OPTIONS}`);
    }
    expect(() => optionValues(week, [option(2), option(3)])).toThrow('/week number arrived twice. Please run the command again.');
  });

  it('keeps an option named __proto__ as a plain field', () => {
    const values = optionValues(week, [option(2, '__proto__')]);
    expect(Object.keys(values)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
  });
});

describe('interactionProblem', () => {
  const base = {
    id: '1',
    token: 'abc',
    type: 2,
    member: { user: { id: '2' }, permissions: '0', roles: [] },
    entitlements: [],
    authorizing_integration_owners: { 0: '3' },
    data: { id: '4', name: 'week', type: 1, options: [{ name: 'number', type: 4, value: 2 }] },
  };

  it('accepts a well-formed interaction, and fields discord.js does not read in any shape', () => {
    expect(interactionProblem(base)).toBeUndefined();
    expect(interactionProblem({ ...base, something_new: { deeply: [null] } })).toBeUndefined();
    expect(interactionProblem({ ...base, type: 3, data: { custom_id: 'x', component_type: 2 } })).toBeUndefined();
  });

  it('names what discord.js would throw on', () => {
    expect(interactionProblem({ ...base, data: { ...base.data, options: [{ name: 'number', type: 4, value: null }] } })).toMatch(/^data\.options\.0\.value: /);
    expect(interactionProblem({ ...base, member: { ...base.member, permissions: 'all' } })).toBe('member.permissions: permissions are not a number');
    expect(interactionProblem({ ...base, entitlements: undefined })).toMatch(/^entitlements: /);
    expect(interactionProblem({ ...base, member: undefined })).toBe('interaction: no user or member');
    expect(interactionProblem({ ...base, data: undefined })).toBe('interaction: a command interaction without a command name and type');
    expect(interactionProblem(null)).toMatch(/^interaction: /);
  });
});

describe('interactionKind', () => {
  it('takes slash commands and their autocomplete, including malformed ones (refused later with a message)', () => {
    expect(interactionKind({ type: 2, data: { name: 'today', type: 1 } })).toEqual({ kind: 'command' });
    expect(interactionKind({ type: 2 })).toEqual({ kind: 'command' });
    expect(interactionKind({ type: 2, data: { type: 'x' } })).toEqual({ kind: 'command' });
    expect(interactionKind({ type: 4, data: { name: 'week', type: 1 } })).toEqual({ kind: 'autocomplete' });
  });

  it('names everything else, for the log', () => {
    expect(interactionKind({ type: 3, data: { custom_id: 'x' } })).toEqual({ kind: 'unhandled', what: 'message component' });
    expect(interactionKind({ type: 5 })).toEqual({ kind: 'unhandled', what: 'modal submit' });
    expect(interactionKind({ type: 1 })).toEqual({ kind: 'unhandled', what: 'ping' });
    expect(interactionKind({ type: 2, data: { type: 2 } })).toEqual({ kind: 'unhandled', what: 'user context menu' });
    expect(interactionKind({ type: 4, data: { type: 3 } })).toEqual({ kind: 'unhandled', what: 'message context menu' });
    expect(interactionKind({ type: 2, data: { type: 77 } })).toEqual({ kind: 'unhandled', what: 'application command type 77' });
    expect(interactionKind({ type: 42 })).toEqual({ kind: 'unhandled', what: 'interaction type 42' });
    expect(interactionKind({ type: '2' })).toEqual({ kind: 'unhandled', what: 'interaction type "2"' });
    expect(interactionKind({})).toEqual({ kind: 'unhandled', what: 'interaction type missing' });
    expect(interactionKind(null)).toEqual({ kind: 'unhandled', what: 'not an interaction (null)' });
    expect(interactionKind([])).toEqual({ kind: 'unhandled', what: 'not an interaction (an array)' });
    expect(interactionKind('x')).toEqual({ kind: 'unhandled', what: 'not an interaction (string)' });
  });
});
