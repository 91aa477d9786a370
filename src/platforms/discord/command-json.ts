import { createHash } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { type Command, type OptionDefinition, groupDescription } from '../../core/commands/command.js';
import { COURSE_OPTION } from '../../core/routing.js';

export type CommandJson = RESTPostAPIChatInputApplicationCommandsJSONBody;

const OPTION_TYPES = {
  string: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  // Discord has no date type: a string, checked when the command runs.
  date: ApplicationCommandOptionType.String,
} as const;

function optionJson(option: OptionDefinition) {
  return {
    type: OPTION_TYPES[option.type],
    name: option.name,
    description: option.description,
    required: option.required ?? false,
    ...(option.suggest && { autocomplete: true }),
    ...(option.type === 'integer' && option.min !== undefined && { min_value: option.min }),
    ...(option.type === 'integer' && option.max !== undefined && { max_value: option.max }),
    ...(option.type === 'date' && { min_length: 10, max_length: 10 }),
  };
}

/** How the definitions are made: with the `course` option on every command where the deployment has several courses. */
export interface CommandJsonOptions {
  /** Add the optional `course` option (autocompleted) to every command and subcommand. */
  readonly courseOption?: boolean;
}

/** The `course` option: optional, last, autocompleted from the deployment's courses. */
const COURSE_OPTION_JSON = {
  type: ApplicationCommandOptionType.String,
  name: COURSE_OPTION,
  description: 'The course this is for, where the channel does not decide it',
  required: false,
  autocomplete: true,
  max_length: 100,
} as const;

/** A command's options as Discord takes them, with the `course` option last where asked for. */
function optionsJson(command: Command, how: CommandJsonOptions) {
  const options = command.options.map(optionJson);
  return how.courseOption ? [...options, COURSE_OPTION_JSON] : options;
}

function permissions(commands: readonly Command[]): string | null {
  // Instructor commands are hidden from members without Manage Server unless a server admin allows more.
  return commands.some((command) => command.audience === 'instructors') ? PermissionFlagsBits.ManageGuild.toString() : null;
}

/** The Discord definition of one command: a chat-input command usable in servers. */
export function commandJson(command: Command, how: CommandJsonOptions = {}): CommandJson {
  return {
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: command.description,
    options: optionsJson(command, how),
    contexts: [0],
    default_member_permissions: permissions([command]),
  };
}

/** A group (`/course`) as one Discord command whose options are its subcommands. */
function groupJson(name: string, members: readonly Command[], how: CommandJsonOptions): CommandJson {
  return {
    type: ApplicationCommandType.ChatInput,
    name,
    description: groupDescription(name),
    options: members.map((member) => ({
      type: ApplicationCommandOptionType.Subcommand,
      name: member.name,
      description: member.description,
      options: optionsJson(member, how),
    })),
    contexts: [0],
    default_member_permissions: permissions(members),
  };
}

/**
 * Every command as Discord registers it, groups folded into one command each, in registry order; with
 * `courseOption` (a deployment of several courses), each takes the `course` option too. Without it the
 * definitions (and so their hash) are those of a single-course deployment.
 */
export function commandsJson(commands: readonly Command[], how: CommandJsonOptions = {}): CommandJson[] {
  const body: CommandJson[] = [];
  const groups = new Set<string>();
  for (const command of commands) {
    if (command.group === undefined) body.push(commandJson(command, how));
    else if (!groups.has(command.group)) {
      groups.add(command.group);
      body.push(groupJson(command.group, commands.filter((member) => member.group === command.group), how));
    }
  }
  return body;
}

/** A stable fingerprint of what would be registered where: the same definitions give the same hash. */
export function commandsHash(body: readonly CommandJson[], scope: string): string {
  return createHash('sha256').update(JSON.stringify({ scope, body })).digest('hex');
}

const NAME = /^[-_\p{Ll}\p{Lm}\p{Lo}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/**
 * Every way the definitions break Discord's rules for application commands (names, lengths, counts,
 * total size); empty when Discord would accept them.
 */
export function definitionProblems(body: readonly CommandJson[]): string[] {
  const problems: string[] = [];
  if (body.length > 100) problems.push(`${body.length} commands: Discord allows 100 chat-input commands`);
  const names = new Set<string>();
  for (const command of body) {
    const where = `/${command.name}`;
    if (!NAME.test(command.name) || command.name !== command.name.toLowerCase()) {
      problems.push(`${where}: name must be 1–32 lowercase letters, digits, - or _`);
    }
    if (names.has(command.name)) problems.push(`${where}: name is used twice`);
    names.add(command.name);
    if (command.description.length < 1 || command.description.length > 100) {
      problems.push(`${where}: description must be 1–100 characters (has ${command.description.length})`);
    }
    const total = command.name.length + command.description.length + optionProblems(where, command.options ?? [], problems);
    if (total > 8000) problems.push(`${where}: ${total} characters of names, descriptions and choices, at most 8000`);
  }
  return problems;
}

type OptionJson = NonNullable<CommandJson['options']>[number];

/** Checks a list of options (a command's, or a subcommand's) and returns the characters they count. */
function optionProblems(where: string, options: readonly OptionJson[], problems: string[]): number {
  if (options.length > 25) problems.push(`${where}: ${options.length} options, at most 25`);
  let total = 0;
  let optionalSeen = false;
  const optionNames = new Set<string>();
  for (const option of options) {
    const at = `${where} ${option.name}`;
    total += option.name.length + option.description.length;
    if (!NAME.test(option.name) || option.name !== option.name.toLowerCase()) {
      problems.push(`${at}: option name must be 1–32 lowercase letters, digits, - or _`);
    }
    if (optionNames.has(option.name)) problems.push(`${at}: option name is used twice`);
    optionNames.add(option.name);
    if (option.description.length < 1 || option.description.length > 100) {
      problems.push(`${at}: description must be 1–100 characters`);
    }
    if (option.type === ApplicationCommandOptionType.Subcommand) {
      total += optionProblems(at, option.options ?? [], problems);
      continue;
    }
    const required = 'required' in option && option.required === true;
    if (required && optionalSeen) problems.push(`${at}: required options must come before optional ones`);
    if (!required) optionalSeen = true;
    const choices = 'choices' in option && Array.isArray(option.choices) ? option.choices : [];
    if (choices.length > 25) problems.push(`${at}: ${choices.length} choices, at most 25`);
    if (choices.length > 0 && 'autocomplete' in option && option.autocomplete) {
      problems.push(`${at}: an option cannot have both choices and autocomplete`);
    }
    for (const choice of choices as { name: string; value: unknown }[]) {
      total += choice.name.length + String(choice.value).length;
      if (choice.name.length < 1 || choice.name.length > 100) problems.push(`${at}: choice name must be 1–100 characters`);
    }
  }
  return total;
}
