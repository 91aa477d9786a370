import { announcementKey } from '../announcer/plan.js';
import type { Clock } from '../core/clock.js';
import { today } from '../core/course/calendar.js';
import { type ScheduleChange, applyChange, describeChange, noticeWindow, scheduleDiff, scheduleDigestWithin } from '../core/course/changes.js';
import type { Course } from '../core/course/model.js';
import { UserFacingError } from '../core/errors.js';
import type { Actor, AnnounceOutcome, ChangeOutcome, ChangeRecord, HistoryEntry, ReloadOutcome, ScheduleAdmin, StateStore } from '../core/ports.js';
import { formatIssue } from '../course-file/read.js';
import type { Logger } from '../log.js';
import { StateDbError, asSentenceTail } from '../store/state-db-error.js';
import { type LiveEffectiveCourse, databaseId } from './effective-course.js';
import type { SchedulePublisher } from './publisher.js';

export interface CourseAdminOptions {
  readonly effective: LiveEffectiveCourse;
  readonly publisher: SchedulePublisher;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * What an instructor is told when the store cannot keep a change (its file deleted or replaced, the disk full or
 * failing): `Not saved: ` and the store's own line, which says what whoever runs the bot must do (the store has
 * told the log and the instructors' channel too). `Not posted: ` for `/course announce`.
 */
function refusal(error: StateDbError, prefix: 'Not saved' | 'Not posted'): UserFacingError {
  return new UserFacingError('unavailable', `${prefix}: ${asSentenceTail(error.message)}`);
}

function who(actor: Actor): string {
  return `${actor.platform}:${actor.id}${actor.name ? ` (${actor.name})` : ''}`;
}

/**
 * The `/course` actions of one course: change, undo, history, reload, announce. Changes are checked and
 * stored in one transaction; each is followed by a publish (students are told of changes in the next 7 days).
 */
export class CourseAdmin implements ScheduleAdmin {
  readonly #options: CourseAdminOptions;

  constructor(options: CourseAdminOptions) {
    this.#options = options;
    // The running bot is the one writer: a database from before ids were given (changes, no id) gets its
    // id here, so that `course-bot export`, which writes nothing, can mark what its file holds.
    databaseId(options.store);
  }

  /**
   * Checks the change against the schedule as stored and stores it, in one transaction: a change another
   * instance stored a moment before is seen, and a change that no longer fits is refused with why, never
   * stored to be skipped later.
   */
  change(change: ScheduleChange, actor: Actor): Promise<ChangeOutcome> {
    const { store, clock, logger, effective } = this.#options;
    try {
      const { before, after, record } = this.#storing(() => {
        const current = effective.applied();
        applyChange(current.file, change);
        // Change ids count per database: an export marks them with this id.
        databaseId(store);
        const stored = store.addChange(current.course.id, change, actor, clock.now().getTime());
        return { before: current.course, after: effective.course, record: stored };
      });
      logger.info({ change: record.id, by: who(actor), what: describeChange(change) }, 'schedule changed');
      return Promise.resolve(this.#changed(before, after, record));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Undoes the newest change not yet undone, checked and stored in one transaction like a change. */
  undo(actor: Actor): Promise<ChangeOutcome | undefined> {
    const { store, clock, logger, effective } = this.#options;
    try {
      const done = this.#storing(() => {
        const current = effective.applied();
        const latest = store.listChanges(current.course.id).findLast((candidate) => candidate.undoneAt === undefined);
        if (latest && current.included.includes(latest.id)) {
          throw new UserFacingError(
            'bad-option',
            `Change #${latest.id} is already in the course file (it was exported with it): edit the file to take it back.`,
          );
        }
        const record = store.undoChange(current.course.id, actor, clock.now().getTime());
        return record && { before: current.course, after: effective.course, record };
      });
      if (!done) return Promise.resolve(undefined);
      logger.info({ change: done.record.id, by: who(actor), what: describeChange(done.record.change) }, 'schedule change undone');
      return Promise.resolve(this.#changed(done.before, done.after, done.record));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Runs a write in one transaction; a store that cannot keep what it writes becomes the instructor's answer. */
  #storing<T>(work: () => T): T {
    try {
      return this.#options.effective.transaction(work);
    } catch (error) {
      if (error instanceof StateDbError) throw refusal(error, 'Not saved');
      throw error;
    }
  }

  #changed(before: Course, after: Course, record: ChangeRecord): ChangeOutcome {
    const window = noticeWindow(today(after, this.#options.clock.now()));
    const within = (course: Course) => scheduleDigestWithin(course, window.from, window.to);
    const noticed = scheduleDiff(within(before), within(after), window.from, window.to).length > 0;
    this.#options.publisher.publishInBackground(`change #${record.id}`);
    return { record, noticed };
  }

  history(): HistoryEntry[] {
    const { effective, store } = this.#options;
    const courseId = effective.id;
    const applied = effective.applied();
    const skipped = new Map(applied.skipped.map((entry) => [entry.id, entry.reason]));
    const included = new Set(applied.included);
    return store.listChanges(courseId).map((record) => {
      const reason = skipped.get(record.id);
      return { record, ...(reason !== undefined && { skipped: reason }), ...(included.has(record.id) && { inFile: true }) };
    });
  }

  async reload(actor: Actor): Promise<ReloadOutcome> {
    // Off the event loop: other chat answers and the health check go on while a large file is checked.
    const result = await this.#options.effective.live.reloadOffThread(`/course reload by ${who(actor)}`);
    if (!result.ok) return { ok: false, problems: result.error.issues.map(formatIssue) };
    // The file watcher's reload publishes too; this waits for it, so the answer comes after the notice.
    if (result.changed) await this.#options.publisher.publish('course file reloaded');
    return { ok: true, changed: result.changed, ...(result.recovered && { recovered: true }) };
  }

  async announce(actor: Actor): Promise<AnnounceOutcome> {
    const { publisher, effective, clock, logger, store } = this.#options;
    const port = publisher.port;
    const empty = { sent: [], already: [], failed: [], busy: [] };
    if (port === undefined) return { ...empty, nothing: 'The bot is still starting; try again in a moment.' };
    if (port.targets.length === 0) return { ...empty, nothing: 'No announcement channel is configured.' };
    const course = effective.course;
    const date = today(course, clock.now());
    if (!course.sessions.some((session) => session.date === date)) return { ...empty, nothing: 'There is no session today.' };
    logger.info({ by: who(actor) }, 'announcement requested by an instructor');
    const report = await port.announceNow().catch((error: unknown) => {
      if (error instanceof StateDbError) throw refusal(error, 'Not posted');
      throw error;
    });
    const keys = port.targets.flatMap((target) => (['weekly', 'daily'] as const).map((kind) => announcementKey(course, date, kind, target)));
    const acted = new Set([...report.sent, ...report.recovered, ...report.failed, ...report.busy]);
    return {
      sent: [...report.sent, ...report.recovered],
      already: keys.filter((key) => !acted.has(key) && store.getClaim(key)?.status === 'sent'),
      failed: report.failed,
      busy: report.busy,
    };
  }
}
