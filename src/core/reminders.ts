import { sessionOn, today } from './course/calendar.js';
import { type IsoDate, addDays, isIsoDate, zonedInstant } from './course/dates.js';
import type { Course, Session, SetupStep } from './course/model.js';
import { type Message, type Section, message } from './messages.js';
import { resourceLink, sessionCard, sessionHeadline, sessionResources, sessionTitle } from './views.js';

/** When a student wants to be reminded of a session: the evening before, or on the morning itself. */
export type ReminderKind = 'evening' | 'morning';

/** Why the bot turned a student's reminder off by itself. */
export type ReminderStopReason = 'closed-dms' | 'left';

/** A student's reminder setting, as `/remind` shows it. */
export interface ReminderStatus {
  /** Undefined: off. */
  readonly kind?: ReminderKind;
  /** Set when the bot turned it off (not the student). */
  readonly stopped?: ReminderStopReason;
}

/** A student's reminder setting, kept by the state store (implemented outside the core). */
export interface ReminderSettings {
  /** `REMINDER_EVENING`: local `HH:MM` of evening reminders. */
  readonly evening: string;
  get(platform: string, userId: string): ReminderStatus;
  /** Sets (or with `off`, clears) the student's reminder; returns the new status. */
  set(platform: string, userId: string, kind: ReminderKind | 'off'): ReminderStatus;
}

/** Days of closed DMs after which a reminder is turned off. */
export const CLOSED_DAYS_LIMIT = 3;

/** One subscriber, as the planner sees them: who, which reminder, and the days a DM could not reach them. */
export interface Subscriber {
  /** `discord`, `slack`, `terminal`. */
  readonly platform: string;
  readonly userId: string;
  readonly kind: ReminderKind;
  /** Course dates on which a DM to them was refused (closed DMs): not tried again on those days. */
  readonly closedDays: readonly IsoDate[];
}

/** One reminder: of one student (on a platform), of the session of one date of one course. */
export interface ReminderKey {
  readonly courseId: string;
  readonly date: IsoDate;
  /** `discord`, `slack`, `terminal`: no colon. */
  readonly platform: string;
  /** May contain colons (Slack's `T1:U2`). */
  readonly userId: string;
}

/** `remind:<course>:<session date>:<platform>:<user>`: one reminder per student and session, whatever the kind. */
export function reminderKey(course: Course, date: IsoDate, platform: string, userId: string): string {
  return formatReminderKey({ courseId: course.id, date, platform, userId });
}

/** Every reminder claim key starts with this. */
export const REMINDER_KEY_PREFIX = 'remind:';

/** The start of every reminder key of a course (`listClaims` takes it). */
export function reminderKeyPrefix(courseId: string): string {
  return `${REMINDER_KEY_PREFIX}${courseId}:`;
}

/** The key's string form; throws on one that could not be read back (a colon in the course id or platform, an empty part): a bug. */
export function formatReminderKey(key: ReminderKey): string {
  const { courseId, date, platform, userId } = key;
  if (courseId === '' || courseId.includes(':') || !isIsoDate(date) || platform === '' || platform.includes(':') || userId === '') {
    throw new Error(`not a reminder key: ${JSON.stringify(key)}`);
  }
  return `${reminderKeyPrefix(courseId)}${date}:${platform}:${userId}`;
}

/** The parts of a reminder key, or undefined when it is none: the exact inverse of {@link formatReminderKey}. */
export function parseReminderKey(key: string): ReminderKey | undefined {
  const match = /^remind:([^:]+):(\d{4}-\d{2}-\d{2}):([^:]+):(.+)$/s.exec(key);
  if (!match) return undefined;
  const [, courseId, date, platform, userId] = match as unknown as [string, string, string, string, string];
  return isIsoDate(date) ? { courseId, date, platform, userId } : undefined;
}

/** `HH:MM` one hour before `time` (never before midnight). */
function hourBefore(time: string): string {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return `${String(Math.max(hour - 1, 0)).padStart(2, '0')}:${String(hour === 0 ? 0 : minute).padStart(2, '0')}`;
}

/** The local time the day begins for reminders: `dayStart`, else the morning post's time. */
function dayBegins(course: Course): string {
  return course.dayStart ?? course.announcements.time;
}

/**
 * When a reminder of the session on `date` is sent: the evening before at `evening` (course time), or one
 * hour before `dayStart` (the morning post's time when the course gives none).
 */
export function reminderTime(course: Course, date: IsoDate, kind: ReminderKind, evening: string): Date {
  if (kind === 'evening') return zonedInstant(addDays(date, -1), evening, course.timezone).toJSDate();
  return zonedInstant(date, hourBefore(dayBegins(course)), course.timezone).toJSDate();
}

/** Until when a late bot still sends a reminder: the day's start (a reminder after the lecture began helps nobody). */
export function reminderDeadline(course: Course, date: IsoDate, kind: ReminderKind, evening: string): Date {
  const start = zonedInstant(date, dayBegins(course), course.timezone).toJSDate().getTime();
  // The reminder's own minute always counts.
  return new Date(Math.max(start, reminderTime(course, date, kind, evening).getTime() + 60_000));
}

/** Setup steps that name one of the session's frameworks (in title, command or description). */
export function setupFor(course: Course, session: Session): SetupStep[] {
  const names = session.frameworks.map((name) => name.toLowerCase());
  if (names.length === 0) return [];
  return course.setup.filter((step) => {
    const text = [step.title, step.command ?? '', step.description ?? ''].join(' ').toLowerCase();
    return names.some((name) => text.includes(name));
  });
}

/**
 * The direct message reminding a student of a session: the session's card (week, topic, frameworks,
 * lecture time, links) and what to prepare (its frameworks and the setup steps that name them). A
 * cancelled session gets a short note instead.
 */
export function reminderMessage(course: Course, session: Session, kind: ReminderKind): Message {
  const when = kind === 'evening' ? 'Tomorrow' : 'Today';
  if (session.cancelled) {
    return message({
      title: `${when}'s session in ${course.name} is cancelled`,
      description: `${sessionTitle(session)}: ${sessionHeadline({ ...session, cancelled: undefined })}${session.cancelled.reason ? ` (${session.cancelled.reason})` : ''}`,
      footer: `${course.name} · /remind off stops these messages`,
    });
  }
  const card = sessionCard(course, session);
  const steps = setupFor(course, session);
  const prepare: Section[] =
    session.frameworks.length || steps.length
      ? [
          {
            heading: 'To prepare',
            lines: [
              ...(session.frameworks.length ? [`Have ready: ${session.frameworks.join(', ')}`] : []),
              ...steps.map((step) => (step.command ? `${step.title}: $ ${step.command}` : step.title)),
            ],
          },
        ]
      : [];
  const setupLinks = steps.flatMap((step) => (step.url ? [{ label: step.title, url: step.url }] : []));
  return message({
    title: `${when} in ${course.name}: ${sessionTitle(session)}`,
    description: sessionHeadline(session),
    sections: [...card.sections, ...prepare],
    links: [...sessionResources(course, session).map(resourceLink), ...setupLinks],
    ...(card.time && { time: card.time }),
    footer: `${course.name} · /remind off stops these messages`,
  });
}

export interface DueReminder {
  readonly key: string;
  /** The session's date. */
  readonly date: IsoDate;
  readonly subscriber: Subscriber;
  readonly message: Message;
}

export interface ReminderPlanInput {
  readonly course: Course;
  readonly now: Date;
  /** `HH:MM`, course time (`REMINDER_EVENING`). */
  readonly evening: string;
  readonly subscribers: readonly Subscriber[];
  /** Whether a key is finished (sent, or failed). */
  readonly isDone: (key: string) => boolean;
}

export interface ReminderPlan {
  readonly due: readonly DueReminder[];
  /** When the next reminder falls due (undefined when none is in sight). */
  readonly nextAt?: Date;
}

/**
 * What reminders are due at `now`: for every subscriber, the session of today or tomorrow whose reminder
 * time has come and whose lecture has not begun, not yet done, and not on a day their DMs were found closed.
 * Free days have no session, so no reminder; a cancelled session gets the short cancelled note.
 */
export function planReminders(input: ReminderPlanInput): ReminderPlan {
  const { course, now, evening } = input;
  const current = today(course, now);
  const at = now.getTime();
  const due: DueReminder[] = [];
  let nextAt: number | undefined;
  const messages = new Map<string, Message>();
  for (const date of [current, addDays(current, 1), addDays(current, 2)]) {
    const session = sessionOn(course, date);
    if (!session) continue;
    for (const kind of ['evening', 'morning'] as const) {
      const time = reminderTime(course, date, kind, evening).getTime();
      const deadline = reminderDeadline(course, date, kind, evening).getTime();
      if (at >= deadline) continue;
      if (at < time) {
        // Whether anyone subscribes or not: a student may subscribe before then.
        nextAt = Math.min(nextAt ?? time, time);
        continue;
      }
      for (const subscriber of input.subscribers) {
        if (subscriber.kind !== kind || subscriber.closedDays.includes(current)) continue;
        const key = reminderKey(course, date, subscriber.platform, subscriber.userId);
        if (input.isDone(key)) continue;
        let text = messages.get(`${date}:${kind}`);
        if (!text) messages.set(`${date}:${kind}`, (text = reminderMessage(course, session, kind)));
        due.push({ key, date, subscriber, message: text });
      }
    }
  }
  return { due, ...(nextAt !== undefined && { nextAt: new Date(nextAt) }) };
}

/** The `/remind` answer for a status. */
export function reminderStatusText(status: ReminderStatus, course: Course, evening: string): string {
  if (status.kind === 'evening') return `Reminders: on, the evening before each session at ${evening} (${course.timezone}), as a direct message. /remind off stops them.`;
  if (status.kind === 'morning') {
    const time = hourBefore(dayBegins(course));
    return `Reminders: on, on the morning of each session at ${time} (${course.timezone}), as a direct message. /remind off stops them.`;
  }
  if (status.stopped === 'closed-dms') {
    return `Reminders: off. The bot turned them off because your direct messages were closed on ${CLOSED_DAYS_LIMIT} days. Allow direct messages from server members, then /remind evening or /remind morning.`;
  }
  if (status.stopped === 'left') return 'Reminders: off, because you left the server. /remind evening or /remind morning turns them on again.';
  return 'Reminders: off. /remind evening (the evening before) or /remind morning (an hour before the session) sends you a direct message.';
}

/** Why a direct message cannot reach a user: their DMs are closed, or they are gone (left the server, deleted). */
export class RecipientError extends Error {
  override readonly name = 'RecipientError';

  constructor(
    readonly reason: 'closed' | 'gone',
    message: string,
  ) {
    super(message);
  }
}

/** Options of one direct message: the reminder's key (found again by it) and a nonce derived from it. */
export interface DirectOptions {
  readonly key: string;
  readonly nonce: string;
  readonly signal?: AbortSignal;
}

/**
 * Sends direct messages on one platform. `send` throws `RecipientError` when the user cannot be reached,
 * and a `PostError` (retryable or not) for anything else.
 */
export interface DirectMessenger {
  /** `discord`, `slack`, `terminal`: the platform of the users it reaches. */
  readonly platform: string;
  send(userId: string, message: Message, options: DirectOptions): Promise<{ readonly id: string }>;
  /** The DM sent earlier with these options' key, if the user's DM channel has it (searched from `since` on). */
  findSent(userId: string, options: DirectOptions & { readonly since?: Date }): Promise<{ readonly id: string } | undefined>;
}
