import { createInterface } from 'node:readline';
import type { Clock } from '../../core/clock.js';
import type { Command, CourseEntry } from '../../core/commands/command.js';
import { type CommandRequest, Invoker, type ScopeResolver, oneCourseScope } from '../../core/commands/invoke.js';
import type { Course } from '../../core/course/model.js';
import type { Logger } from '../../log.js';
import type { Actor, ScheduleAdmin } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import { writeToStream } from '../../cli/output.js';
import { errorRef, explainError } from '../respond.js';
import { PromptScreen } from './screen.js';

export interface TerminalOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** The course as it is now (it may be reloaded while the chat runs). */
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly banner: string;
  /** Called once the banner is printed (the announcer starts then). */
  readonly onReady?: () => void;
  /** Ends the chat (SIGTERM, SIGINT). */
  readonly signal?: AbortSignal;
  /** The instructor actions: whoever runs the terminal is the course's instructor. */
  readonly admin?: ScheduleAdmin;
  readonly actor?: Actor;
  /** The reminder settings `/remind` changes (the terminal prints the reminders). */
  readonly reminders?: ReminderSettings;
  /** Where text that arrives while the prompt is shown goes (logs, announcements); one is made if not given. */
  readonly screen?: PromptScreen;
  /** Chooses each line's course; without one, every line is for `course`, and whoever runs the terminal is its instructor. */
  readonly scope?: ScopeResolver;
  /** The courses the deployment serves, as they are now: `/help` lists them when there are several. */
  readonly courses?: () => readonly CourseEntry[];
}

/** The one course's scope: whoever runs the terminal is the course's instructor. */
function singleCourse(options: TerminalOptions): ScopeResolver {
  return (request) =>
    oneCourseScope(request, {
      course: options.course(),
      ...(options.admin && { admin: options.admin }),
      ...(options.reminders && { reminders: options.reminders }),
      instructor: () => true,
    });
}

const QUIT = new Set(['/quit', '/exit', 'quit', 'exit']);

/**
 * The local chat used when no platform token is set: each line is answered like a chat command.
 * Resolves at end of input or on /quit; rejects with an `OutputError` when the output cannot be written
 * (`EPIPE` when its reader went away), which the CLI turns into its exit code (141, silently, for a
 * closed pipe, as for its other commands).
 */
export async function runTerminal(options: TerminalOptions): Promise<void> {
  const { input, output, logger } = options;
  const interactive = Boolean((input as { isTTY?: boolean }).isTTY);
  const rl = createInterface({ input, output, terminal: interactive, prompt: '> ' });
  const screen = options.screen ?? new PromptScreen(output);
  if (interactive) screen.attach(rl);
  // Taken before the first await: lines readline reads while the banner is being written would be lost.
  const lines = rl[Symbol.asyncIterator]();
  // Each answer is handed to the output before the next line is read: output that cannot be written (its
  // reader gone, `| head -2`: EPIPE) ends the chat with an OutputError instead of answering into nothing.
  const write = (text: string) => writeToStream(output, `${text}\n`);
  const invoker = new Invoker({
    commands: options.commands,
    clock: options.clock,
    scope: options.scope ?? singleCourse(options),
    explain: explainError,
    ref: errorRef,
    ...(options.courses && { courses: options.courses }),
  });
  const request: CommandRequest = { place: { platform: 'terminal' }, asker: { ...(options.actor && { actor: options.actor }) } };
  // Ctrl-C at the prompt: readline pauses instead of ending unless someone listens.
  rl.on('SIGINT', () => rl.close());
  if (options.signal?.aborted) rl.close();
  options.signal?.addEventListener('abort', () => rl.close(), { once: true });
  try {
    await write(options.banner);
    options.onReady?.();
    if (interactive) screen.prompt();
    for await (const raw of lines) {
      screen.submitted();
      const line = raw.trim();
      if (QUIT.has(line.toLowerCase())) break;
      if (line) {
        // A `course:<id>` word names the line's course; the invocation step takes it out of the line.
        const outcome = await invoker.invoke(request, { line }, logger.child({ line }));
        await write(`${outcome.ok ? outcome.message.text : outcome.text}\n`);
      }
      if (interactive) screen.prompt();
    }
  } finally {
    screen.attach(undefined);
    rl.close();
  }
}
