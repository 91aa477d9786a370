import { REMINDER_KEY_PREFIX, parseReminderKey } from '../core/reminders.js';
import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { adoptOldSubscriptions, countOldSubscriptions } from '../store/reminders.js';

export interface OldRemindersInput {
  readonly store: StateStore;
  /** The ids of the courses running now. */
  readonly courses: readonly string[];
  /** `COURSES_DIR`'s label; undefined for the one course of `COURSE_FILE` (or the bundled one). */
  readonly dir?: string;
  readonly logger: Logger;
}

/** What became of the subscriptions from before they belonged to a course. */
export type OldRemindersOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'adopted'; readonly courseId: string; readonly moved: number; readonly kept: number }
  | { readonly kind: 'left'; readonly count: number };

/**
 * Moves the reminder subscriptions made before they belonged to a course (`reminder:sub:<platform>:<user>`) to
 * the course they were made in, at start. With one course (`COURSE_FILE`) that is the course; in a `COURSES_DIR`
 * it is the one running course when the folder holds one, else the one running course that the store's earlier
 * reminders (`remind:<course>:…`, written when the store served one course) name; when none or several fit they
 * are left alone (`course-bot reminders` counts them). Safe to run on every start and by two instances at once.
 * In a `COURSES_DIR` one log line says what was done.
 */
export function adoptOldReminders(input: OldRemindersInput): OldRemindersOutcome {
  const { store, courses, dir, logger } = input;
  const count = countOldSubscriptions(store);
  if (count === 0) return { kind: 'none' };
  const owner = dir === undefined || courses.length === 1 ? courses[0] : formerCourse(store, courses);
  if (owner === undefined) {
    logger.warn(
      { dir, count, courses },
      `${count} reminder subscription(s) from before reminders belonged to a course left alone: the store's earlier reminders name no single course of ${dir}`,
    );
    return { kind: 'left', count };
  }
  const { moved, kept } = adoptOldSubscriptions(store, owner);
  const log = { course: owner, moved, kept, ...(dir !== undefined && { dir }) };
  if (dir !== undefined) logger.info(log, `${moved} reminder subscription(s) from before reminders belonged to a course kept for course ${owner}`);
  else logger.debug(log, 'reminder subscriptions moved to the course');
  return { kind: 'adopted', courseId: owner, moved, kept };
}

/** The one running course named by the store's reminder claims, or undefined when none or several are. */
function formerCourse(store: StateStore, courses: readonly string[]): string | undefined {
  const named = new Set(store.listClaims(REMINDER_KEY_PREFIX).flatMap((record) => parseReminderKey(record.key)?.courseId ?? []));
  const fits = courses.filter((id) => named.has(id));
  return fits.length === 1 ? fits[0] : undefined;
}
