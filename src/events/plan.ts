import { isHeld, sessionOn, today } from '../core/course/calendar.js';
import { type IsoDate, addDays, isIsoDate, zonedInstant } from '../core/course/dates.js';
import type { Course, Session } from '../core/course/model.js';
import { sessionResources } from '../core/views.js';

/**
 * Where the store keeps the event of one session: `events:<scope>:<course id>:<date>`. The scope
 * (`discord:<guild id>`) may contain colons, a course id (a slug) may not.
 */
export interface EventKey {
  readonly scope: string;
  readonly courseId: string;
  readonly date: IsoDate;
}

/** The key's string form; throws on one that could not be read back (a colon in the course id, an empty part): a bug. */
export function formatEventKey(key: EventKey): string {
  const { scope, courseId, date } = key;
  if (scope === '' || courseId === '' || courseId.includes(':') || !isIsoDate(date)) throw new Error(`not an event key: ${JSON.stringify(key)}`);
  return `${eventKeyPrefix(scope, courseId)}${date}`;
}

/** The parts of an event key, or undefined when it is none: the exact inverse of {@link formatEventKey}. */
export function parseEventKey(text: string): EventKey | undefined {
  const match = /^events:(.+):([^:]+):(\d{4}-\d{2}-\d{2})$/s.exec(text);
  if (!match) return undefined;
  const [, scope, courseId, date] = match as unknown as [string, string, string, string];
  return isIsoDate(date) ? { scope, courseId, date } : undefined;
}

/** The start of every event key of a course in a scope (`listKeys` takes it). */
export function eventKeyPrefix(scope: string, courseId: string): string {
  return `events:${scope}:${courseId}:`;
}

/** Discord's limits on a guild scheduled event. */
export const EVENT_LIMITS = {
  name: 100,
  description: 1_000,
  location: 100,
  /** Scheduled and active events per server, the bot's and everyone else's. */
  perGuild: 100,
} as const;

/** How long an event lasts when neither the session nor the course gives an end. */
export const DEFAULT_EVENT_HOURS = 8;

/** One session day as the event the server should show. Times are epoch ms. */
export interface EventSpec {
  readonly date: IsoDate;
  readonly name: string;
  readonly description: string;
  readonly location: string;
  readonly start: number;
  readonly end: number;
}

/** A scheduled event the server has, in neutral form. */
export interface RemoteEvent {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly location: string;
  readonly start: number;
  readonly end?: number;
  /** `scheduled` may be edited or cancelled; `active` (started) is left alone. */
  readonly status: 'scheduled' | 'active';
  /** Created by this bot's user. */
  readonly mine: boolean;
}

/** An event of the bot's, with the session date it stands for (from the marker or the store). */
export interface OwnEvent extends RemoteEvent {
  readonly date: IsoDate;
}

/** What the sync does: create an event, edit one (`from` its old date: a move when it differs), or cancel one. */
export type EventAction =
  | { readonly kind: 'create'; readonly spec: EventSpec }
  | { readonly kind: 'edit'; readonly id: string; readonly from: IsoDate; readonly spec: EventSpec }
  | { readonly kind: 'cancel'; readonly id: string; readonly date: IsoDate };

const MARKER = /\[course-bot event ([a-z0-9-]+):(\d{4}-\d{2}-\d{2})\]\s*$/;

/** The line that marks an event as the bot's, for the session of `date`: found again after a lost database. */
export function eventMarker(courseId: string, date: IsoDate): string {
  return `[course-bot event ${courseId}:${date}]`;
}

/** The session date an event's description marks it for, when it is this course's. */
export function markedDate(description: string, courseId: string): IsoDate | undefined {
  const match = MARKER.exec(description);
  return match && match[1] === courseId ? match[2] : undefined;
}

/** Cut to `max` characters, ending in `…` when cut (never inside a surrogate pair). */
export function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

function eventName(session: Session, course: Course): string {
  const what = session.topic ?? (session.format ? session.format[0]!.toUpperCase() + session.format.slice(1) : course.name);
  return cut(`Week ${session.week} · ${what}`, EVENT_LIMITS.name);
}

function eventDescription(course: Course, session: Session): string {
  const marker = eventMarker(course.id, session.date);
  const lines = [
    ...(session.frameworks.length ? [`Frameworks: ${session.frameworks.join(', ')}`] : []),
    ...(session.note ? [session.note] : []),
    ...sessionResources(course, session).map((resource) => `${resource.title}: ${resource.url}`),
  ];
  // The marker always fits: the text before it is cut.
  const body = cut(lines.join('\n'), EVENT_LIMITS.description - marker.length - 2);
  return body ? `${body}\n\n${marker}` : marker;
}

/**
 * The event of a held session: starting at `dayStart` (the announcement time when the course gives none),
 * ending at the session's `end`, else `course.dayEnd`, else 8 hours later (also when the end is not after
 * the start), at the session's location, else the course's, else the course name.
 */
export function eventFor(course: Course, session: Session): EventSpec {
  const start = zonedInstant(session.date, course.dayStart ?? course.announcements.time, course.timezone).toMillis();
  const endTime = session.end ?? course.dayEnd;
  const end = endTime === undefined ? undefined : zonedInstant(session.date, endTime, course.timezone).toMillis();
  return {
    date: session.date,
    name: eventName(session, course),
    description: eventDescription(course, session),
    location: cut(session.location ?? course.location ?? course.name, EVENT_LIMITS.location),
    start,
    end: end !== undefined && end > start ? end : start + DEFAULT_EVENT_HOURS * 3_600_000,
  };
}

/**
 * The events the server should show at `now`: one per held session from today up to `days` ahead (today
 * and `days - 1` more), whose start is still to come (Discord refuses an event that starts in the past).
 * Free days and cancelled sessions have none.
 */
export function desiredEvents(course: Course, now: Date, days: number): EventSpec[] {
  const from = today(course, now);
  const until = addDays(from, days);
  return course.sessions
    .filter((session) => session.date >= from && session.date < until && isHeld(session))
    .map((session) => eventFor(course, session))
    .filter((spec) => spec.start > now.getTime());
}

function differs(event: RemoteEvent, spec: EventSpec): boolean {
  return (
    event.name !== spec.name ||
    event.description !== spec.description ||
    event.location !== spec.location ||
    event.start !== spec.start ||
    event.end !== spec.end
  );
}

/** The topic part of an event name (`Week 2 · Docker` → `Docker`): a session moved to another day keeps it. */
function topicOf(name: string): string {
  return name.replace(/^Week \d+ · /, '');
}

export interface SyncInput {
  readonly course: Course;
  readonly now: Date;
  readonly days: number;
  /** The bot's own events on the server (scheduled or active), each with its session date. */
  readonly own: readonly OwnEvent[];
  /** Scheduled and active events on the server that are not the bot's (they count towards the 100). */
  readonly others: number;
}

/** What a sync does, and the sessions it leaves without an event because the server is full. */
export interface SyncPlan {
  readonly actions: readonly EventAction[];
  readonly full: readonly IsoDate[];
}

/**
 * Desired events against the bot's own events on the server → the actions that make them agree. Nothing
 * that has started (or whose session has started) is touched; an own event whose session is no longer held
 * (cancelled, moved away, removed, a free day now) is cancelled unless it has started, and paired with a new
 * session of the same topic it is moved (edited) instead; a second own event for one date is cancelled.
 * Own events for held sessions beyond the window are left as they are. New events stop where the server
 * would pass 100.
 */
export function planSync(input: SyncInput): SyncPlan {
  const { course, now } = input;
  const at = now.getTime();
  const desired = desiredEvents(course, now, input.days);
  const byDate = new Map<IsoDate, OwnEvent>();
  const extra: OwnEvent[] = [];
  for (const event of [...input.own].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))) {
    if (byDate.has(event.date)) extra.push(event);
    else byDate.set(event.date, event);
  }
  const actions: EventAction[] = [];
  const creates: EventSpec[] = [];
  const wanted = new Set(desired.map((spec) => spec.date));
  for (const spec of desired) {
    const event = byDate.get(spec.date);
    if (!event) creates.push(spec);
    else if (event.status === 'scheduled' && event.start > at && differs(event, spec)) {
      actions.push({ kind: 'edit', id: event.id, from: event.date, spec });
    }
  }
  const stale = [...byDate.values()].filter((event) => {
    if (wanted.has(event.date) || event.status !== 'scheduled' || event.start <= at) return false;
    const session = sessionOn(course, event.date);
    // Held but not wanted: beyond the window, or its start passed under a changed time; left as it is.
    return !(session && isHeld(session));
  });
  for (const event of extra) if (event.status === 'scheduled' && event.start > at) stale.push(event);
  const remaining: EventSpec[] = [];
  for (const spec of creates) {
    const index = stale.findIndex((event) => !extra.includes(event) && topicOf(event.name) === topicOf(spec.name));
    if (index >= 0) {
      const [moved] = stale.splice(index, 1);
      actions.push({ kind: 'edit', id: moved!.id, from: moved!.date, spec });
    } else remaining.push(spec);
  }
  for (const event of stale) actions.push({ kind: 'cancel', id: event.id, date: event.date });
  const kept = input.own.length - stale.length;
  const room = Math.max(0, EVENT_LIMITS.perGuild - input.others - kept);
  for (const spec of remaining.slice(0, room)) actions.push({ kind: 'create', spec });
  return { actions, full: remaining.slice(room).map((spec) => spec.date) };
}
