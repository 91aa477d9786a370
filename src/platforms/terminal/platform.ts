import type { Actor } from '../../core/ports.js';
import { commands } from '../../core/commands/registry.js';
import { type Platform, type PlatformDeps, type Poster, routedOnly } from '../platform.js';
import { TerminalDirectMessenger, TerminalMessenger } from './messenger.js';
import type { PromptScreen } from './screen.js';

/** The terminal's one "channel": announcements, reminders and what instructors are told are printed to `output`. */
export function terminalPoster(output: NodeJS.WritableStream): Poster {
  const printer = new TerminalMessenger(output);
  return {
    forCourse: () => ({
      platform: 'terminal',
      announce: [printer],
      direct: [new TerminalDirectMessenger(output)],
      // Whoever runs the terminal is the course's instructor: what instructors are told is printed in the chat.
      report: (text: string) => printer.tell(text),
    }),
  };
}

export interface TerminalDeps extends PlatformDeps {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** The prompt of an interactive terminal: what the bot prints goes above it. */
  readonly screen?: PromptScreen;
  readonly banner: string;
  readonly actor: Actor;
}

/**
 * The local chat used when no platform token is set: ready once its banner is printed, ended when its input
 * ends (or `/quit`); `ended` rejects with an `OutputError` when the output cannot be written.
 */
export async function startTerminal(deps: TerminalDeps): Promise<Platform> {
  const { runTerminal } = await import('./terminal.js');
  const stopping = new AbortController();
  let started: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const ended = runTerminal({
    input: deps.input,
    output: deps.output,
    ...(deps.screen && { screen: deps.screen }),
    course: routedOnly('terminal'),
    scope: deps.scopes.resolver('terminal'),
    courses: () => deps.scopes.courses('terminal'),
    commands,
    clock: deps.clock,
    signal: stopping.signal,
    onReady: () => started(),
    actor: deps.actor,
    logger: deps.logger,
    banner: deps.banner,
  });
  // Observed at once: the composition root awaits it, and a stop before then must not leave it unhandled.
  ended.catch(() => undefined);
  const poster = terminalPoster(deps.screen ? deps.screen.stream(deps.output) : deps.output);
  return {
    name: 'terminal',
    health: () => 'ok',
    ready,
    lost: new Promise<unknown>(() => undefined),
    ended,
    forCourse: (course) => poster.forCourse(course),
    stop: async () => {
      stopping.abort();
      await ended.catch(() => undefined);
    },
  };
}
