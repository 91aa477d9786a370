import type { Command as Program } from 'commander';
import type { ReminderCounts } from '../store/reminders.js';
import { type CliContext, STATE_DB_OPTION, type SourceOptions, readingStore } from './context.js';

function lines(counts: ReminderCounts, indent = ''): string[] {
  return [
    `evening: ${counts.evening}`,
    `morning: ${counts.morning}`,
    `turned off by the bot, direct messages closed: ${counts.stoppedClosedDms}`,
    `turned off by the bot, left the server: ${counts.stoppedLeft}`,
  ].map((line) => `${indent}${line}`);
}

/**
 * `course-bot reminders`: counts of the reminders students opted into, per course. A store of one course prints
 * its four counts as ever; a store with several courses' subscriptions prints them per course, and those from
 * before reminders belonged to a course (moved to their course at the next start) apart.
 */
export function registerReminders(cli: Program, ctx: CliContext): void {
  cli
    .command('reminders')
    .description('Count the reminders students opted into with /remind, per course and by kind (counts only: subscriptions are student data)')
    .option(...STATE_DB_OPTION)
    .action(async (options: Pick<SourceOptions, 'stateDb'>) => {
      const stateDb = ctx.stateDb(options);
      const [{ reminderCounts, OLD_SUBSCRIPTIONS }, store] = await Promise.all([import('../store/reminders.js'), readingStore(stateDb)]);
      try {
        const byCourse = reminderCounts(store);
        const groups = [...byCourse.entries()];
        if (groups.length <= 1) {
          await ctx.print(lines(groups[0]?.[1] ?? { evening: 0, morning: 0, stoppedClosedDms: 0, stoppedLeft: 0 }).join('\n'));
          return;
        }
        const courses = groups.filter(([id]) => id !== OLD_SUBSCRIPTIONS).sort(([a], [b]) => a.localeCompare(b));
        const old = byCourse.get(OLD_SUBSCRIPTIONS);
        await ctx.print(
          [
            ...courses.flatMap(([id, counts]) => [`course ${id}:`, ...lines(counts, '  ')]),
            ...(old ? ['from before reminders belonged to a course (moved to their course at the next start):', ...lines(old, '  ')] : []),
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });
}
