import type { IsoDate, Weekday } from './dates.js';
import type { ResourceEntry, SessionFormat, SetupStep } from './schema.js';
import { thousands } from '../text.js';

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
  /** Where it takes place, when the file says. */
  readonly location?: string;
  /** Local `HH:MM` it ends, when the file says. */
  readonly end?: string;
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
  /** Local time a session day ends (`HH:MM`), when known. */
  readonly dayEnd?: string;
  /** Where sessions take place, when the file says. */
  readonly location?: string;
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

/** `['weeks', 0, 'sessions', 1, 'date']` → `weeks[0].sessions[1].date`; an odd key is quoted: `x["two words"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    if (!PLAIN_KEY.test(part)) return `${out}[${quoted(part)}]`;
    return out ? `${out}.${part}` : part;
  }, '');
}

const PLAIN_KEY = /^[^\s."'[\]\p{C}\p{Z}]{1,60}$/u;
const PLAIN_VALUE = /^[^"\p{C}\p{Zl}\p{Zp}]{1,60}$/u;
/** Characters that would break a one-line message or hide in it: controls, line separators, invisible formats. */
const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/gu;
const SHOWN_LENGTH = 60;

/** A value for a message: as written when it is short plain text, else quoted (see `quoted`). */
export function shown(value: string): string {
  return PLAIN_VALUE.test(value) && value.trim() === value ? value : quoted(value);
}

/**
 * A value for a message, always quoted, on one line and short: control characters and line breaks
 * are escaped (`\n`, `\u{0}`), and a long value is cut with its length given.
 */
export function quoted(value: string): string {
  const cut = value.length > SHOWN_LENGTH;
  // Not in the middle of a surrogate pair.
  const head = cut ? value.slice(0, /[\uD800-\uDBFF]/.test(value.charAt(SHOWN_LENGTH - 1)) ? SHOWN_LENGTH - 1 : SHOWN_LENGTH) : value;
  const text = printable(head.replace(/["\\]/g, '\\$&'));
  return cut ? `"${text}…" (${thousands(value.length)} characters)` : `"${text}"`;
}

/** The text with control characters, line breaks and invisible format characters escaped, so it stays one line. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';
    return `\\u{${char.codePointAt(0)!.toString(16)}}`;
  });
}
