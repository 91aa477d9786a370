import { resolve } from 'node:path';
import type { Command as Program } from 'commander';
import { type CliContext, UsageError } from './context.js';

interface ImportOptions {
  readonly start?: string;
  readonly year?: string;
  readonly timezone?: string;
  readonly name?: string;
  readonly id?: string;
  readonly baseUrl?: string;
  readonly strict?: boolean;
  readonly out?: string;
}

/** A Markdown file's text: UTF-8 (a BOM is fine); UTF-16 or binary is refused in one line. */
function markdownText(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UsageError(`${file}: is UTF-16 text; save it as UTF-8 (most editors: "Save with encoding") and import again`);
  }
  if (bytes.includes(0)) throw new UsageError(`${file}: is not a text file (it holds NUL bytes); give the Markdown time plan`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${file}: is not UTF-8 text; save it as UTF-8 and import again`);
  }
}

/** `course-bot import`: a Markdown time plan made into a course file. */
export function registerImport(cli: Program, ctx: CliContext): void {
  cli
    .command('import')
    .description("Read a course's Markdown time plan and write a course file that passes validate")
    .argument('<file.md>', 'the time plan: tables of sessions by date or weekday, one table a week or one for the course')
    .option('--start <YYYY-MM-DD>', 'the first day of week 1 (needed when the tables have no dates)')
    .option('--year <YYYY>', 'the year of dates written as D/M')
    .option('--timezone <zone>', 'the course time zone (IANA name; default UTC, said so)')
    .option('--name <name>', 'the course name (default: the front matter title, else the first heading)')
    .option('--id <id>', 'the course id (default: from the name)')
    .option('--base-url <url>', "the plan's web address: relative links in it become resources (else they are dropped)")
    .option('--strict', 'refuse the plan (exit 1) when anything was not understood, instead of warning')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .action(async (file: string, options: ImportOptions) => {
      if (options.year !== undefined && !/^\d{4}$/.test(options.year)) throw new UsageError(`--year: "${options.year}" is not a year`);
      if (options.baseUrl !== undefined && !/^https?:\/\/[^/\s]+/i.test(options.baseUrl)) {
        throw new UsageError(`--base-url: "${options.baseUrl}" is not an http(s) URL`);
      }
      if (file.trim() === '') throw new UsageError('import needs the Markdown file of the time plan');
      const [{ FileRefusal, readRegularFile }, { COURSE_FILE_LIMITS }, { ImportError, courseYaml, importPlan }] = await Promise.all([
        import('../regular-file.js'),
        import('../course-file/read.js'),
        import('../course-file/import-markdown.js'),
      ]);
      let bytes: Buffer;
      try {
        // Read as the course file is: only a regular file (a FIFO or /dev/zero would wait, or read, forever).
        bytes = readRegularFile(resolve(ctx.cwd, file), COURSE_FILE_LIMITS.bytes, 'a time plan');
      } catch (error) {
        if (!(error instanceof FileRefusal)) throw error;
        throw new UsageError(`${file}: ${error.message}`);
      }
      const markdown = markdownText(bytes, file);
      const { course: doc, warnings, guesses } = importPlan(markdown, {
        source: file,
        ...(options.timezone !== undefined && { timezone: options.timezone }),
        ...(options.start !== undefined && { start: options.start }),
        ...(options.year !== undefined && { year: Number(options.year) }),
        ...(options.name !== undefined && { name: options.name }),
        ...(options.id !== undefined && { id: options.id }),
        ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
      });
      if (options.strict && warnings.length) {
        throw new ImportError(file, [...warnings.map((warning) => warning.text), `--strict: ${warnings.length} warning(s) above; nothing written`]);
      }
      // After the write: an --out that cannot be written is then the one line the user sees.
      await ctx.emit(courseYaml(doc, file), options.out, () => {
        const sessions = (doc.weeks ?? []).reduce((sum, week) => sum + (week.sessions?.length ?? 0), 0);
        return `${doc.weeks?.length ?? 0} weeks, ${sessions} sessions from ${file}`;
      });
      for (const warning of warnings) await ctx.warn(`warning: ${warning.text}`);
      for (const guess of guesses) await ctx.warn(`guessed: ${guess.text}`);
    });
}
