import type { Course } from '../course/model.js';
import type { Message } from '../messages.js';
import type { Actor, ScheduleAdmin } from '../ports.js';
import type { ReminderSettings } from '../reminders.js';

/** How an option's value is read: text, a whole number, or a date `YYYY-MM-DD`. */
export type OptionType = 'string' | 'integer' | 'date';

export interface OptionDefinition {
  readonly name: string;
  readonly description: string;
  readonly type: OptionType;
  readonly required?: boolean;
  /** Suggestions while the user types (Discord autocomplete), best first; platforms keep the first 25. */
  suggest?(context: CommandContext, typed: string): readonly Choice[];
  readonly min?: number;
  readonly max?: number;
}

/** The most suggestions a platform shows (Discord: 25 autocomplete choices); `suggest` need build no more. */
export const MAX_CHOICES = 25;

/** A suggested value for an option, with the text the user sees. */
export interface Choice {
  readonly name: string;
  readonly value: string | number;
}

/** Who may run a command. */
export type Audience = 'everyone' | 'instructors';

/** What a command runs against: the course as it is now, the instant, the other commands. */
export interface CommandContext {
  readonly course: Course;
  readonly now: Date;
  readonly commands: readonly Command[];
  /** Who asks (instructor commands record it). */
  readonly actor?: Actor;
  /**
   * Whether the asker may use instructor commands, where the platform knows (`/help` then lists them).
   * An answer that depends on it must not be shared between askers who differ in it.
   */
  readonly instructor?: boolean;
  /** The instructor actions, where the platform offers them. */
  readonly admin?: ScheduleAdmin;
  /** Students' reminder settings (`/remind`), where the platform offers them. */
  readonly reminders?: ReminderSettings;
  /** The courses of the deployment, where it serves more than one (`/help` tells how to pick one). */
  readonly courses?: readonly CourseEntry[];
}

/** A course as `/help` names it: the id the `course` option takes, and its name. */
export interface CourseEntry {
  readonly id: string;
  readonly name: string;
}

type ValueOf<T extends OptionType> = T extends 'integer' ? number : string;

/** The parsed arguments of a command, typed from its option list. */
export type ArgsOf<O extends readonly OptionDefinition[]> = {
  readonly [K in O[number] as K['name']]?: ValueOf<K['type']>;
};

export interface Command<O extends readonly OptionDefinition[] = readonly OptionDefinition[]> {
  /** A subcommand's parent: `/course edit` is `{ group: 'course', name: 'edit' }`. */
  readonly group?: string;
  readonly name: string;
  readonly description: string;
  readonly audience: Audience;
  readonly options: O;
  /** The answer may take a while: platforms acknowledge first (Discord's 3 s window), then answer. */
  readonly slow?: boolean;
  /**
   * The answer depends on whether the asker is an instructor (`/help` lists `/course` to them): platforms
   * tell it `instructor` and never share its answer between askers who differ in it.
   */
  readonly personal?: boolean;
  /**
   * The answer is the asker's own (their settings, `/remind`): shown to them alone, never cached or shared,
   * and the command needs `actor`.
   */
  readonly own?: boolean;
  /**
   * The command only reads the course: it stores nothing and posts nothing, so two instances of the bot that
   * both run it do no harm. Discord sends every interaction to every session of the token and takes the
   * first callback only, so such a command needs no claim in the state store (see `SeenRequests`); every
   * other command (instructor changes, `/remind`) runs on the one instance that claimed it.
   */
  readonly readOnly?: boolean;
  /** Student commands answer at once; instructor commands may act (store, post) and answer later. */
  run(context: CommandContext, args: ArgsOf<O>): Message | Promise<Message>;
}

/** Defines a command with its option list kept literal, so `run` sees typed arguments. */
export function defineCommand<const O extends readonly OptionDefinition[]>(command: Command<O>): Command<O> {
  return command;
}

/** The top-level names of the commands marked {@link Command.readOnly} (a group's subcommands are never counted). */
export function readOnlyNames(commands: readonly Command[]): ReadonlySet<string> {
  let names = readOnlyByList.get(commands);
  if (!names) {
    names = new Set(commands.filter((command) => command.readOnly === true && command.group === undefined).map((command) => command.name));
    readOnlyByList.set(commands, names);
  }
  return names;
}

const readOnlyByList = new WeakMap<readonly Command[], ReadonlySet<string>>();

/**
 * Whether a request may be answered by every instance of the bot that gets it, with no claim in the state store:
 * an autocomplete, or a command marked {@link Command.readOnly} (named by its top-level name).
 */
export function answeredAnywhere(commands: readonly Command[], request: { readonly autocomplete: boolean; readonly name: unknown }): boolean {
  return request.autocomplete || (typeof request.name === 'string' && readOnlyNames(commands).has(request.name));
}

/** `week`, `course edit`: how the command is typed after the slash. */
export function commandPath(command: Command): string {
  return command.group ? `${command.group} ${command.name}` : command.name;
}

/** `/week [number]` */
export function usage(command: Command): string {
  const options = command.options.map((option) => (option.required ? `<${option.name}>` : `[${option.name}]`));
  return [`/${commandPath(command)}`, ...options].join(' ');
}

/** What a group of subcommands is for (`/course`), shown by platforms above its subcommands. */
export const GROUP_DESCRIPTIONS: Readonly<Record<string, string>> = {
  course: 'Instructors: change the schedule, preview and post announcements',
};

/** A group's description, or a plain one for a group without an entry. */
export function groupDescription(group: string): string {
  return GROUP_DESCRIPTIONS[group] ?? `/${group} commands`;
}
