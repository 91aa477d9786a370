import type { Clock } from '../clock.js';
import type { Course } from '../course/model.js';
import { UserFacingError, isUserFacingError } from '../errors.js';
import { type Message, message } from '../messages.js';
import type { Actor, ScheduleAdmin } from '../ports.js';
import type { ReminderSettings } from '../reminders.js';
import type { AnswerCache } from './answers.js';
import {
  type ArgsOf,
  type Choice,
  type Command,
  type CommandContext,
  type CourseEntry,
  type OptionDefinition,
  commandPath,
} from './command.js';
import { lookupCommand, parseCommandLine, resolveArgs, takeCourseToken } from './parse.js';

/** Where a command was asked: the platform, its server or workspace, the channel. Routing to a course goes by it. */
export interface Place {
  /** `discord`, `slack`, `terminal`. */
  readonly platform: string;
  /** Discord: the server (guild) id, absent in a DM; Slack: the team id. */
  readonly guildId?: string;
  readonly channelId?: string;
}

/** Who asks, as the platform knows them: enough for a scope to tell whether they instruct its course. */
export interface Asker {
  readonly actor?: Actor;
  /** Discord: the member's role ids in the server asked in. */
  readonly roleIds?: readonly string[];
  /** Discord: the member holds Manage Server there. */
  readonly manageGuild?: boolean;
}

/** One request, before the command is known: where, who, and the course the asker named (if any). */
export interface CommandRequest {
  readonly place: Place;
  readonly asker: Asker;
  /** The `course` argument, where the asker named one. */
  readonly course?: string;
}

/**
 * What the asker said: a chat line (`/week 2`, `/course edit 2027-01-06 topic: X`), or a command named by its
 * path (`['course', 'edit']`) with its option values as the platform delivers them (Discord). Reading the
 * values may throw a `UserFacingError` (garbled options): it is the user's to retry, like a bad argument.
 */
export type Spoken =
  | { readonly line: string }
  | {
      readonly path: readonly string[];
      /** The option values, read for the command the path names. */
      readonly options: (command: Command) => Readonly<Record<string, string | number | undefined>>;
    };

/** The course a request is for, and what its commands may use there. */
export interface Scope {
  /** The course as it is now. */
  readonly course: Course;
  /** The instructor actions behind `/course`, where offered. */
  readonly admin?: ScheduleAdmin;
  /** Students' reminder settings (`/remind`), where offered. */
  readonly reminders?: ReminderSettings;
  /**
   * Whether the asker is an instructor of THIS course. Asked at most once per request, and only when a command
   * needs it (an instructor command, or a `personal` one), since a platform may have to ask its API.
   */
  instructor(): boolean | Promise<boolean>;
}

/** No scope for the request: the asker must name a course; the message says which exist. */
export interface ScopeChoice {
  readonly choose: Message;
}

/** Chooses the scope of each request (today: the one course; later: by place or the `course` argument). */
export type ScopeResolver = (request: CommandRequest) => Scope | ScopeChoice;

/** Lowercase with runs of space as one: how a typed course name is compared (as routing compares it). */
function folded(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The scope of a deployment with one course, for the request: that course, unless the request names
 * another one (`course:<id>`), which is refused with a line naming the course served rather than
 * answered for the wrong course.
 */
export function oneCourseScope(request: CommandRequest, scope: Scope): Scope | ScopeChoice {
  const typed = request.course?.trim();
  if (!typed) return scope;
  const { id, name } = scope.course;
  if (typed === id || folded(typed) === folded(name)) return scope;
  return {
    choose: message({
      title: 'No such course here',
      description: `This bot serves one course, ${name} (${id}), not "${typed.slice(0, 100)}": leave out the course option.`,
    }),
  };
}

/** Where the invocation logs (a pino logger fits). */
export interface InvocationLog {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** How an invocation ended; what a user caused or may not do is theirs to read, anything else has a reference. */
export type InvocationOutcome =
  | { readonly ok: true; readonly message: Message }
  | {
      readonly ok: false;
      /**
       * `user`: a mistake or a state they can fix (its message); `refused`: an instructor command asked by a
       * student; `unknown`: a command by path the bot no longer has (a stale registration); `internal`: a bug,
       * logged with the reference shown.
       */
      readonly kind: 'user' | 'refused' | 'unknown' | 'internal';
      readonly text: string;
      readonly code?: string;
    };

export interface InvokerOptions {
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly scope: ScopeResolver;
  /**
   * Errors the core cannot know (a store that cannot keep a write) turned into what the user sees; undefined
   * for a bug. `UserFacingError`s need no mapping.
   */
  readonly explain?: (error: unknown) => UserFacingError | undefined;
  /**
   * Bounds the instructor check of a `personal` command (Slack wants its answer within 3 s): resolves to false
   * when it takes too long. The check of an instructor command is never bounded.
   */
  readonly personalCheck?: (check: Promise<boolean>) => Promise<boolean>;
  /** Answers shared between askers (student commands), per course and minute (Discord keeps one). */
  readonly answers?: AnswerCache;
  /** A short id tying what a user sees to the log line of an unexpected error. */
  readonly ref?: () => string;
  /**
   * The courses the deployment serves, as they are now; with more than one, `/help` tells how to pick one
   * (the `course` option). Without it (one course), nothing is said about courses.
   */
  readonly courses?: () => readonly CourseEntry[];
}

/** What a user sees when an instructor command is asked by someone who is not one. */
export const INSTRUCTORS_ONLY = 'Only instructors can use this command.';

/** What a user sees for a command the bot registered once but no longer has. */
export const NO_LONGER_AVAILABLE = 'This command is no longer available.';

/** Eight hex digits from the platform's random source (`crypto` is a global in Node and browsers). */
function randomRef(): string {
  return [...crypto.getRandomValues(new Uint8Array(4))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The text shown for an unexpected error. */
export function internalErrorText(ref: string): string {
  return `Something went wrong (ref ${ref}). Please tell an instructor.`;
}

/** The commands a chat line's first word may name: the command, or every subcommand of the group. */
function familyOf(commands: readonly Command[], head: string): Command[] {
  const wanted = head.replace(/^\//, '').toLowerCase();
  return commands.filter((command) => (command.group ?? command.name) === wanted);
}

/** A command by its path: `['today']`, `['course', 'edit']`; a deeper path names nothing the bot registers. */
function byPath(commands: readonly Command[], path: readonly string[]): Command | undefined {
  const [name, sub, ...deeper] = path;
  if (name === undefined || deeper.length > 0) return undefined;
  return commands.find((candidate) =>
    sub === undefined ? candidate.group === undefined && candidate.name === name : candidate.group === name && candidate.name === sub,
  );
}

/**
 * A chat line's `course:<id>` taken out of it and into the request (`takeCourseToken`): Slack and the
 * terminal name the course in the line, Discord in an option of its own. A request by path is left as it is.
 */
function withCourseToken(request: CommandRequest, spoken: Spoken): { request: CommandRequest; spoken: Spoken } {
  if (!('line' in spoken)) return { request, spoken };
  const { line, course } = takeCourseToken(spoken.line);
  if (course === undefined) return { request, spoken };
  return { request: { ...request, course }, spoken: { line } };
}

/**
 * A request whose scope and command family are known, not yet run. Platforms look at it to choose their
 * transport (acknowledge first, defer, public or not), then `admit` and `run` it.
 */
export class PreparedInvocation {
  readonly #invoker: Invoker;
  readonly #request: CommandRequest;
  readonly #spoken: Spoken;
  readonly #family: readonly Command[];
  readonly #log: InvocationLog;
  #instructor: Promise<boolean> | undefined;
  #admitted: InvocationOutcome | null | undefined;

  constructor(
    invoker: Invoker,
    request: CommandRequest,
    readonly scope: Scope,
    spoken: Spoken,
    family: readonly Command[],
    log: InvocationLog,
  ) {
    this.#invoker = invoker;
    this.#request = request;
    this.#spoken = spoken;
    this.#family = family;
    this.#log = log;
  }

  /** The command, where the request names exactly one (a chat line naming a group finds its subcommand when run). */
  get command(): Command | undefined {
    return this.#family.length === 1 ? this.#family[0] : undefined;
  }

  /** Only instructors may run what the request names: platforms acknowledge first, then check, act and answer. */
  get instructorsOnly(): boolean {
    return this.#family.every((command) => command.audience === 'instructors');
  }

  /** The answer may take a while: platforms acknowledge first (Discord's 3 s window). */
  get slow(): boolean {
    return this.#family.some((command) => Boolean(command.slow));
  }

  /**
   * The answer may be shown to the channel when the platform answers publicly: a student command whose answer
   * is not the asker's own. Instructor answers and errors are always the asker's alone.
   */
  get shareable(): boolean {
    return this.#family.every((command) => command.audience === 'everyone' && !command.own);
  }

  /** The asker is an instructor of the scope's course (asked once). */
  #isInstructor(): Promise<boolean> {
    this.#instructor ??= Promise.resolve()
      .then(() => this.scope.instructor())
      .catch((error: unknown) => {
        this.#log.error({ err: error }, 'could not tell whether the asker is an instructor; taken as a student');
        return false;
      });
    return this.#instructor;
  }

  /** The audience check: undefined when the asker may run the command, else the refusal (logged). */
  async admit(): Promise<InvocationOutcome | undefined> {
    if (this.#admitted === undefined) {
      this.#admitted = null;
      if (this.instructorsOnly && !(await this.#isInstructor())) this.#admitted = this.#refusal();
    }
    return this.#admitted ?? undefined;
  }

  #refusal(): InvocationOutcome {
    this.#log.warn({}, 'instructor command refused to a non-instructor');
    return { ok: false, kind: 'refused', text: INSTRUCTORS_ONLY };
  }

  /**
   * Checks the arguments, builds the context, runs the command. A `UserFacingError` (or an error `explain`
   * maps) becomes its message; anything else is logged with a reference the user is shown instead.
   */
  async run(): Promise<InvocationOutcome> {
    const refused = await this.admit();
    if (refused) return refused;
    try {
      const { command, args } = this.#resolve();
      // A family of student and instructor commands is admitted as a whole: its instructor commands check here.
      if (command.audience === 'instructors' && !(await this.#isInstructor())) return this.#refusal();
      return { ok: true, message: await this.#answer(command, args) };
    } catch (error) {
      return this.#invoker.failure(error, this.#log);
    }
  }

  async #answer(command: Command, args: ArgsOf<readonly OptionDefinition[]>): Promise<Message> {
    const instructor =
      command.audience === 'instructors'
        ? true
        : command.personal
          ? await (this.#invoker.options.personalCheck ?? ((check) => check))(this.#isInstructor())
          : undefined;
    const context = this.#invoker.context(this.scope, this.#request.asker.actor, instructor);
    const run = (): Message => {
      const answer = command.run(context, args);
      // Student commands answer at once (platforms answer them inside the first acknowledgement): a promise is a bug.
      if (answer instanceof Promise) throw new Error(`/${commandPath(command)} answered asynchronously`);
      return answer;
    };
    if (command.audience === 'instructors') return command.run(context, args);
    const { answers } = this.#invoker.options;
    if (!answers || command.own) return run();
    const who = instructor === undefined ? '' : instructor ? ' instructor' : ' student';
    return answers.get(context.course, context.now, `${commandPath(command)}${who} ${JSON.stringify(args)}`, run);
  }

  #resolve(): { command: Command; args: ArgsOf<readonly OptionDefinition[]> } {
    const spoken = this.#spoken;
    if ('line' in spoken) return parseCommandLine(spoken.line, this.#invoker.options.commands);
    const command = this.command!;
    return { command, args: resolveArgs(command, spoken.options(command)) };
  }
}

/**
 * The one step from a request to its outcome, for every platform: the scope, the command, the audience
 * check, the arguments, the context, the run, and the outcome. Platforms keep who asks and the transport.
 */
export class Invoker {
  constructor(readonly options: InvokerOptions) {}

  /**
   * Step one, at once: the commands the request names and its scope. An outcome instead when there is no
   * such command, or no scope (the message says which courses exist).
   */
  prepare(asked: CommandRequest, said: Spoken, log: InvocationLog): PreparedInvocation | InvocationOutcome {
    try {
      const { request, spoken } = withCourseToken(asked, said);
      const family = this.#family(spoken);
      if (family.length === 0) {
        log.warn({}, 'request for a command the bot does not know (stale registration?)');
        return { ok: false, kind: 'unknown', text: NO_LONGER_AVAILABLE };
      }
      const scope = this.options.scope(request);
      if ('choose' in scope) return { ok: false, kind: 'user', code: 'choose-course', text: scope.choose.text };
      return new PreparedInvocation(this, request, scope, spoken, family, log);
    } catch (error) {
      return this.failure(error, log);
    }
  }

  /** Prepares and runs a request, for platforms with nothing to do in between (the terminal). */
  async invoke(request: CommandRequest, spoken: Spoken, log: InvocationLog): Promise<InvocationOutcome> {
    const prepared = this.prepare(request, spoken, log);
    return prepared instanceof PreparedInvocation ? prepared.run() : prepared;
  }

  /**
   * Suggestions for an option while the asker types (Discord autocomplete), from the request's scope, with the
   * option they are for; undefined when there is no such option, none when there is no scope or suggester. A
   * suggester that throws is a bug: logged, no suggestions.
   */
  suggest(
    request: CommandRequest,
    path: readonly string[],
    option: string,
    typed: string,
    log: InvocationLog,
  ): { readonly option: OptionDefinition; readonly choices: readonly Choice[] } | undefined {
    const found = byPath(this.options.commands, path)?.options.find((candidate) => candidate.name === option);
    if (!found) return undefined;
    try {
      const scope = this.options.scope(request);
      if ('choose' in scope || !found.suggest) return { option: found, choices: [] };
      return { option: found, choices: found.suggest(this.context(scope, request.asker.actor, undefined), typed) };
    } catch (error) {
      log.error({ err: error }, 'autocomplete failed');
      return { option: found, choices: [] };
    }
  }

  /** @internal The context a command runs in: the scope's course and actions, the instant, who asks. */
  context(scope: Scope, actor: Actor | undefined, instructor: boolean | undefined): CommandContext {
    const courses = this.options.courses?.() ?? [];
    return {
      ...(courses.length > 1 && { courses }),
      course: scope.course,
      now: this.options.clock.now(),
      commands: this.options.commands,
      ...(actor && { actor }),
      ...(instructor !== undefined && { instructor }),
      ...(scope.admin && { admin: scope.admin }),
      ...(scope.reminders && { reminders: scope.reminders }),
    };
  }

  /** @internal An error as the outcome the user sees; a bug is logged with the reference shown. */
  failure(error: unknown, log: InvocationLog): InvocationOutcome {
    const known = isUserFacingError(error) ? error : this.options.explain?.(error);
    if (known) {
      log.debug({ code: known.code }, 'refused');
      return { ok: false, kind: 'user', text: known.message, code: known.code };
    }
    const ref = (this.options.ref ?? randomRef)();
    log.error({ err: error, ref }, 'command failed');
    return { ok: false, kind: 'internal', text: internalErrorText(ref) };
  }

  #family(spoken: Spoken): Command[] {
    if (!('line' in spoken)) {
      const command = byPath(this.options.commands, spoken.path);
      return command ? [command] : [];
    }
    // The name only: quotes and options are read when the command runs, after the audience check, so that a
    // student's garbled `/course …` is refused as an instructor command, not corrected.
    const head = spoken.line.trim().split(/\s+/, 1)[0];
    if (!head) throw new UserFacingError('unknown-command', 'Type a command, such as /today or /help.');
    const family = familyOf(this.options.commands, head);
    // An unknown name: the lookup's error says which commands exist and which was meant.
    if (family.length === 0) lookupCommand(head, this.options.commands);
    return family;
  }
}
