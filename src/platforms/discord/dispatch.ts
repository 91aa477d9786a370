import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  type Interaction,
  type InteractionReplyOptions,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Clock } from '../../core/clock.js';
import { type Choice, type Command, type CommandContext, type OptionDefinition, commandPath } from '../../core/commands/command.js';
import { UserFacingError } from '../../core/errors.js';
import { resolveArgs } from '../../core/commands/parse.js';
import type { Course } from '../../core/course/model.js';
import type { Message } from '../../core/messages.js';
import type { Actor, ScheduleAdmin } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import type { Logger } from '../../log.js';
import type { CommandObserver, CommandOutcome } from '../../observability/metrics.js';
import { errorRef, respond, respondLater } from '../respond.js';
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
  /** Students' reminder settings (`/remind`). */
  readonly reminders?: ReminderSettings;
}

/**
 * Rendered answers of student commands, per course and minute. Their answers depend only on the course
 * and the time to the minute (dates, and `dayStart` as HH:MM), so a burst of students asking the same
 * thing at 09:00 costs one render. Emptied whenever the minute or the course changes.
 */
class AnswerCache {
  #course: Course | undefined;
  #minute = -1;
  readonly #answers = new Map<string, DiscordPayload>();

  get(course: Course, now: Date, key: string, render: () => DiscordPayload): DiscordPayload {
    const minute = Math.floor(now.getTime() / 60_000);
    if (course !== this.#course || minute !== this.#minute) {
      this.#answers.clear();
      this.#course = course;
      this.#minute = minute;
    }
    let answer = this.#answers.get(key);
    if (!answer) {
      answer = render();
      if (this.#answers.size < 1_000) this.#answers.set(key, answer);
    }
    return answer;
  }
}

const answers = new AnswerCache();

/** What a user sees when Discord sent options the bot cannot read. */
export const MALFORMED_OPTIONS = 'The options of this command arrived garbled, so nothing was done. Please run the command again.';

/** Discord shows at most 25 autocomplete choices; names and string values are 1–100 characters. */
const MAX_CHOICES = 25;
const MAX_CHOICE_TEXT = 100;

/** The one place that maps an interaction to a command and its reply. */
export async function handleInteraction(interaction: Interaction, deps: DispatchDeps): Promise<void> {
  if (interaction.isAutocomplete()) return suggest(interaction, deps);
  if (!interaction.isChatInputCommand()) return;
  const started = performance.now();
  let outcome: CommandOutcome = 'error';
  try {
    outcome = await answer(interaction, deps);
  } finally {
    const sub = interaction.options.getSubcommand(false);
    const command = sub ? `${interaction.commandName} ${sub}` : interaction.commandName;
    deps.observe?.({ platform: 'discord', command, outcome, seconds: (performance.now() - started) / 1000 });
  }
}

function context(deps: DispatchDeps, actor?: Actor): CommandContext {
  return {
    course: deps.course(),
    now: deps.clock.now(),
    commands: deps.commands,
    ...(actor && { actor }),
    ...(deps.admin && { admin: deps.admin }),
    ...(deps.reminders && { reminders: deps.reminders }),
  };
}

/**
 * The command an interaction names: `/today`, or a group's subcommand such as `/course edit`. The bot
 * registers no subcommand groups: one in the interaction names nothing it knows.
 */
function findCommand(
  commands: readonly Command[],
  name: string,
  subcommand: string | null,
  group: string | null = null,
): Command | undefined {
  if (group !== null) return undefined;
  return commands.find((candidate) =>
    subcommand === null
      ? candidate.group === undefined && candidate.name === name
      : candidate.group === name && candidate.name === subcommand,
  );
}

/** Student commands answer at once (their answers are cached); a promise here is a bug. */
function now(answer: Message | Promise<Message>): Message {
  if (answer instanceof Promise) throw new Error('a student command answered asynchronously');
  return answer;
}

/** Whether the member may use instructor commands: the configured role, or Manage Server. */
export function isInstructor(interaction: ChatInputCommandInteraction, instructorRoleId: string | undefined): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  if (!instructorRoleId) return false;
  const roles = interaction.member?.roles;
  if (!roles) return false;
  return Array.isArray(roles) ? roles.includes(instructorRoleId) : roles.cache.has(instructorRoleId);
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
  const command = findCommand(deps.commands, interaction.commandName, subcommand, interaction.options.getSubcommandGroup(false));
  if (!command) {
    deps.logger.warn(fields, 'interaction for a command the bot does not know (stale registration?)');
    await interaction.reply({ ...renderText('This command is no longer available.'), flags: MessageFlags.Ephemeral });
    return 'user_error';
  }
  if (command.audience === 'instructors' && !isInstructor(interaction, deps.instructorRoleId)) {
    // Hidden by default permissions too, but a server admin can change those: check here as well.
    deps.logger.warn(fields, 'instructor command refused to a non-instructor');
    await interaction.reply({ ...renderText('Only instructors can use this command.'), flags: MessageFlags.Ephemeral });
    return 'refused';
  }
  const ephemeral = deps.replyVisibility === 'ephemeral' || command.audience === 'instructors' || Boolean(command.own);
  // Discord: the interaction token must be answered within 3 s; a slow command acknowledges first,
  // ephemerally, so that an error never ends up public. A public answer is then a follow-up.
  if (command.slow) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const given = subcommand ? (interaction.options.data[0]?.options ?? []) : interaction.options.data;
  const actor: Actor = { platform: 'discord', id: interaction.user.id, name: interaction.user.username };
  const instructor = command.personal ? isInstructor(interaction, deps.instructorRoleId) : undefined;
  const current = { ...context(deps, actor), ...(instructor !== undefined && { instructor }) };
  const outcome =
    command.own
      ? respond(() => renderMessage(now(command.run(current, resolveArgs(command, optionValues(command, given))))), deps.logger, fields)
      : command.audience === 'everyone'
      ? respond(
          () => {
            const raw = optionValues(command, given);
            const who = instructor === undefined ? '' : instructor ? ' instructor' : ' student';
            return answers.get(current.course, current.now, `${command.name}${who} ${JSON.stringify(raw)}`, () =>
              renderMessage(now(command.run(current, resolveArgs(command, raw)))),
            );
          },
          deps.logger,
          fields,
        )
      : await respondLater(
          async () => renderMessage(await command.run(current, resolveArgs(command, optionValues(command, given)))),
          deps.logger,
          fields,
        );
  if (outcome.ok) {
    await send(interaction, outcome.message, { ephemeral, deferred: Boolean(command.slow) }, deps, fields);
    deps.logger.debug(fields, 'answered');
    return 'ok';
  }
  if (outcome.kind === 'user') deps.logger.debug({ ...fields, code: outcome.code }, 'refused');
  await send(interaction, renderText(outcome.text), { ephemeral: true, deferred: Boolean(command.slow) }, deps, fields);
  return outcome.kind === 'user' ? 'user_error' : 'error';
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

async function suggest(interaction: AutocompleteInteraction, deps: DispatchDeps): Promise<void> {
  let choices: Choice[] = [];
  try {
    const focused = interaction.options.getFocused(true);
    const option = findCommand(
      deps.commands,
      interaction.commandName,
      interaction.options.getSubcommand(false),
      interaction.options.getSubcommandGroup(false),
    )?.options.find(
      (candidate) => candidate.name === focused.name,
    );
    if (option?.suggest) choices = validChoices(option, option.suggest(context(deps), String(focused.value)));
  } catch (error) {
    deps.logger.error({ err: error, command: interaction.commandName }, 'autocomplete failed');
  }
  await interaction.respond(choices);
}
