import { randomUUID } from 'node:crypto';
import {
  type AppliedChanges,
  type InFile,
  type NumberedChange,
  applyChanges,
  applyMoreChanges,
} from '../core/course/changes.js';
import type { Course } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';
import type { ChangeRecord, ChangesVersion, StateStore } from '../core/ports.js';
import type { ExportMarker, LoadedCourse } from '../course-file/read.js';
import type { LiveCourse } from '../course-file/live-course.js';
import type { Logger } from '../log.js';

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

/** The changes of a log not undone, in order. */
export function activeChanges(records: readonly ChangeRecord[]): NumberedChange[] {
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
  const applied = applyChanges(loaded.file, activeChanges(all), held);
  const database = store.getValue(DATABASE_ID_KEY);
  const through = all.at(-1)?.id ?? held.includedThrough ?? 0;
  const skipped = applied.skipped.map((entry) => entry.id);
  return {
    ...applied,
    ...(database !== undefined && { marker: { database, changesThrough: through, ...(skipped.length > 0 && { skipped }) } }),
  };
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

export interface LiveEffectiveCourseOptions {
  readonly live: LiveCourse;
  readonly store: StateStore;
  readonly logger: Logger;
}

/**
 * One course as it is now: its course file (as last read by `live`) with the instructors' stored changes
 * applied, read again whenever the file or the change log (written here or by another instance) moved. Only
 * reads; the schedule admin writes through `transaction`.
 */
export class LiveEffectiveCourse {
  readonly #options: LiveEffectiveCourseOptions;
  #cache: Cached | undefined;
  readonly #reportedSkips = new Set<number>();

  constructor(options: LiveEffectiveCourseOptions) {
    this.#options = options;
  }

  /** The course file being followed. */
  get live(): LiveCourse {
    return this.#options.live;
  }

  /** The course id (of the file as last read). */
  get id(): string {
    return this.#options.live.file.course.id;
  }

  /** The effective course: what every command and the announcer see. */
  get course(): Course {
    return this.applied().course;
  }

  /** The effective course file (file + changes), as `course-bot export` writes it. */
  get file(): CourseFile {
    return this.applied().file;
  }

  /**
   * The effective course, read again when the file or the change log moved. When changes were only added
   * since the last read (the usual case: an edit here or in another instance), just those are applied on
   * top, so that an edit costs the same however many came before.
   */
  applied(): AppliedChanges {
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
        applied = applyMoreChanges(cached.applied, activeChanges(added), inFile(base, store));
      }
    }
    if (!applied) {
      const all = store.listChanges(courseId);
      applied = applyChanges(base.file, activeChanges(all), inFile(base, store));
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
   * Runs `work` in one store transaction. The schedule read inside it may hold what the transaction wrote: when
   * the transaction does not commit, that read is forgotten (another instance's next change could reuse the id).
   */
  transaction<T>(work: () => T): T {
    const { store } = this.#options;
    const before = this.#cache;
    try {
      return store.transaction(work);
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
}
