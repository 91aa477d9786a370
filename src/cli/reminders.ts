import type { Command as Program } from 'commander';
import { type CliContext, STATE_DB_OPTION, type SourceOptions, readingStore } from './context.js';

/** `course-bot reminders`: counts of the reminders students opted into. */
export function registerReminders(cli: Program, ctx: CliContext): void {
  cli
    .command('reminders')
    .description('Count the reminders students opted into with /remind, by kind (counts only: subscriptions are student data)')
    .option(...STATE_DB_OPTION)
    .action(async (options: Pick<SourceOptions, 'stateDb'>) => {
      const stateDb = ctx.stateDb(options);
      const [{ ReminderBook }, store] = await Promise.all([import('../store/reminders.js'), readingStore(stateDb)]);
      try {
        const counts = new ReminderBook(store, ctx.config().reminders.evening).counts();
        await ctx.print(
          [
            `evening: ${counts.evening}`,
            `morning: ${counts.morning}`,
            `turned off by the bot, direct messages closed: ${counts.stoppedClosedDms}`,
            `turned off by the bot, left the server: ${counts.stoppedLeft}`,
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });
}
