import { isIsoDate } from '../course/dates.js';
import { UserFacingError } from '../errors.js';
import type { Message } from '../messages.js';
import { closest, quoted, shown } from '../text.js';
import type { ArgsOf, Command, CommandContext, OptionDefinition } from './command.js';
import { commandPath, usage } from './command.js';
import { commands } from './registry.js';
import { COURSE_OPTION } from '../routing.js';

/** A command with its checked arguments, ready to run. */
export interface Invocation {
  readonly command: Command;
  readonly args: ArgsOf<readonly OptionDefinition[]>;
}

/** Quote characters that open a quoted word, and the characters that may close each. */
const QUOTES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\u201C': '\u201D"', '\u2018': "\u2019'" };

/** A word of a command line: its text (quotes taken off) and where it stands in the line. */
export interface WordSpan {
  readonly word: string;
  /** The index of its first character in the line, its opening quote included. */
  readonly start: number;
  /** The index after its last character, its closing quote included. */
  readonly end: number;
}

/**
 * The words of a command line with where each stands. A quote at the start of a word (or right after
 * `name:`) keeps spaces inside it, straight or curly as chat apps type them; an apostrophe inside a word is a letter.
 */
export function wordSpans(line: string): WordSpan[] {
  const words: WordSpan[] = [];
  let current = '';
  let start = 0;
  let closers: string | undefined;
  let inWord = false;
  let index = 0;
  for (const char of line) {
    if (closers !== undefined) {
      if (closers.includes(char)) closers = undefined;
      else current += char;
    } else if (char in QUOTES && (!inWord || /^[a-z][\w-]*:$/i.test(current))) {
      closers = QUOTES[char];
      if (!inWord) start = index;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push({ word: current, start, end: index });
      current = '';
      inWord = false;
    } else {
      if (!inWord) start = index;
      current += char;
      inWord = true;
    }
    index += char.length;
  }
  if (closers !== undefined) throw new UserFacingError('bad-option', `Unclosed quote in ${quoted(line, 60)}: close it, or leave the quote out.`);
  if (inWord) words.push({ word: current, start, end: index });
  return words;
}

/**
 * Splits a command line into words. A quote at the start of a word (or right after `name:`) keeps
 * spaces inside it, straight or curly as chat apps type them; an apostrophe inside a word is a letter.
 */
export function tokenize(line: string): string[] {
  return wordSpans(line).map((span) => span.word);
}

/** What `takeCourseToken` found: the line without the token, and the course it named (if any). */
export interface CourseToken {
  readonly line: string;
  readonly course?: string;
}

/**
 * Takes a `course:<id>` (or `course:"Name with spaces"`, or `course: <id>` as other options are written)
 * out of a chat line, wherever it stands: the course a request is for is not an argument of the command.
 * Only the lowercase name counts, so a title such as `Course: Intro` stays text. Given twice, or without a
 * value, it is the user's to fix (a `UserFacingError` that says how).
 */
export function takeCourseToken(line: string): CourseToken {
  const PREFIX = `${COURSE_OPTION}:`;
  if (!line.includes(PREFIX)) return { line };
  let spans: WordSpan[];
  try {
    spans = wordSpans(line);
  } catch {
    // An unclosed quote: the command's own parse says so, after the audience check.
    return { line };
  }
  const found = spans.flatMap((span, index) => (line.startsWith(PREFIX, span.start) ? [index] : []));
  if (found.length === 0) return { line };
  if (found.length > 1) throw new UserFacingError('bad-option', `${PREFIX} is given twice: name one course, such as ${PREFIX}mlops.`);
  const first = spans[found[0]!]!;
  // `course: mlops`: the value is the next word.
  const last = first.word === PREFIX && line.slice(first.start, first.end) === PREFIX ? spans[found[0]! + 1] : first;
  const course = (last === first ? first.word.slice(PREFIX.length) : (last?.word ?? '')).trim();
  if (last === undefined || course === '') {
    throw new UserFacingError('bad-option', `${PREFIX} needs a course id after it, such as ${PREFIX}mlops.`);
  }
  return { line: `${line.slice(0, first.start)}${line.slice(last.end)}`, course };
}

/** Reads one option value from text; a `UserFacingError` names the option when it does not fit. */
export function resolveOption(command: Command, option: OptionDefinition, raw: string | number): string | number {
  const where = `/${commandPath(command)} ${option.name}`;
  if (option.type === 'integer') {
    const value = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value)) throw new UserFacingError('bad-option', `${where}: ${quoted(String(raw))} is not a whole number.`);
    if (option.min !== undefined && value < option.min) {
      throw new UserFacingError('bad-option', `${where}: must be ${option.min} or more.`);
    }
    if (option.max !== undefined && value > option.max) {
      throw new UserFacingError('bad-option', `${where}: must be ${option.max} or less.`);
    }
    return value;
  }
  const text = String(raw).trim();
  if (option.type === 'date' && !isIsoDate(text)) {
    throw new UserFacingError('bad-option', `${where}: ${quoted(text)} is not a date; use YYYY-MM-DD, such as 2027-01-05.`);
  }
  return text;
}

/** Checks named option values (as platforms deliver them) against the command's options. */
export function resolveArgs(
  command: Command,
  raw: Readonly<Record<string, string | number | undefined>>,
): ArgsOf<readonly OptionDefinition[]> {
  const args: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(raw)) {
    const option = command.options.find((candidate) => candidate.name === name);
    if (!option) {
      const guess = closest(name, command.options.map((candidate) => candidate.name));
      throw new UserFacingError(
        'bad-option',
        `/${commandPath(command)} has no option ${quoted(name)}${guess ? ` (did you mean "${guess}"?)` : ''}. Usage: ${usage(command)}`,
      );
    }
    if (value !== undefined) args[name] = resolveOption(command, option, value);
  }
  for (const option of command.options) {
    if (option.required && args[option.name] === undefined) {
      throw new UserFacingError('bad-option', `/${commandPath(command)} needs ${option.name}. Usage: ${usage(command)}`);
    }
  }
  return args;
}

/**
 * Finds a command by name (and, for a group such as `/course`, its subcommand, taken from the
 * front of `words`), or explains which ones exist. Returns the command and the words left.
 */
export function lookupCommand(
  name: string,
  registry: readonly Command[] = commands,
  words: readonly string[] = [],
): { readonly command: Command; readonly rest: readonly string[] } {
  const wanted = name.replace(/^\//, '').toLowerCase();
  const command = registry.find((candidate) => candidate.group === undefined && candidate.name === wanted);
  if (command) return { command, rest: words };
  const members = registry.filter((candidate) => candidate.group === wanted);
  if (members.length > 0) {
    const [sub, ...rest] = words;
    const names = members.map((member) => member.name);
    const found = sub === undefined ? undefined : members.find((member) => member.name === sub.toLowerCase());
    if (found) return { command: found, rest };
    const guess = sub === undefined ? undefined : closest(sub.toLowerCase(), names);
    throw new UserFacingError(
      'unknown-command',
      `${sub === undefined ? `/${wanted} needs one of` : `/${wanted} has no ${quoted(sub)}.${guess ? ` Did you mean /${wanted} ${guess}?` : ''} Try one of`}: ${names.join(', ')}.`,
    );
  }
  const names = [...new Set(registry.map((candidate) => candidate.group ?? candidate.name))];
  const guess = closest(wanted, names);
  throw new UserFacingError(
    'unknown-command',
    `Unknown command /${shown(wanted)}.${guess ? ` Did you mean /${guess}?` : ''} Try /help; commands: ${names.map((n) => `/${n}`).join(', ')}.`,
  );
}

/**
 * Parses a chat line such as `/week 2`, `/week number:2` or `/resources pytorch lightning`.
 * Options come positionally in their order or as `name:value` (`name: value` too). A text option
 * filled by position takes the rest of the words; with none, words left over join the last text option.
 */
export function parseCommandLine(line: string, registry: readonly Command[] = commands): Invocation {
  const [head, ...all] = tokenize(line.trim());
  if (head === undefined) throw new UserFacingError('unknown-command', 'Type a command, such as /today or /help.');
  const { command, rest: words } = lookupCommand(head, registry, all);
  const named: Record<string, string> = {};
  const positional: string[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    const match = /^([a-z][\w-]*):(.*)$/is.exec(word);
    const option = match && command.options.find((candidate) => candidate.name === match[1]!.toLowerCase());
    if (!match || !option) {
      positional.push(word);
      continue;
    }
    if (named[option.name] !== undefined) {
      throw new UserFacingError('bad-option', `/${commandPath(command)} ${option.name} is given twice. Usage: ${usage(command)}`);
    }
    let value = match[2]!;
    if (value === '' && index + 1 < words.length) {
      index += 1;
      value = words[index]!;
    }
    named[option.name] = value;
  }
  const free = command.options.filter((option) => named[option.name] === undefined);
  // The first text option reached by position takes the rest of the words (`/course add 2027-01-09 Model
  // monitoring`); options after it must be named. With none reached, extra words join the last text option.
  const greedy = free.findIndex((option, index) => option.type === 'string' && index < positional.length);
  const lastText = greedy >= 0 ? free[greedy] : [...command.options].reverse().find((option) => option.type === 'string');
  positional.forEach((word, index) => {
    const option = greedy >= 0 && index > greedy ? undefined : free[index];
    if (option) named[option.name] = word;
    else if (lastText) named[lastText.name] = `${named[lastText.name] ?? ''} ${word}`.trim();
    else throw new UserFacingError('bad-option', `Too many arguments for /${commandPath(command)}: ${quoted(word)}. Usage: ${usage(command)}`);
  });
  return { command, args: resolveArgs(command, named) };
}

/** Parses and runs a chat line against the course. */
export function runCommandLine(line: string, context: CommandContext): Message | Promise<Message> {
  const { command, args } = parseCommandLine(line, context.commands);
  return command.run(context, args);
}
