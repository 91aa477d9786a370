import type { IsoDate, Weekday } from './dates.js';
import type { ResourceEntry, SessionFormat, SetupStep } from './schema.js';

export type Resource = ResourceEntry;
export type { SetupStep };

/** One day of the course, placed on its date. */
export interface Session {
  readonly date: IsoDate;
  readonly weekday: Weekday;
  /** The course week the date lies in. */
  readonly week: number;
  readonly topic?: string;
  readonly frameworks: readonly string[];
  readonly format?: SessionFormat;
  /** Resource ids named in the file for this session. */
  readonly resources: readonly string[];
  readonly note?: string;
  /** Set when the session was called off (it stays on the schedule, marked so). */
  readonly cancelled?: { readonly reason?: string };
}

export interface Week {
  readonly number: number;
  readonly title?: string;
  readonly summary?: string;
  /** Sorted by date. */
  readonly sessions: readonly Session[];
}

/** A validated course with every session on its date. */
export interface Course {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly start: IsoDate;
  /** Local time the day's lecture starts (`HH:MM`), when known. */
  readonly dayStart?: string;
  readonly repository?: string;
  readonly announcements: {
    /** Local `HH:MM` of the morning post. */
    readonly time: string;
    /** Local `HH:MM` until which a late bot still posts the day's announcement. */
    readonly catchUpUntil: string;
    readonly weeklyOverview: boolean;
  };
  /** Sorted by number. */
  readonly weeks: readonly Week[];
  /** Every session of every week, sorted by date. */
  readonly sessions: readonly Session[];
  readonly resources: readonly Resource[];
  readonly setup: readonly SetupStep[];
}

/** A problem in a course file: where (a path into the document) and what. */
export interface CourseIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** `['weeks', 0, 'sessions', 1, 'date']` → `weeks[0].sessions[1].date` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
}
