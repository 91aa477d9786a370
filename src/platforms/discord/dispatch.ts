import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionReplyOptions,
  MessageFlags,
} from 'discord.js';
import type { Clock } from '../../core/clock.js';
import type { Command, CommandContext } from '../../core/commands/command.js';
import { resolveArgs } from '../../core/commands/parse.js';
import type { Course } from '../../core/course/model.js';
import type { Logger } from '../../log.js';
import { respond } from '../respond.js';
import { cut, renderMessage, renderText } from './render.js';

export interface DispatchDeps {
  /** The course as it is now. */
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether answers to students are seen by them alone (default) or by the channel. */
  readonly replyVisibility: 'ephemeral' | 'public';
}

/** Discord shows at most 25 autocomplete choices of at most 100 characters. */
const MAX_CHOICES = 25;
const MAX_CHOICE_TEXT = 100;

/** The one place that maps an interaction to a command and its reply. */
export async function handleInteraction(interaction: Interaction, deps: DispatchDeps): Promise<void> {
  if (interaction.isAutocomplete()) return suggest(interaction, deps);
  if (interaction.isChatInputCommand()) return answer(interaction, deps);
}

function context(deps: DispatchDeps): CommandContext {
  return { course: deps.course(), now: deps.clock.now(), commands: deps.commands };
}

async function answer(interaction: ChatInputCommandInteraction, deps: DispatchDeps): Promise<void> {
  const fields = { interaction: interaction.id, command: interaction.commandName, user: interaction.user.id };
  const command = deps.commands.find((candidate) => candidate.name === interaction.commandName);
  const ephemeral = deps.replyVisibility === 'ephemeral';
  if (!command) {
    deps.logger.warn(fields, 'interaction for a command the bot does not know (stale registration?)');
    await interaction.reply({ ...renderText('This command is no longer available.'), flags: MessageFlags.Ephemeral });
    return;
  }
  // Discord: the interaction token must be answered within 3 s; a slow command acknowledges first.
  if (command.slow) await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const raw = Object.fromEntries(interaction.options.data.map((option) => [option.name, option.value as string | number]));
  const outcome = respond(() => command.run(context(deps), resolveArgs(command, raw)), deps.logger, fields);
  if (outcome.ok) {
    const payload = renderMessage(outcome.message);
    if (command.slow) await interaction.editReply(payload);
    else await interaction.reply({ ...payload, ...(ephemeral && { flags: MessageFlags.Ephemeral }) } as InteractionReplyOptions);
    deps.logger.debug(fields, 'answered');
    return;
  }
  if (outcome.kind === 'user') deps.logger.debug({ ...fields, code: outcome.code }, 'refused');
  const payload = renderText(outcome.text);
  if (command.slow) {
    await interaction.editReply(payload);
  } else {
    await interaction.reply({ ...payload, flags: MessageFlags.Ephemeral } as InteractionReplyOptions);
  }
}

async function suggest(interaction: AutocompleteInteraction, deps: DispatchDeps): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const option = deps.commands
    .find((command) => command.name === interaction.commandName)
    ?.options.find((candidate) => candidate.name === focused.name);
  let choices: { name: string; value: string | number }[] = [];
  try {
    choices = (option?.suggest?.(context(deps), String(focused.value)) ?? []).slice(0, MAX_CHOICES).map((choice) => ({
      name: cut(choice.name, MAX_CHOICE_TEXT),
      value: typeof choice.value === 'string' ? cut(choice.value, MAX_CHOICE_TEXT) : choice.value,
    }));
  } catch (error) {
    deps.logger.error({ err: error, command: interaction.commandName, option: focused.name }, 'autocomplete failed');
  }
  await interaction.respond(choices);
}
