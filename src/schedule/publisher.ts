import * as z from 'zod';
import { abortableSleep } from '../sleep.js';
import { scheduleChangeNotice } from '../core/announcement.js';
import type { Clock } from '../core/clock.js';
import { today } from '../core/course/calendar.js';
import {
  type ScheduleDigest,
  noticeWindow,
  sameSchedule,
  scheduleDiff,
  scheduleDigest,
  scheduleDigestJson,
  sessionDigestSchema,
} from '../core/course/changes.js';
import type { IsoDate } from '../core/course/dates.js';
import type { Course } from '../core/course/model.js';
import type { Message } from '../core/messages.js';
import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';

/** What an announcer reports of a run: the keys it posted, found posted, could not post, or left to another instance. */
export interface AnnouncementReport {
  readonly sent: readonly string[];
  readonly recovered: readonly string[];
  readonly failed: readonly string[];
  readonly busy: readonly string[];
}

/**
 * What the schedule needs of the course's announcer: post today's announcements now, post a change notice
 * once per target, and revise posted announcements. `Announcer` implements it; `NO_ANNOUNCEMENTS` is the port
 * of a course without an announcement channel (no targets: nothing is posted, and notices are not kept pending).
 */
export interface AnnouncementPort {
  /** The announcement targets; none when announcements are off. */
  readonly targets: readonly string[];
  announceNow(): Promise<AnnouncementReport>;
  notice(name: string, message: Message, date: IsoDate): Promise<AnnouncementReport>;
  noticeKeys(name: string, date: IsoDate): readonly string[];
  revisePosted(dates: readonly IsoDate[]): Promise<readonly string[]>;
}

const NOTHING: AnnouncementReport = { sent: [], recovered: [], failed: [], busy: [] };

/** The port of a course whose announcements are off (no announcement channel configured). */
export const NO_ANNOUNCEMENTS: AnnouncementPort = {
  targets: [],
  announceNow: () => Promise.resolve(NOTHING),
  notice: () => Promise.resolve(NOTHING),
  noticeKeys: () => [],
  revisePosted: () => Promise.resolve([]),
};

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
export interface PublishedRecord {
  readonly rev: number;
  readonly digest: ScheduleDigest;
  readonly pending?: { readonly name: string; readonly date: string; readonly from: ScheduleDigest };
}

/** `JSON.stringify(record)`, with its digests' text built from each session's (see `scheduleDigestJson`). */
export function recordJson(record: PublishedRecord): string {
  const pending = record.pending
    ? `,"pending":{"name":${JSON.stringify(record.pending.name)},"date":${JSON.stringify(record.pending.date)},"from":${scheduleDigestJson(record.pending.from)}}`
    : '';
  return `{"rev":${JSON.stringify(record.rev)},"digest":${scheduleDigestJson(record.digest)}${pending}}`;
}

/** What publishing a schedule did: the revision, and the dates students were told about. */
export interface Published {
  readonly rev: number;
  readonly dates: readonly string[];
}

export interface SchedulePublisherOptions {
  /** The effective course (read again at every attempt: another instance may change it meanwhile). */
  readonly course: () => Course;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told of every publish (a change, a reload, the start), as it begins: the scheduled events follow the schedule. */
  readonly onPublish?: (cause: string) => void;
}

/**
 * Tells students about changes of one course's schedule in the next 7 days, once, however many instances run.
 * Until `connect` gives it the course's announcement port (once the platforms are up), a publish leaves the
 * stored record as it is: the start's own publish catches up.
 */
export class SchedulePublisher {
  readonly #options: SchedulePublisherOptions;
  #port: AnnouncementPort | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #stopping = new AbortController();
  /** The stored record as last read or written, with its text (see `#published`). */
  #read: { readonly raw: string; readonly record: PublishedRecord } | undefined;

  constructor(options: SchedulePublisherOptions) {
    this.#options = options;
  }

  /** Where notices go from now on (the platforms are up); undefined while starting. */
  get port(): AnnouncementPort | undefined {
    return this.#port;
  }

  /** Gives the publisher the course's announcement port, once the platforms are up. */
  connect(port: AnnouncementPort): void {
    this.#port = port;
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
  #leaseWait(port: AnnouncementPort, stored: PublishedRecord): number {
    const now = this.#options.clock.now().getTime();
    const leases = port
      .noticeKeys(stored.pending!.name, stored.pending!.date)
      .map((noticeKey) => this.#options.store.getClaim(noticeKey))
      .filter((claim) => claim?.status === 'pending')
      .map((claim) => claim!.leaseUntil - now);
    return Math.min(Math.max(500, ...leases.map((ms) => ms + 100)), 60_000);
  }

  async #publish(cause: string): Promise<Published | undefined> {
    const { store, clock, logger } = this.#options;
    const port = this.#port;
    // Not started yet: leave the record as it is; the start's own publish catches up. Stopping: the next start.
    if (port === undefined || this.#stopping.signal.aborted) return undefined;
    const off = port.targets.length === 0;
    let published: Published | undefined;
    let key: string | undefined;
    // Every write is a compare-and-set: of instances publishing at once, one writes each revision.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // The schedule as it is now (another instance may have changed it while this one waited).
      const course = this.#options.course();
      key ??= `schedule:${course.id}:published`;
      const digest = scheduleDigest(course);
      const raw = store.getValue(key);
      const stored = this.#published(raw, key);
      if (!stored) {
        if (this.#write(key, raw, { rev: 0, digest })) return published;
        continue;
      }
      const date = today(course, clock.now());
      if (stored.pending) {
        if (off || stored.pending.date !== date) {
          // No channel any more, or a notice from another day: tell today's difference from what was announced.
          const { pending: _stale, ...rest } = stored;
          this.#write(key, raw, { ...rest, digest: stored.pending.from });
          continue;
        }
        const delivered = await this.#deliver(port, stored, course);
        if (delivered === 'open') return published;
        if (delivered === 'busy') {
          // Another instance is posting it (or one that crashed held it): wait until its lease ends, then
          // go on; this one's own change may be newer. A stop ends the wait.
          await abortableSleep(this.#leaseWait(port, stored), this.#stopping.signal);
          if (this.#stopping.signal.aborted) return published;
          continue;
        }
        const { pending: _done, ...rest } = stored;
        this.#write(key, raw, rest);
        continue;
      }
      if (sameSchedule(stored.digest, digest)) return published;
      const rev = stored.rev + 1;
      const window = noticeWindow(date);
      const dates = scheduleDiff(stored.digest, digest, window.from, window.to).map((change) => change.date);
      const tell = dates.length > 0 && !off;
      const next: PublishedRecord = { rev, digest, ...(tell && { pending: { name: `r${rev}`, date, from: stored.digest } }) };
      if (!this.#write(key, raw, next)) continue;
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
  async #deliver(port: AnnouncementPort, stored: PublishedRecord, course: Course): Promise<'done' | 'busy' | 'open'> {
    const pending = stored.pending!;
    const window = noticeWindow(pending.date);
    const changes = scheduleDiff(pending.from, stored.digest, window.from, window.to);
    const report = await port.notice(pending.name, scheduleChangeNotice(course, changes, pending.date), pending.date);
    const settled = port
      .noticeKeys(pending.name, pending.date)
      .every((noticeKey) => ['sent', 'failed'].includes(this.#options.store.getClaim(noticeKey)?.status ?? ''));
    if (!settled) return report.busy.length > 0 ? 'busy' : 'open';
    const revised = await port.revisePosted(changes.map((change) => change.date));
    this.#options.logger.info({ rev: stored.rev, sent: report.sent, failed: report.failed, revised }, 'schedule change announced');
    return 'done';
  }

  /** Stores `record` in place of `raw` (a compare-and-set), and keeps it as the record last written. */
  #write(key: string, raw: string | undefined, record: PublishedRecord): boolean {
    const written = recordJson(record);
    if (!this.#options.store.compareAndSetValue(key, raw, written)) return false;
    this.#read = { raw: written, record };
    return true;
  }

  #published(raw: string | undefined, key: string): PublishedRecord | undefined {
    if (raw === undefined) return undefined;
    // What this instance wrote last, or read last: the same text is the same record (a 10,000-session
    // schedule's record is a megabyte, and its check took a tenth of a second).
    if (this.#read?.raw === raw) return this.#read.record;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = publishedSchema.safeParse(json);
    if (parsed.success) {
      this.#read = { raw, record: parsed.data };
      return parsed.data;
    }
    this.#options.logger.warn({ key }, 'the stored published schedule is unreadable; starting from the current one');
    return undefined;
  }
}
