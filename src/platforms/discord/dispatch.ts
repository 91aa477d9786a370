import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  DiscordAPIError,
  type Interaction,
  type InteractionReplyOptions,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Clock } from '../../core/clock.js';
import { AnswerCache } from '../../core/commands/answers.js';
import { type Choice, type Command, type OptionDefinition, answeredAnywhere, commandPath } from '../../core/commands/command.js';
import {
  type Asker,
  type CommandRequest,
  Invoker,
  PreparedInvocation,
  type ScopeResolver,
  oneCourseScope,
} from '../../core/commands/invoke.js';
import { UserFacingError } from '../../core/errors.js';
import { COURSE_OPTION, type RoutedCourse, suggestCourses } from '../../core/routing.js';
import type { Course } from '../../core/course/model.js';
import type { Message } from '../../core/messages.js';
import type { ScheduleAdmin } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import { type Logger, commandLog } from '../../log.js';
import type { CommandObserver, CommandOutcome, DropObserver } from '../../observability/metrics.js';
import { commandOutcome, errorRef, explainError } from '../respond.js';
import { SHED_AFTER_MS } from './interaction-age.js';
import { type DiscordPayload, renderMessage, renderText } from './render.js';

export interface DispatchDeps {
  /** The course as it is now. */
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether answers to students are seen by them alone (default) or by the channel. */
  readonly replyVisibility: 'ephemeral' | 'public';
  /** Members with this role count as instructors (as do those with Manage Server). */
  readonly instructorRoleId?: string;
  /** The instructor actions behind `/course`. */
  readonly admin?: ScheduleAdmin;
  /** Told about every command answered (metrics). */
  readonly observe?: CommandObserver;
  /** Told about every answer Discord refused because the interaction was gone (metrics). */
  readonly dropped?: DropObserver;
  /** Real time, ms since 1970, for interactions' ages (default `Date.now`; the course clock may be shifted). */
  readonly now?: () => number;
  /** Students' reminder settings (`/remind`). */
  readonly reminders?: ReminderSettings;
  /**
   * Chooses each request's course (by where it was asked); without one, every request is for `course`, its
   * instructors those with `instructorRoleId` or Manage Server.
   */
  readonly scope?: ScopeResolver;
  /**
   * The courses the deployment serves, as they are now: the `course` option's autocomplete suggests from
   * them, and `/help` lists them when there are several. Absent for a single course.
   */
  readonly courses?: () => readonly RoutedCourse[];
}

/** Student answers shared by every Discord dispatcher of the process, per course and minute. */
const answers = new AnswerCache();

/** A cached answer is rendered once: a burst of students asking the same thing at 09:00 costs one render. */
const rendered = new WeakMap<Message, DiscordPayload>();

function render(message: Message): DiscordPayload {
  let payload = rendered.get(message);
  if (!payload) {
    payload = renderMessage(message);
    rendered.set(message, payload);
  }
  return payload;
}

/** What a user sees when Discord sent options the bot cannot read. */
export const MALFORMED_OPTIONS = 'The options of this command arrived garbled, so nothing was done. Please run the command again.';

/** Discord shows at most 25 autocomplete choices; names and string values are 1–100 characters. */
const MAX_CHOICES = 25;
const MAX_CHOICE_TEXT = 100;

/** Discord's error codes for an interaction that can no longer be answered. */
const UNKNOWN_INTERACTION = 10062;
const ALREADY_ACKNOWLEDGED = 40060;

/**
 * Why Discord refused to take an answer because the interaction is gone: `expired` (10062 Unknown
 * interaction: its 3 s, or its token's 15 minutes, are over) or `acknowledged` (40060: answered already, by
 * another instance of the bot or an earlier try). Undefined for any other error.
 */
export function goneReason(error: unknown): 'expired' | 'acknowledged' | undefined {
  if (!(error instanceof DiscordAPIError)) return undefined;
  if (error.code === UNKNOWN_INTERACTION) return 'expired';
  return error.code === ALREADY_ACKNOWLEDGED ? 'acknowledged' : undefined;
}

/**
 * An answer Discord refused because the interaction is gone: no fallback (it would be refused too) and no
 * stack, one line and a count. 10062 for an interaction already older than `SHED_AFTER_MS` is the bot
 * being behind (counted, and logged at debug); a younger one is worth a warning. 40060 to an autocomplete or
 * a read-only command is another instance of the bot answering first (those are not claimed in the state
 * store: see `Command.readOnly`), logged at debug; to any other command it is worth a warning.
 */
function gone(interaction: Interaction, reason: 'expired' | 'acknowledged', deps: DispatchDeps): void {
  const ageMs = (deps.now ?? Date.now)() - interaction.createdTimestamp;
  const expected =
    reason === 'expired'
      ? ageMs > SHED_AFTER_MS
      : answeredAnywhere(deps.commands, { autocomplete: interaction.isAutocomplete(), name: interaction.isCommand() ? interaction.commandName : undefined });
  const fields = { interaction: interaction.id, ageMs, ...(interaction.isCommand() && { command: interaction.commandName }) };
  deps.logger[expected ? 'debug' : 'warn'](
    fields,
    reason === 'expired'
      ? 'Discord no longer takes an answer to this interaction (10062 Unknown interaction: answered too late)'
      : 'Discord says this interaction was answered already (40060: by another instance of the bot, or an earlier try): not answered again',
  );
  deps.dropped?.('discord', reason);
}

/** The one place that maps an interaction to a command and its reply. */
export async function handleInteraction(interaction: Interaction, deps: DispatchDeps): Promise<void> {
  if (interaction.isAutocomplete()) {
    try {
      await suggest(interaction, deps);
    } catch (error) {
      const reason = goneReason(error);
      if (!reason) throw error;
      gone(interaction, reason, deps);
    }
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const started = performance.now();
  let outcome: CommandOutcome = 'error';
  try {
    outcome = await answer(interaction, deps);
  } catch (error) {
    const reason = goneReason(error);
    if (!reason) throw error;
    outcome = 'unanswered';
    gone(interaction, reason, deps);
  } finally {
    const sub = interaction.options.getSubcommand(false);
    const command = sub ? `${interaction.commandName} ${sub}` : interaction.commandName;
    deps.observe?.({ platform: 'discord', command, outcome, seconds: (performance.now() - started) / 1000 });
  }
}

/** The one course's scope, for dispatchers given no resolver: its instructors are by role, or Manage Server. */
function singleCourse(deps: DispatchDeps): ScopeResolver {
  return (request) =>
    oneCourseScope(request, {
      course: deps.course(),
      ...(deps.admin && { admin: deps.admin }),
      ...(deps.reminders && { reminders: deps.reminders }),
      instructor: () => instructorOf(request.asker, deps.instructorRoleId),
    });
}

function invoker(deps: DispatchDeps): Invoker {
  return new Invoker({
    commands: deps.commands,
    clock: deps.clock,
    scope: deps.scope ?? singleCourse(deps),
    explain: explainError,
    answers,
    ref: errorRef,
    ...(deps.courses && { courses: deps.courses }),
  });
}

/** Whether someone is an instructor of a course whose instructors have `instructorRoleId`, or Manage Server. */
export function instructorOf(asker: Asker, instructorRoleId: string | undefined): boolean {
  if (asker.manageGuild) return true;
  return instructorRoleId !== undefined && (asker.roleIds ?? []).includes(instructorRoleId);
}

/** Who asks: the user, and (in a server) their roles and whether they may manage it. */
export function askerOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction): Asker {
  const roles = interaction.member?.roles;
  return {
    actor: { platform: 'discord', id: interaction.user.id, name: interaction.user.username },
    manageGuild: Boolean(interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)),
    roleIds: !roles ? [] : Array.isArray(roles) ? roles : [...roles.cache.keys()],
  };
}

/** Where the interaction was asked. */
function placeOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction) {
  return {
    platform: 'discord',
    ...(interaction.guildId && { guildId: interaction.guildId }),
    ...(interaction.channelId && { channelId: interaction.channelId }),
  } as const;
}

/** Where the interaction was asked, who asks, and the course they named (the `course` option). */
function requestOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction, course?: string): CommandRequest {
  return { place: placeOf(interaction), asker: askerOf(interaction), ...(course !== undefined && { course }) };
}

/**
 * The `course` option taken out of the options Discord sent: it names the request's course, it is no
 * argument of the command. Only a text value counts; anything else stays, and is refused as garbled.
 */
export function takeCourseOption(given: readonly CommandInteractionOption[]): {
  readonly course?: string;
  readonly rest: readonly CommandInteractionOption[];
} {
  const isCourse = (option: CommandInteractionOption) => option.name === COURSE_OPTION && typeof option.value === 'string';
  const found = given.filter(isCourse);
  if (found.length !== 1) return { rest: given };
  return { course: found[0]!.value as string, rest: given.filter((option) => !isCourse(option)) };
}

/**
 * The path of the command an interaction names: `['today']`, or a group's subcommand such as
 * `['course', 'edit']`. The bot registers no subcommand groups: one in the interaction makes a path it does not know.
 */
function pathOf(interaction: ChatInputCommandInteraction | AutocompleteInteraction): string[] {
  const group = interaction.options.getSubcommandGroup(false);
  const subcommand = interaction.options.getSubcommand(false);
  return [interaction.commandName, ...(group === null ? [] : [group]), ...(subcommand === null ? [] : [subcommand])];
}

/** Whether the member may use instructor commands: the configured role, or Manage Server. */
export function isInstructor(interaction: ChatInputCommandInteraction, instructorRoleId: string | undefined): boolean {
  return instructorOf(askerOf(interaction), instructorRoleId);
}

/**
 * The option values as `resolveArgs` takes them: each option once, with a text or a number. Discord
 * sends nothing else for the options this bot registers; anything else is refused, never half-read.
 */
export function optionValues(command: Command, given: readonly CommandInteractionOption[]): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const option of given) {
    const { value } = option as { value?: unknown };
    if ((typeof value !== 'string' && typeof value !== 'number') || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new UserFacingError('bad-option', `/${commandPath(command)} ${option.name}: ${MALFORMED_OPTIONS}`);
    }
    if (Object.hasOwn(values, option.name)) {
      throw new UserFacingError('bad-option', `/${commandPath(command)} ${option.name} arrived twice. Please run the command again.`);
    }
    Object.defineProperty(values, option.name, { value, enumerable: true });
  }
  return values;
}

async function answer(interaction: ChatInputCommandInteraction, deps: DispatchDeps): Promise<CommandOutcome> {
  const subcommand = interaction.options.getSubcommand(false);
  const fields = {
    interaction: interaction.id,
    command: subcommand ? `${interaction.commandName} ${subcommand}` : interaction.commandName,
    user: interaction.user.id,
  };
  const log = commandLog(deps.logger, fields);
  const { course, rest: given } = takeCourseOption(subcommand ? (interaction.options.data[0]?.options ?? []) : interaction.options.data);
  const prepared = invoker(deps).prepare(
    requestOf(interaction, course),
    { path: pathOf(interaction), options: (command) => optionValues(command, given) },
    log,
  );
  if (!(prepared instanceof PreparedInvocation)) {
    await interaction.reply({ ...renderText(prepared.ok ? prepared.message.text : prepared.text), flags: MessageFlags.Ephemeral });
    return commandOutcome(prepared);
  }
  // Hidden by default permissions too, but a server admin can change those: checked here as well.
  const refused = await prepared.admit();
  if (refused) {
    await interaction.reply({ ...renderText(refused.ok ? refused.message.text : refused.text), flags: MessageFlags.Ephemeral });
    return commandOutcome(refused);
  }
  const ephemeral = deps.replyVisibility === 'ephemeral' || !prepared.shareable;
  // Discord: the interaction token must be answered within 3 s; a slow command acknowledges first,
  // ephemerally, so that an error never ends up public. A public answer is then a follow-up. Every instructor
  // command counts as slow: it writes to the state database, which on PostgreSQL may wait seconds for another
  // host's lock, and its answer ("Saved …") must still reach the instructor once the change is stored.
  const deferred = prepared.slow || prepared.instructorsOnly;
  if (deferred) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const outcome = await prepared.run();
  if (outcome.ok) {
    await send(interaction, render(outcome.message), { ephemeral, deferred }, deps, fields);
    deps.logger.debug(fields, 'answered');
  } else {
    await send(interaction, renderText(outcome.text), { ephemeral: true, deferred }, deps, fields);
  }
  return commandOutcome(outcome);
}

/**
 * Delivers an answer. When Discord refuses it (a 400 on the rich payload), the student still gets a
 * short text with a reference instead of "The application did not respond".
 */
async function send(
  interaction: ChatInputCommandInteraction,
  payload: DiscordPayload,
  how: { readonly ephemeral: boolean; readonly deferred: boolean },
  deps: DispatchDeps,
  fields: Record<string, unknown>,
): Promise<void> {
  const deliver = async (body: DiscordPayload, ephemeral: boolean) => {
    if (!how.deferred) {
      await interaction.reply({ ...body, ...(ephemeral && { flags: MessageFlags.Ephemeral }) } as InteractionReplyOptions);
    } else if (ephemeral) {
      await interaction.editReply(body);
    } else {
      await interaction.followUp(body);
      await interaction.deleteReply();
    }
  };
  try {
    await deliver(payload, how.ephemeral);
  } catch (error) {
    // Gone: a fallback would be refused too (and costs a request while the bot is behind).
    if (goneReason(error)) throw error;
    const ref = errorRef();
    deps.logger.error({ ...fields, err: error, ref }, 'Discord refused the answer');
    const fallback = renderText(`Something went wrong (ref ${ref}). Please tell an instructor.`);
    if (how.deferred) await interaction.editReply(fallback);
    else if (!interaction.replied) await interaction.reply({ ...fallback, flags: MessageFlags.Ephemeral } as InteractionReplyOptions);
  }
}

/** Choices Discord accepts for the option: values of the option's type, texts of 1–100 characters. */
export function validChoices(option: OptionDefinition, choices: readonly Choice[]): Choice[] {
  return choices
    .filter((choice) =>
      option.type === 'integer'
        ? typeof choice.value === 'number' && Number.isInteger(choice.value)
        : typeof choice.value === 'string' && choice.value.length >= 1 && choice.value.length <= MAX_CHOICE_TEXT,
    )
    .filter((choice) => choice.name.trim().length > 0)
    .slice(0, MAX_CHOICES)
    .map((choice) => ({
      name: choice.name.length > MAX_CHOICE_TEXT ? `${[...choice.name].slice(0, MAX_CHOICE_TEXT - 1).join('')}…` : choice.name,
      value: choice.value,
    }));
}

/** The `course` option as the choices' check sees it: text. */
const COURSE_CHOICE: OptionDefinition = { name: COURSE_OPTION, description: 'course', type: 'string' };

async function suggest(interaction: AutocompleteInteraction, deps: DispatchDeps): Promise<void> {
  let choices: Choice[] = [];
  const log = commandLog(deps.logger, { command: interaction.commandName });
  try {
    const focused = interaction.options.getFocused(true);
    if (focused.name === COURSE_OPTION) {
      // The courses to pick from: where the place decides the course, that one; else the place's courses.
      if (deps.courses) choices = validChoices(COURSE_CHOICE, suggestCourses(deps.courses(), placeOf(interaction), String(focused.value)));
    } else {
      // Another option's suggestions come from the course the request routes to, the course option included.
      const subcommand = interaction.options.getSubcommand(false);
      const { course } = takeCourseOption(subcommand ? (interaction.options.data[0]?.options ?? []) : interaction.options.data);
      const found = invoker(deps).suggest(requestOf(interaction, course), pathOf(interaction), focused.name, String(focused.value), log);
      if (found) choices = validChoices(found.option, found.choices);
    }
  } catch (error) {
    log.error({ err: error }, 'autocomplete failed');
  }
  await interaction.respond(choices);
}
