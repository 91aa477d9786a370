import type { Command as Program } from 'commander';
import { COURSE_OPTION, type CliContext, STATE_DB_OPTION, type SourceOptions, readingStore } from './context.js';

/** `course-bot plan`: where the schedule comes from. */
export function registerPlan(cli: Program, ctx: CliContext): void {
  cli
    .command('plan')
    .description('Print where the schedule comes from: the course file, a plan file, or a plan URL (last fetched, ETag, warnings)')
    .option(...COURSE_OPTION)
    .option(...STATE_DB_OPTION)
    .action(async (options: SourceOptions) => {
      const { path, courseLabel, stateDb } = await ctx.sources(options);
      const [{ planReport }, store] = await Promise.all([import('./plan-reading.js'), readingStore(stateDb)]);
      try {
        await ctx.print(planReport(path, courseLabel, store));
      } finally {
        store.close();
      }
    });
}
