import type { Command as Program } from 'commander';
import type { Course } from '../core/course/model.js';
import { type CliContext, loggerFor, parseAt } from './context.js';

/** `course-bot start`: runs the bot. */
export function registerStart(cli: Program, ctx: CliContext): void {
  cli
    .command('start')
    .description('Run the bot (a local terminal chat when no platform token is set)')
    .option('--at <when>', 'run with the clock starting at this date or date-time (to try a course before it begins)')
    .action(async (options: { at?: string }) => {
      const settings = ctx.config();
      const logger = loggerFor(settings);
      const { at } = options;
      // `--at` is the time at this moment, not once the course has been read (which takes longer on a busy machine).
      const began = new Date();
      // Checked before anything starts; the course's zone is known only once the bot has read the file.
      if (at !== undefined) parseAt(at, 'UTC');
      const [{ shiftedClock }, { start }] = await Promise.all([import('../core/clock.js'), import('../main.js')]);
      const clock = at !== undefined ? (current: Course) => shiftedClock(parseAt(at, current.timezone), undefined, began) : undefined;
      // A stop must not hang: whatever is still open 10 s after SIGTERM/SIGINT, the process ends.
      const watchdog = () =>
        setTimeout(() => {
          logger.error('shutdown took longer than 10 s; exiting anyway');
          process.exit(1);
        }, 10_000).unref();
      process.once('SIGTERM', watchdog);
      process.once('SIGINT', watchdog);
      try {
        await start({ config: settings, logger, ...(clock && { clock }) });
      } finally {
        // Stopped, or a platform refused (everything is closed either way): a socket still waiting for a
        // peer's goodbye (ws waits up to 30 s for a close frame from a gateway that went away) must not
        // keep the process alive, since a supervisor restarts it only once it has exited. The exit code
        // is the one `run` sets.
        setTimeout(() => process.exit(), 2_000).unref();
      }
    });
}
