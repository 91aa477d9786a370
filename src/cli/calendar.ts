import type { Command as Program } from 'commander';
import { COURSE_OPTION, type CliContext, STATE_DB_OPTION, type SourceOptions } from './context.js';

/** `course-bot calendar`: the schedule as an iCalendar file. */
export function registerCalendar(cli: Program, ctx: CliContext): void {
  cli
    .command('calendar')
    .description('Write the schedule (with the changes made in chat) as an iCalendar file students can import or subscribe to')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .option(...COURSE_OPTION)
    .option(...STATE_DB_OPTION)
    .action(async (options: SourceOptions & { out?: string }) => {
      const { course: current } = await ctx.effective(options, 'is not in the calendar');
      const [{ calendarIcs }, { systemClock }] = await Promise.all([import('../calendar/ics.js'), import('../core/clock.js')]);
      const ics = calendarIcs(current, { now: systemClock.now() });
      await ctx.emit(ics, options.out, () => `${current.sessions.length} events (${current.name}, ${current.timezone})`);
    });
}
