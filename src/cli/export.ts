import type { Command as Program } from 'commander';
import { COURSE_OPTION, type CliContext, STATE_DB_OPTION, type SourceOptions } from './context.js';

/** `course-bot export`: the effective course written as a course file. */
export function registerExport(cli: Program, ctx: CliContext): void {
  cli
    .command('export')
    .description('Write the effective course (the course file with the schedule changes made in chat) as a course file')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .option(...COURSE_OPTION)
    .option(...STATE_DB_OPTION)
    .action(async (options: SourceOptions & { out?: string }) => {
      const applied = await ctx.effective(options, 'is not in the export');
      const [{ exportYaml }, { courseSummary }] = await Promise.all([import('../course-file/export.js'), import('../course-file/summary.js')]);
      const text = exportYaml(applied.file, applied.courseLabel, applied.marker);
      await ctx.emit(text, options.out, () => courseSummary(applied));
    });
}
