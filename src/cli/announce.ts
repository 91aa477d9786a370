import type { Command as Program } from 'commander';
import type { Config } from '../config.js';
import type { Course } from '../core/course/model.js';
import { COURSE_OPTION, type CliContext, EXIT_INVALID, STATE_DB_OPTION, type SourceOptions, UsageError, loggerFor } from './context.js';
import { writeToStream } from './output.js';

/** The morning announcement of `date` with a heading, or a line saying there is none. */
async function announcementText(current: Course, date: string): Promise<string> {
  const [{ morningAnnouncement }, { formatLongDate }] = await Promise.all([import('../core/announcement.js'), import('../core/course/dates.js')]);
  const announcement = morningAnnouncement(current, date);
  if (!announcement) return `No announcement on ${formatLongDate(date)}: there is no session that day.`;
  return `Announcement for ${formatLongDate(date)} at ${current.announcements.time} (${current.timezone}):\n\n${announcement.text}`;
}

/**
 * `announce --now`: today's announcements through the announcer, so a later morning run never repeats them.
 * Posts through the platform modules' messengers for the course's targets, as the running bot does (so the
 * same keys); through standard output when no platform is configured.
 */
async function announceNow(settings: Config, ctx: CliContext, courseOption: string | undefined): Promise<number> {
  const [{ CourseFileError, loadCourseFile }, { effectiveCourse }, { cachedPlanReader }] = await Promise.all([
    import('../course-file/read.js'),
    import('../schedule/effective-course.js'),
    import('./plan-reading.js'),
  ]);
  // With COURSES_DIR, the course `--course <id>` names (needed when there are several), posted to its own targets.
  const { path: courseFile, courseLabel } =
    settings.coursesDir === undefined ? { path: settings.courseFile, courseLabel: settings.courseFileLabel } : await ctx.sources({ course: courseOption });
  // The course is checked first (a broken file creates nothing); a plan URL is then read from the copy the
  // bot keeps in the state database, as the bot itself starts when the URL is down.
  const plain = (() => {
    try {
      return loadCourseFile(courseFile, courseLabel);
    } catch (error) {
      if (error instanceof CourseFileError && error.issues.every((issue) => issue.path === 'plan.source')) return undefined;
      throw error;
    }
  })();
  const logger = loggerFor(settings);
  const [{ openStore }, { createAnnouncer }, { configuredPlatforms }, { singleCourseTargets }, { ReminderBook }, { systemClock }, { today }] =
    await Promise.all([
      import('../main.js'),
      import('../courses/announcing.js'),
      import('../platforms/platform.js'),
      import('../courses/targets.js'),
      import('../store/reminders.js'),
      import('../core/clock.js'),
      import('../core/course/calendar.js'),
    ]);
  const store = openStore(settings, { onTrouble: () => undefined, onRecovered: () => undefined });
  try {
    const file = plain ?? loadCourseFile(courseFile, courseLabel, { plan: cachedPlanReader(store) });
    // What the bot posts: the file with the instructors' changes.
    const loaded = effectiveCourse(file, store);
    // The same targets, and so the same keys, as the running bot: the one course's file `targets:` or else the
    // environment's channels (a course of COURSES_DIR: its own `targets:`, on the platforms configured).
    const targets = settings.coursesDir === undefined ? singleCourseTargets(file.file.targets, settings) : (file.file.targets ?? {});
    const binding = { targets, reminders: new ReminderBook(store, settings.reminders.evening, loaded.course.id) };
    const modules = await configuredPlatforms(settings);
    const posters = await Promise.all(modules.map((module) => module.poster(settings, logger)));
    const messengers = posters.flatMap((poster) => poster.forCourse(binding).announce);
    if (messengers.length === 0) {
      const { terminalPoster } = await import('../platforms/terminal/platform.js');
      messengers.push(...terminalPoster(ctx.io.stdout).forCourse(binding).announce);
    }
    const announcer = createAnnouncer({ config: settings, logger, store, clock: systemClock, course: () => loaded.course, messengers });
    const date = today(loaded.course, systemClock.now());
    const [{ morningAnnouncement }, { formatLongDate }] = await Promise.all([import('../core/announcement.js'), import('../core/course/dates.js')]);
    if (!morningAnnouncement(loaded.course, date)) {
      await ctx.print(`No announcement on ${formatLongDate(date)}: there is no session that day.`);
      return 0;
    }
    const report = await announcer.announceNow();
    const lines: string[] = [];
    if (report.sent.length + report.recovered.length + report.failed.length + report.busy.length === 0) {
      lines.push(`Today's announcement (${formatLongDate(date)}) was already posted to ${announcer.targets.join(', ')}.`);
    }
    for (const key of report.sent) lines.push(`Posted ${key}`);
    for (const key of report.recovered) lines.push(`Already posted (found in the channel): ${key}`);
    for (const key of report.busy) lines.push(`Another instance is posting ${key} right now.`);
    if (lines.length) await ctx.print(lines.join('\n'));
    for (const key of report.failed) await writeToStream(ctx.io.stderr, `Failed: ${key} (see the log)\n`, 'standard error');
    return report.failed.length ? EXIT_INVALID : 0;
  } finally {
    store.close();
  }
}

/** `course-bot announce`: today's announcement posted now, or a day's printed. */
export function registerAnnounce(cli: Program, ctx: CliContext): void {
  cli
    .command('announce')
    .description("Post today's announcement now (--now), or print a day's announcement (--dry-run) as the bot would post it")
    .option('--now', "post today's announcement now, through the same exactly-once path as the morning post")
    .option('--dry-run', 'print the announcement instead of posting it (schedule changes made in chat included)')
    .option('--date <YYYY-MM-DD>', 'with --dry-run: the day to show (default: today in the course zone)')
    .option(COURSE_OPTION[0], `with --dry-run, or with --now when COURSES_DIR is set: ${COURSE_OPTION[1]}`)
    .option(STATE_DB_OPTION[0], `with --dry-run: ${STATE_DB_OPTION[1]}`)
    .action(async (options: SourceOptions & { now?: boolean; dryRun?: boolean; date?: string }) => {
      if (options.dryRun) {
        const { isIsoDate } = await import('../core/course/dates.js');
        if (options.date !== undefined && !isIsoDate(options.date)) {
          throw new UsageError(`--date: "${options.date}" is not a date (use YYYY-MM-DD)`);
        }
        const { course: current } = await ctx.effective(options, 'is not applied');
        const [{ today }, { systemClock }] = await Promise.all([import('../core/course/calendar.js'), import('../core/clock.js')]);
        await ctx.print(await announcementText(current, options.date ?? today(current, systemClock.now())));
        return;
      }
      if (!options.now) throw new UsageError('announce needs --now (post) or --dry-run (print)');
      const settings = ctx.config();
      // With COURSES_DIR, --course <id> says which course posts; otherwise --now posts the configured course.
      const courseGoes = settings.coursesDir !== undefined;
      if (options.date !== undefined || (options.course !== undefined && !courseGoes) || options.stateDb !== undefined) {
        throw new UsageError(
          courseGoes
            ? '--date and --state-db go with --dry-run; --now posts today’s announcement of the course --course <id> names'
            : '--date, --course and --state-db go with --dry-run; --now posts today’s announcement of the configured course',
        );
      }
      ctx.setStatus(await announceNow(settings, ctx, options.course));
    });
}
