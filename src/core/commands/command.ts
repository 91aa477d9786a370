import type { Course } from '../course/model.js';
import type { Message } from '../messages.js';

/** How an option's value is read: text, a whole number, or a date `YYYY-MM-DD`. */
export type OptionType = 'string' | 'integer' | 'date';

export interface OptionDefinition {
  readonly name: string;
  readonly description: string;
  readonly type: OptionType;
  readonly required?: boolean;
  /** Platforms offer suggestions for this option (see core/commands/suggest.ts). */
  readonly autocomplete?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** Who may run a command. */
export type Audience = 'everyone' | 'instructors';

/** What a command runs against: the course as it is now, the instant, the other commands. */
export interface CommandContext {
  readonly course: Course;
  readonly now: Date;
  readonly commands: readonly Command[];
}

type ValueOf<T extends OptionType> = T extends 'integer' ? number : string;

/** The parsed arguments of a command, typed from its option list. */
export type ArgsOf<O extends readonly OptionDefinition[]> = {
  readonly [K in O[number] as K['name']]?: ValueOf<K['type']>;
};

export interface Command<O extends readonly OptionDefinition[] = readonly OptionDefinition[]> {
  readonly name: string;
  readonly description: string;
  readonly audience: Audience;
  readonly options: O;
  run(context: CommandContext, args: ArgsOf<O>): Message;
}

/** Defines a command with its option list kept literal, so `run` sees typed arguments. */
export function defineCommand<const O extends readonly OptionDefinition[]>(command: Command<O>): Command<O> {
  return command;
}

/** `/week [number]` */
export function usage(command: Command): string {
  const options = command.options.map((option) => (option.required ? `<${option.name}>` : `[${option.name}]`));
  return [`/${command.name}`, ...options].join(' ');
}
