import { join } from 'node:path';
import type { Command as Program } from 'commander';
import type { Config } from '../config.js';
import { type CliContext, EXIT_INVALID, UsageError } from './context.js';

/**
 * Every course file of `COURSES_DIR`, one line each: valid with its summary, or refused with its first
 * problem (`validate <file>` lists them all). A second file with a course id already taken is refused as the
 * bot refuses it. Returns the labels of the refused files.
 */
async function validateFolder(settings: Config, ctx: CliContext): Promise<string[]> {
  const dir = settings.coursesDir!;
  const [{ courseFileNames }, { loadFetchingPlan }, { withPlanImporter }, { CourseFileError, formatIssue }, { courseSummary }, { printable }] =
    await Promise.all([
      import('./courses-dir.js'),
      import('./plan-reading.js'),
      import('../course-file/plan.js'),
      import('../course-file/read.js'),
      import('../course-file/summary.js'),
      import('../core/course/model.js'),
    ]);
  const names = courseFileNames(dir);
  if (names.length === 0) throw new UsageError(`COURSES_DIR ${dir.label}: holds no course file (one *.yaml per course)`);
  const refused: string[] = [];
  const ids = new Map<string, string>();
  for (const name of names) {
    const label = `${dir.label.replace(/\/$/, '')}/${name}`;
    try {
      const loaded = await withPlanImporter(() => loadFetchingPlan(join(dir.path, name), label, settings.plan.sourceToken));
      const taken = ids.get(loaded.course.id);
      if (taken !== undefined) {
        refused.push(label);
        await ctx.print(`${printable(label)}: refused: course.id "${printable(loaded.course.id)}" is taken by ${printable(taken)}; give this course its own id`);
        continue;
      }
      ids.set(loaded.course.id, label);
      await ctx.print(`${printable(label)}: valid. ${courseSummary(loaded)}`);
    } catch (error) {
      if (!(error instanceof CourseFileError)) throw error;
      refused.push(label);
      const first = error.issues[0];
      const more = error.count > 1 ? ` (and ${error.count - 1} more: run course-bot validate ${printable(label)})` : '';
      await ctx.print(`${printable(label)}: refused: ${first ? formatIssue(first) : 'cannot be used'}${more}`);
    }
  }
  return refused;
}

/** `course-bot validate`: checks a course file, or every course file of `COURSES_DIR`. */
export function registerValidate(cli: Program, ctx: CliContext): void {
  cli
    .command('validate')
    .description('Check a course file and print a summary, or every problem with its line; with COURSES_DIR, every course file (one line each)')
    .argument('[file]', 'the course file (default: the configured one; with COURSES_DIR, every file there)')
    .option('--course <id>', 'with COURSES_DIR: check only the course with this course.id')
    .action(async (file: string | undefined, options: { course?: string }) => {
      if (file?.trim() === '') throw new UsageError('validate needs a file name (leave it out to check the configured course file)');
      if (file !== undefined && options.course !== undefined) throw new UsageError('validate takes a file or --course <id>, not both');
      const [{ printable }, { courseSummary }] = await Promise.all([import('../core/course/model.js'), import('../course-file/summary.js')]);
      if (file === undefined) {
        const settings = ctx.config();
        if (settings.coursesDir !== undefined && options.course === undefined) {
          const refused = await validateFolder(settings, ctx);
          if (refused.length > 0) {
            await ctx.warn(`${refused.length} of the course files refused: ${refused.map(printable).join(', ')}`);
            ctx.setStatus(EXIT_INVALID);
          }
          return;
        }
        if (options.course !== undefined) {
          const { path, courseLabel } = await ctx.sources({ course: options.course });
          const [{ loadFetchingPlan }, { withPlanImporter }] = await Promise.all([import('./plan-reading.js'), import('../course-file/plan.js')]);
          const loaded = await withPlanImporter(() => loadFetchingPlan(path, courseLabel, settings.plan.sourceToken));
          await ctx.print(`${printable(loaded.path)}: valid. ${courseSummary(loaded)}`);
          return;
        }
      }
      const loaded = await ctx.course(file);
      await ctx.print(`${printable(loaded.path)}: valid. ${courseSummary(loaded)}`);
    });
}
