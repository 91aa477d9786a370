import type { Command as Program } from 'commander';
import { COURSE_OPTION, type CliContext, STATE_DB_OPTION, type SourceOptions, parseAt } from './context.js';

/** `course-bot ask`: one chat command answered as the bot would. */
export function registerAsk(cli: Program, ctx: CliContext): void {
  cli
    .command('ask')
    .description('Answer one chat command, such as "/week 2", as the bot would (schedule changes made in chat included)')
    .argument('<command line>', 'the command as typed in chat: "/today", "/week 2", "/resources hydra"')
    .option('--at <when>', 'answer as if it were this date or date-time (course zone unless an offset is given)')
    .option(...COURSE_OPTION)
    .option(...STATE_DB_OPTION)
    .action(async (line: string, options: SourceOptions & { at?: string }) => {
      const { course: current } = await ctx.effective(options, 'is not applied');
      const [{ systemClock }, { runCommandLine }, { commands }] = await Promise.all([
        import('../core/clock.js'),
        import('../core/commands/parse.js'),
        import('../core/commands/registry.js'),
      ]);
      const now = options.at !== undefined ? parseAt(options.at, current.timezone) : systemClock.now();
      const answer = await runCommandLine(line, { course: current, now, commands });
      await ctx.print(answer.text);
    });
}
