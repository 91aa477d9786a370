import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { abortableSleep } from '../sleep.js';
import type { Announcer } from '../announcer/announcer.js';
import { announcementKey } from '../announcer/plan.js';
import { scheduleChangeNotice } from '../core/announcement.js';
import type { Clock } from '../core/clock.js';
import { today } from '../core/course/calendar.js';
import {
  type AppliedChanges,
  type InFile,
  type ScheduleChange,
  type ScheduleDigest,
  type NumberedChange,
  applyChange,
  applyChanges,
  applyMoreChanges,
  canonicalJson,
  describeChange,
  noticeWindow,
  scheduleDiff,
  scheduleDigest,
  sessionDigestSchema,
} from '../core/course/changes.js';
import type { Course } from '../core/course/model.js';
import { UserFacingError } from '../core/errors.js';
import type { CourseFile } from '../core/course/schema.js';
import type {
  Actor,
  AnnounceOutcome,
  ChangeOutcome,
  ChangeRecord,
  ChangesVersion,
  HistoryEntry,
  ReloadOutcome,
  ScheduleAdmin,
  StateStore,
} from '../core/ports.js';
import { type ExportMarker, type LoadedCourse, formatIssue } from '../course-file/read.js';
import type { LiveCourse } from '../course-file/live-course.js';
import type { Logger } from '../log.js';
import { StateDbError } from '../store/state-db-error.js';

export interface LiveScheduleOptions {
  readonly live: LiveCourse;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The announcer once the platforms are up (notices and `/course announce` need it): `off` when no
   * announcement channel is configured, undefined while starting.
   */
  readonly announcer?: () => Announcer | 'off' | undefined;
  /** Told of every publish (a change, a reload, the start), as it begins: the scheduled events follow the schedule. */
  readonly onPublish?: (cause: string) => void;
}

const digestSchema = z.record(z.string(), sessionDigestSchema);

/**
 * What students were last told, kept in the store: the schedule as announced (`digest`, revision `rev`),
 * and the notice of the latest change while it is being posted (`pending`: its name, the day it was made,
 * the schedule before it), so that a crash or a stop mid-post leaves it to be posted by the next start.
 */
const publishedSchema = z.object({
  rev: z.number().int().nonnegative(),
  digest: digestSchema,
  pending: z.object({ name: z.string(), date: z.string(), from: digestSchema }).optional(),
});
interface PublishedRecord {
  readonly rev: number;
  readonly digest: ScheduleDigest;
  readonly pending?: { readonly name: string; readonly date: string; readonly from: ScheduleDigest };
}

/** What publishing a schedule did: the revision, and the dates students were told about. */
export interface Published {
  readonly rev: number;
  readonly dates: readonly string[];
}

const DATABASE_ID_KEY = 'store:id';

/** This state database's id (made on first use): change ids are only meaningful with it. */
export function databaseId(store: StateStore): string {
  let id = store.getValue(DATABASE_ID_KEY);
  if (id === undefined) {
    id = randomUUID();
    store.setValue(DATABASE_ID_KEY, id);
  }
  return id;
}

/**
 * Which stored changes an exported course file holds, when it was exported from this database: every change up
 * to `includedThrough` but those it names as `notIncluded` (they no longer applied when it was exported). Only
 * reads: a database without an id yet exported nothing, and reading the schedule must work when nothing can be
 * written. Empty when the file holds none of them.
 */
function inFile(loaded: Pick<LoadedCourse, 'exported'>, store: StateStore): InFile {
  const marker = loaded.exported;
  if (!marker || marker.database !== store.getValue(DATABASE_ID_KEY)) return {};
  return { includedThrough: marker.changesThrough, ...(marker.skipped && { notIncluded: marker.skipped }) };
}

function active(records: readonly ChangeRecord[]): NumberedChange[] {
  return records.filter((record) => record.undoneAt === undefined).map((record) => ({ id: record.id, change: record.change }));
}

/**
 * The course file with the course's stored changes (not undone) applied in order, but those it already
 * holds; `marker` says which changes the result holds (for `course-bot export`), read in the same pass: every
 * change up to the newest but the skipped ones. Only reads the store (no marker when the database has no id:
 * nothing was ever changed or exported with it).
 */
export function effectiveCourse(
  loaded: Pick<LoadedCourse, 'file' | 'exported'>,
  store: StateStore,
): AppliedChanges & { readonly marker?: ExportMarker } {
  const all = store.listChanges(loaded.file.course.id);
  const held = inFile(loaded, store);
  const applied = replayed(loaded, all, held);
  const database = store.getValue(DATABASE_ID_KEY);
  const through = all.at(-1)?.id ?? held.includedThrough ?? 0;
  const skipped = applied.skipped.map((entry) => entry.id);
  return {
    ...applied,
    ...(database !== undefined && { marker: { database, changesThrough: through, ...(skipped.length > 0 && { skipped }) } }),
  };
}

function replayed(loaded: Pick<LoadedCourse, 'file'>, all: readonly ChangeRecord[], held: InFile): AppliedChanges {
  return applyChanges(loaded.file, active(all), held);
}

function sameVersion(a: ChangesVersion, b: ChangesVersion): boolean {
  return a.count === b.count && a.lastId === b.lastId && a.undone === b.undone;
}

/** The version of a whole change log as read (what `changesVersion` says of it). */
function versionOf(records: readonly ChangeRecord[]): ChangesVersion {
  return { count: records.length, lastId: records.at(-1)?.id ?? 0, undone: records.filter((record) => record.undoneAt !== undefined).length };
}

/** The effective course as last read, and the course file and change log it was read from. */
interface Cached {
  readonly base: LoadedCourse;
  readonly version: ChangesVersion;
  readonly applied: AppliedChanges;
}

/**
 * What an instructor is told when the store cannot keep a change (its file deleted or replaced, the disk full or
 * failing): `Not saved: ` and the store's own line, which says what whoever runs the bot must do (the store has
 * told the log and the instructors' channel too). `Not posted: ` for `/course announce`.
 */
function refusal(error: StateDbError, prefix: 'Not saved' | 'Not posted'): UserFacingError {
  const line = error.message.charAt(0).toLowerCase() + error.message.slice(1);
  return new UserFacingError('unavailable', `${prefix}: ${error.message.startsWith('STATE_DB') ? error.message : line}`);
}

/** Runs a write of the store; a store that cannot keep what it writes becomes the instructor's answer. */
function storing<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof StateDbError) throw refusal(error, 'Not saved');
    throw error;
  }
}

function who(actor: Actor): string {
  return `${actor.platform}:${actor.id}${actor.name ? ` (${actor.name})` : ''}`;
}

/**
 * The schedule as it is now: the course file with the instructors' stored changes applied, read
 * again whenever the file or the changes (made here or by another instance) change. Implements the
 * `/course` actions, and tells students about changes in the next 7 days, once, however many
 * instances run.
 */
export class LiveSchedule implements ScheduleAdmin {
  readonly #options: LiveScheduleOptions;
  #cache: Cached | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #stopping = new AbortController();
  readonly #reportedSkips = new Set<number>();

  constructor(options: LiveScheduleOptions) {
    this.#options = options;
    // The running bot is the one writer: a database from before ids were given (changes, no id) gets its
    // id here, so that `course-bot export`, which writes nothing, can mark what its file holds.
    databaseId(options.store);
  }

  /** The effective course: what every command and the announcer see. */
  get course(): Course {
    return this.#applied().course;
  }

  /** The effective course file (file + changes), as `course-bot export` writes it. */
  get file(): CourseFile {
    return this.#applied().file;
  }

  /**
   * The effective course, read again when the file or the change log moved. When changes were only added
   * since the last read (the usual case: an edit here or in another instance), just those are applied on
   * top, so that an edit costs the same however many came before.
   */
  #applied(): AppliedChanges {
    const { live, store } = this.#options;
    const base = live.loaded;
    const courseId = base.file.course.id;
    let version = store.changesVersion(courseId);
    const cached = this.#cache?.base === base ? this.#cache : undefined;
    if (cached && sameVersion(cached.version, version)) return cached.applied;
    let applied: AppliedChanges | undefined;
    if (cached && version.lastId >= cached.version.lastId) {
      const added = store.listChanges(courseId, cached.version.lastId);
      const undoneAmongAdded = added.filter((record) => record.undoneAt !== undefined).length;
      // Nothing older was undone: the log is the cached one with `added` after it.
      if (version.count === cached.version.count + added.length && version.undone === cached.version.undone + undoneAmongAdded) {
        applied = applyMoreChanges(cached.applied, active(added), inFile(base, store));
      }
    }
    if (!applied) {
      const all = store.listChanges(courseId);
      applied = replayed(base, all, inFile(base, store));
      // The version of the rows applied: another instance may have stored a change since `version` was read,
      // and that change must not be applied a second time as "added" at the next read.
      version = versionOf(all);
    }
    for (const { id, reason } of applied.skipped) {
      if (this.#reportedSkips.has(id)) continue;
      this.#reportedSkips.add(id);
      this.#options.logger.warn({ change: id, reason }, 'a stored schedule change no longer applies to the course file; skipped');
    }
    this.#cache = { base, version, applied };
    return applied;
  }

  /**
   * Checks the change against the schedule as stored and stores it, in one transaction: a change another
   * instance stored a moment before is seen, and a change that no longer fits is refused with why, never
   * stored to be skipped later.
   */
  change(change: ScheduleChange, actor: Actor): Promise<ChangeOutcome> {
    const { store, clock, logger } = this.#options;
    try {
      const { before, after, record } = this.#storing(() => {
        const current = this.#applied();
        applyChange(current.file, change);
        // Change ids count per database: an export marks them with this id.
        databaseId(store);
        const stored = store.addChange(current.course.id, change, actor, clock.now().getTime());
        return { before: current.course, after: this.course, record: stored };
      });
      logger.info({ change: record.id, by: who(actor), what: describeChange(change) }, 'schedule changed');
      return Promise.resolve(this.#changed(before, after, record));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Undoes the newest change not yet undone, checked and stored in one transaction like a change. */
  undo(actor: Actor): Promise<ChangeOutcome | undefined> {
    const { store, clock, logger } = this.#options;
    try {
      const done = this.#storing(() => {
        const current = this.#applied();
        const latest = store.listChanges(current.course.id).findLast((candidate) => candidate.undoneAt === undefined);
        if (latest && current.included.includes(latest.id)) {
          throw new UserFacingError(
            'bad-option',
            `Change #${latest.id} is already in the course file (it was exported with it): edit the file to take it back.`,
          );
        }
        const record = store.undoChange(current.course.id, actor, clock.now().getTime());
        return record && { before: current.course, after: this.course, record };
      });
      if (!done) return Promise.resolve(undefined);
      logger.info({ change: done.record.id, by: who(actor), what: describeChange(done.record.change) }, 'schedule change undone');
      return Promise.resolve(this.#changed(done.before, done.after, done.record));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Runs `work` in one store transaction. The schedule read inside it may hold what the transaction wrote: when
   * the transaction does not commit, that read is forgotten (another instance's next change could reuse the id).
   * A store that lost its file becomes the instructor's answer.
   */
  #storing<T>(work: () => T): T {
    const { store } = this.#options;
    const before = this.#cache;
    try {
      return storing(() => store.transaction(work));
    } catch (error) {
      const read = this.#cache;
      if (read && read !== before) {
        try {
          if (!sameVersion(read.version, store.changesVersion(read.base.file.course.id))) this.#cache = undefined;
        } catch {
          this.#cache = undefined;
        }
      }
      throw error;
    }
  }

  #changed(before: Course, after: Course, record: ChangeRecord): ChangeOutcome {
    const window = noticeWindow(today(after, this.#options.clock.now()));
    const noticed = scheduleDiff(scheduleDigest(before), scheduleDigest(after), window.from, window.to).length > 0;
    this.publishInBackground(`change #${record.id}`);
    return { record, noticed };
  }

  history(): HistoryEntry[] {
    const courseId = this.#options.live.file.course.id;
    const applied = this.#applied();
    const skipped = new Map(applied.skipped.map((entry) => [entry.id, entry.reason]));
    const included = new Set(applied.included);
    return this.#options.store.listChanges(courseId).map((record) => {
      const reason = skipped.get(record.id);
      return { record, ...(reason !== undefined && { skipped: reason }), ...(included.has(record.id) && { inFile: true }) };
    });
  }

  async reload(actor: Actor): Promise<ReloadOutcome> {
    // Off the event loop: other chat answers and the health check go on while a large file is checked.
    const result = await this.#options.live.reloadOffThread(`/course reload by ${who(actor)}`);
    if (!result.ok) return { ok: false, problems: result.error.issues.map(formatIssue) };
    // The file watcher's reload publishes too; this waits for it, so the answer comes after the notice.
    if (result.changed) await this.publish('course file reloaded');
    return { ok: true, changed: result.changed, ...(result.recovered && { recovered: true }) };
  }

  async announce(actor: Actor): Promise<AnnounceOutcome> {
    const announcer = this.#announcer();
    const empty = { sent: [], already: [], failed: [], busy: [] };
    if (announcer === undefined) return { ...empty, nothing: 'The bot is still starting; try again in a moment.' };
    if (announcer === 'off') return { ...empty, nothing: 'No announcement channel is configured.' };
    const course = this.course;
    const date = today(course, this.#options.clock.now());
    if (!course.sessions.some((session) => session.date === date)) return { ...empty, nothing: 'There is no session today.' };
    this.#options.logger.info({ by: who(actor) }, 'announcement requested by an instructor');
    const report = await announcer.announceNow().catch((error: unknown) => {
      if (error instanceof StateDbError) throw refusal(error, 'Not posted');
      throw error;
    });
    const keys = announcer.targets.flatMap((target) =>
      (['weekly', 'daily'] as const).map((kind) => announcementKey(course, date, kind, target)),
    );
    const acted = new Set([...report.sent, ...report.recovered, ...report.failed, ...report.busy]);
    return {
      sent: [...report.sent, ...report.recovered],
      already: keys.filter((key) => !acted.has(key) && this.#options.store.getClaim(key)?.status === 'sent'),
      failed: report.failed,
      busy: report.busy,
    };
  }

  /** The announcer, `off` when there is none to ask for, undefined while starting. */
  #announcer(): Announcer | 'off' | undefined {
    return this.#options.announcer ? this.#options.announcer() : 'off';
  }

  /** Publishes without waiting (after a change or a reload); errors are logged. */
  publishInBackground(cause: string): void {
    this.publish(cause).catch((error: unknown) => this.#options.logger.error({ err: error, cause }, 'could not announce a schedule change'));
  }

  /**
   * Compares the schedule with the one students were last told about (kept in the store) and, when
   * dates in the next 7 days differ, posts one "Schedule change" notice and updates the posted
   * announcements of those dates. Revisions are written with a compare-and-set and the notice's key holds
   * the revision, so instances that see the same change post it once. Runs one at a time.
   */
  publish(cause: string): Promise<Published | undefined> {
    this.#options.onPublish?.(cause);
    const run = this.#queue.then(() => this.#publish(cause));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for notices being posted (shutdown). */
  async settle(): Promise<void> {
    await this.#queue;
  }

  /** Stops waiting for other instances' posts; a notice not yet posted stays pending for the next start. */
  stop(): void {
    this.#stopping.abort();
  }

  /** How long until the lease on a notice being posted elsewhere ends (at least 0.5 s, at most a minute). */
  #leaseWait(announcer: Announcer, stored: PublishedRecord): number {
    const now = this.#options.clock.now().getTime();
    const leases = announcer
      .noticeKeys(stored.pending!.name, stored.pending!.date)
      .map((noticeKey) => this.#options.store.getClaim(noticeKey))
      .filter((claim) => claim?.status === 'pending')
      .map((claim) => claim!.leaseUntil - now);
    return Math.min(Math.max(500, ...leases.map((ms) => ms + 100)), 60_000);
  }

  async #publish(cause: string): Promise<Published | undefined> {
    const { store, clock, logger } = this.#options;
    const announcer = this.#announcer();
    // Not started yet: leave the record as it is; the start's own publish catches up. Stopping: the next start.
    if (announcer === undefined || this.#stopping.signal.aborted) return undefined;
    const key = `schedule:${this.course.id}:published`;
    let published: Published | undefined;
    // Every write is a compare-and-set: of instances publishing at once, one writes each revision.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // The schedule as it is now (another instance may have changed it while this one waited).
      const course = this.course;
      const digest = scheduleDigest(course);
      const raw = store.getValue(key);
      const stored = this.#published(raw, key);
      if (!stored) {
        if (store.compareAndSetValue(key, raw, JSON.stringify({ rev: 0, digest }))) return published;
        continue;
      }
      const date = today(course, clock.now());
      if (stored.pending) {
        if (announcer === 'off' || stored.pending.date !== date) {
          // No channel any more, or a notice from another day: tell today's difference from what was announced.
          const { pending: _stale, ...rest } = stored;
          store.compareAndSetValue(key, raw, JSON.stringify({ ...rest, digest: stored.pending.from }));
          continue;
        }
        const delivered = await this.#deliver(announcer, stored, course);
        if (delivered === 'open') return published;
        if (delivered === 'busy') {
          // Another instance is posting it (or one that crashed held it): wait until its lease ends, then
          // go on; this one's own change may be newer. A stop ends the wait.
          await abortableSleep(this.#leaseWait(announcer, stored), this.#stopping.signal);
          if (this.#stopping.signal.aborted) return published;
          continue;
        }
        const { pending: _done, ...rest } = stored;
        store.compareAndSetValue(key, raw, JSON.stringify(rest));
        continue;
      }
      if (canonicalJson(stored.digest) === canonicalJson(digest)) return published;
      const rev = stored.rev + 1;
      const window = noticeWindow(date);
      const dates = scheduleDiff(stored.digest, digest, window.from, window.to).map((change) => change.date);
      const tell = dates.length > 0 && announcer !== 'off';
      const next: PublishedRecord = { rev, digest, ...(tell && { pending: { name: `r${rev}`, date, from: stored.digest } }) };
      if (!store.compareAndSetValue(key, raw, JSON.stringify(next))) continue;
      published = { rev, dates };
      if (tell) logger.info({ cause, rev, dates }, 'schedule changed; telling students');
      else if (dates.length > 0) logger.info({ cause, rev, dates }, 'schedule changed; no announcement channel to tell');
      else logger.info({ cause, rev }, 'schedule changed beyond the next 7 days; no notice');
      if (!tell) return published;
    }
    logger.warn({ cause }, 'the schedule kept changing under this publish; the next one picks it up');
    return published;
  }

  /**
   * Posts the pending notice of a stored revision (exactly once: the announcer's claims) and updates the
   * posted announcements of its dates. `done` when every target's post is settled (sent or failed),
   * `busy` while another instance is posting it, `open` when it was cut short (stopping).
   */
  async #deliver(announcer: Announcer, stored: PublishedRecord, course: Course): Promise<'done' | 'busy' | 'open'> {
    const pending = stored.pending!;
    const window = noticeWindow(pending.date);
    const changes = scheduleDiff(pending.from, stored.digest, window.from, window.to);
    const report = await announcer.notice(pending.name, scheduleChangeNotice(course, changes, pending.date), pending.date);
    const settled = announcer
      .noticeKeys(pending.name, pending.date)
      .every((noticeKey) => ['sent', 'failed'].includes(this.#options.store.getClaim(noticeKey)?.status ?? ''));
    if (!settled) return report.busy.length > 0 ? 'busy' : 'open';
    const revised = await announcer.revisePosted(changes.map((change) => change.date));
    this.#options.logger.info({ rev: stored.rev, sent: report.sent, failed: report.failed, revised }, 'schedule change announced');
    return 'done';
  }

  #published(raw: string | undefined, key: string): PublishedRecord | undefined {
    if (raw === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = publishedSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    this.#options.logger.warn({ key }, 'the stored published schedule is unreadable; starting from the current one');
    return undefined;
  }
}
