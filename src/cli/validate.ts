import type { Command as Program } from 'commander';
import { type CliContext, UsageError } from './context.js';

/** `course-bot validate`: checks a course file. */
export function registerValidate(cli: Program, ctx: CliContext): void {
  cli
    .command('validate')
    .description('Check a course file and print a summary, or every problem with its line')
    .argument('[file]', 'the course file (default: the configured one)')
    .action(async (file: string | undefined) => {
      if (file?.trim() === '') throw new UsageError('validate needs a file name (leave it out to check the configured course file)');
      const loaded = await ctx.course(file);
      const [{ printable }, { courseSummary }] = await Promise.all([import('../core/course/model.js'), import('../course-file/summary.js')]);
      await ctx.print(`${printable(loaded.path)}: valid. ${courseSummary(loaded)}`);
    });
}
