import { type Clock, systemClock } from './core/clock.js';
import { firstSession, lastSession } from './core/course/calendar.js';
import { formatLongDate } from './core/course/dates.js';
import type { Course } from './core/course/model.js';
import { commands } from './core/commands/registry.js';
import type { Config } from './config.js';
import { type LoadedCourse, loadCourseFile } from './course-file/read.js';
import type { Logger } from './log.js';
import { DiscordBot } from './platforms/discord/bot.js';
import { runTerminal } from './platforms/terminal/terminal.js';
import { SqliteStore } from './store/sqlite-store.js';

export interface StartOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The clock, chosen once the course (and so its zone) is known. Default: the system clock. */
  readonly clock?: (course: Course) => Clock;
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
}

/** One line about a loaded course: weeks, sessions, first and last date. */
export function courseSummary({ course }: LoadedCourse): string {
  const weeks = course.weeks.length;
  const sessions = course.sessions.length;
  return (
    `${course.name} (${course.id}): ${weeks} ${weeks === 1 ? 'week' : 'weeks'}, ` +
    `${sessions} ${sessions === 1 ? 'session' : 'sessions'}, ` +
    `${formatLongDate(firstSession(course).date)} – ${formatLongDate(lastSession(course).date)}, ${course.timezone}`
  );
}

/**
 * The composition root: config → logger → course → store → platform (Discord when a token is set,
 * else the terminal chat) → signals.
 * The course file is read before anything connects; a broken one throws `CourseFileError`.
 */
export async function start(options: StartOptions): Promise<void> {
  const { config, logger } = options;
  // Listen first: a signal that arrives before Node has a listener ends the process on the spot.
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    shutdown.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let store: SqliteStore | undefined;
  try {
    const loaded = loadCourseFile(config.courseFile, config.courseFileLabel);
    const clock = options.clock?.(loaded.course) ?? systemClock;
    logger.info(
      { file: config.courseFileLabel, bundled: config.courseFileIsBundled, sessions: loaded.course.sessions.length },
      'course loaded',
    );
    store = new SqliteStore(config.stateDb);
    logger.debug({ db: config.stateDb }, 'state store open');

    if (config.discord) {
      const bot = new DiscordBot({
        config: config.discord,
        store,
        logger: logger.child({ platform: 'discord' }),
        course: () => loaded.course,
        commands,
        clock,
      });
      const stopped = new Promise<void>((resolve) => {
        if (shutdown.signal.aborted) resolve();
        shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      const starting = bot.start();
      try {
        // A signal while still connecting stops the bot too.
        await Promise.race([starting, stopped]);
        await stopped;
      } finally {
        await bot.stop();
        await starting.catch(() => undefined);
      }
      return;
    }
    await runTerminal({
      input: options.input ?? process.stdin,
      output: options.output ?? process.stdout,
      course: () => loaded.course,
      commands,
      clock,
      signal: shutdown.signal,
      logger: logger.child({ platform: 'terminal' }),
      banner: [
        `course-bot: ${courseSummary(loaded)}`,
        `Course file: ${config.courseFileLabel}${config.courseFileIsBundled ? ' (bundled default)' : ''}`,
        'No platform token: terminal mode. Type /help for the commands, /quit or Ctrl-D to leave.',
        '',
      ].join('\n'),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store?.close();
    logger.debug('stopped');
  }
}
