import * as z from 'zod';
import type { Clock } from '../core/clock.js';
import type { IsoDate } from '../core/course/dates.js';
import type { Course } from '../core/course/model.js';
import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import {
  type EventAction,
  type EventSpec,
  type OwnEvent,
  type RemoteEvent,
  eventKeyPrefix,
  formatEventKey,
  markedDate,
  parseEventKey,
  planSync,
} from './plan.js';

/** A platform's scheduled events in one server (Discord: a guild), as the sync needs them. */
export interface EventPort {
  /** `discord:<guild id>`: part of every store key. */
  readonly scope: string;
  /** The server's scheduled and active events, everyone's. */
  list(): Promise<RemoteEvent[]>;
  /** Creates the event; resolves with its id. */
  create(spec: EventSpec): Promise<string>;
  edit(id: string, spec: EventSpec): Promise<void>;
  cancel(id: string): Promise<void>;
}

/** The platform refused for want of a permission (Discord: 403, Manage Events): no use trying each event. */
export class EventsDenied extends Error {
  override readonly name = 'EventsDenied';
}

/**
 * What the store holds per session date: the event's id, a creation in progress (a claim with a lease), or
 * the id of an event the bot cancelled or moved away (a new one may be created).
 */
const recordSchema = z.union([
  z.object({ id: z.string() }),
  z.object({ creating: z.string(), until: z.number() }),
  z.object({ gone: z.string() }),
]);
type EventRecord = z.infer<typeof recordSchema>;

/** What one pass did, by session date. */
export interface SyncReport {
  readonly created: IsoDate[];
  readonly edited: IsoDate[];
  readonly cancelled: IsoDate[];
  readonly adopted: IsoDate[];
  /** Another instance is creating it. */
  readonly busy: IsoDate[];
  /** The request failed (logged); the next pass tries again. */
  readonly failed: IsoDate[];
  /** No room on the server (100 events). */
  readonly full: readonly IsoDate[];
  /** The platform refused the permission: nothing was done. */
  readonly denied?: boolean;
}

export interface EventSyncOptions {
  readonly port: EventPort;
  readonly store: StateStore;
  readonly course: () => Course;
  readonly clock: Clock;
  /** Days ahead (today included) that have events. */
  readonly days: number;
  /** This instance's name in creation claims. */
  readonly owner: string;
  readonly logger: Logger;
  /** Tells the instructors (a missing permission); once per incident across instances sharing the store. */
  readonly tell: (text: string) => void;
  /** How long a creation claim keeps other instances away. Default 2 minutes. */
  readonly leaseMs?: number;
}

/** What instructors are told when the bot may not manage events. */
export const EVENTS_DENIED_TEXT =
  'Discord Scheduled Events are on (DISCORD_EVENTS=on), but the bot may not manage events in this server: give its role the Manage Events permission (Server Settings → Roles), or invite it again with the link from `course-bot invite-url`. Events are synced within a minute once it has it; everything else keeps working.';

/**
 * Keeps the server's scheduled events in step with the course, exactly once: the store maps each session
 * date to its event id, and a creation is claimed in the store (compare-and-set, with a lease) before the
 * request, so of several instances one creates. Events the bot made are known by its user and a marker in
 * the description: a lost database adopts them before anything is created, and a claim whose owner went
 * away looks for the marker again before creating. Nothing another user created is touched.
 */
export class EventSync {
  readonly #options: EventSyncOptions;
  readonly #leaseMs: number;
  #running: Promise<SyncReport> | undefined;
  #again = false;

  constructor(options: EventSyncOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs ?? 120_000;
  }

  /**
   * Runs a pass; a call while one runs makes one more pass after it (the change that called may have come
   * after the running pass read the course). Never rejects: failures are logged and the next pass tries again.
   */
  sync(): Promise<SyncReport> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = async (): Promise<SyncReport> => {
      let report: SyncReport;
      do {
        this.#again = false;
        report = await this.#passLogged();
      } while (this.#again);
      return report;
    };
    this.#running = run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #passLogged(): Promise<SyncReport> {
    const { logger } = this.#options;
    try {
      const report = await this.#pass();
      this.#clearDenied();
      const counts = { created: report.created.length, edited: report.edited.length, cancelled: report.cancelled.length, adopted: report.adopted.length };
      if (counts.created + counts.edited + counts.cancelled + counts.adopted > 0) logger.info(counts, 'scheduled events synced');
      else logger.debug({ busy: report.busy.length }, 'scheduled events in step');
      if (report.full.length > 0) logger.warn({ dates: report.full }, 'the server has 100 scheduled events: these sessions have none yet');
      return report;
    } catch (error) {
      const empty = { created: [], edited: [], cancelled: [], adopted: [], busy: [], failed: [], full: [] };
      if (error instanceof EventsDenied) {
        logger.warn({ reason: error.message }, 'may not manage scheduled events (Manage Events permission)');
        this.#reportDenied();
        return { ...empty, denied: true };
      }
      logger.error({ err: error }, 'could not sync scheduled events; trying again within a minute');
      return empty;
    }
  }

  #deniedKey(): string {
    return `events:${this.#options.port.scope}:denied`;
  }

  #reportDenied(): void {
    if (this.#options.store.compareAndSetValue(this.#deniedKey(), undefined, String(this.#options.clock.now().getTime()))) {
      this.#options.tell(EVENTS_DENIED_TEXT);
    }
  }

  #clearDenied(): void {
    if (this.#options.store.getValue(this.#deniedKey()) !== undefined) this.#options.store.deleteValue(this.#deniedKey());
  }

  #key(date: IsoDate): string {
    return formatEventKey({ scope: this.#options.port.scope, courseId: this.#options.course().id, date });
  }

  #read(date: IsoDate): { raw: string | undefined; record: EventRecord | undefined } {
    const raw = this.#options.store.getValue(this.#key(date));
    if (raw === undefined) return { raw, record: undefined };
    try {
      const parsed = recordSchema.safeParse(JSON.parse(raw));
      return { raw, record: parsed.success ? parsed.data : undefined };
    } catch {
      return { raw, record: undefined };
    }
  }

  /** The bot's own events: made by its user, and marked for this course or recorded in the store. */
  #own(remote: readonly RemoteEvent[]): OwnEvent[] {
    const course = this.#options.course();
    const recorded = new Map<string, IsoDate>();
    for (const key of this.#options.store.listKeys(eventKeyPrefix(this.#options.port.scope, course.id))) {
      const parsed = parseEventKey(key);
      if (parsed?.courseId !== course.id || parsed.scope !== this.#options.port.scope) continue;
      const { date } = parsed;
      const { record } = this.#read(date);
      if (record && 'id' in record) recorded.set(record.id, date);
    }
    return remote.flatMap((event) => {
      if (!event.mine) return [];
      const date = markedDate(event.description, course.id) ?? recorded.get(event.id);
      return date === undefined ? [] : [{ ...event, date }];
    });
  }

  async #pass(): Promise<SyncReport> {
    const { port, store, clock } = this.#options;
    const course = this.#options.course();
    const remote = await port.list();
    const own = this.#own(remote);
    const report = {
      created: [] as IsoDate[],
      edited: [] as IsoDate[],
      cancelled: [] as IsoDate[],
      adopted: [] as IsoDate[],
      busy: [] as IsoDate[],
      failed: [] as IsoDate[],
    };
    // A lost (or new) database: the events found by their marker are recorded before anything is created.
    for (const event of own) {
      const { raw, record } = this.#read(event.date);
      if (record && 'id' in record && own.some((other) => other.id === record.id)) continue;
      if (record && 'creating' in record && record.until > clock.now().getTime()) continue;
      if (store.compareAndSetValue(this.#key(event.date), raw, JSON.stringify({ id: event.id }))) report.adopted.push(event.date);
    }
    const plan = planSync({ course, now: clock.now(), days: this.#options.days, own, others: remote.length - own.length });
    for (const action of plan.actions) {
      try {
        await this.#apply(action, report);
      } catch (error) {
        if (error instanceof EventsDenied) throw error;
        // One event refused (or its answer lost) does not hold up the others; the next pass tries it again.
        const date = action.kind === 'create' ? action.spec.date : action.kind === 'edit' ? action.spec.date : action.date;
        this.#options.logger.error({ err: error, action: action.kind, date }, 'could not update a scheduled event; trying again within a minute');
        report.failed.push(date);
      }
    }
    return { ...report, full: plan.full };
  }

  async #apply(action: EventAction, report: { created: IsoDate[]; edited: IsoDate[]; cancelled: IsoDate[]; busy: IsoDate[]; adopted: IsoDate[] }): Promise<void> {
    const { port, store } = this.#options;
    if (action.kind === 'edit') {
      await port.edit(action.id, action.spec);
      if (action.from !== action.spec.date) this.#forget(action.from, action.id);
      store.setValue(this.#key(action.spec.date), JSON.stringify({ id: action.id }));
      report.edited.push(action.spec.date);
      return;
    }
    if (action.kind === 'cancel') {
      await port.cancel(action.id);
      this.#forget(action.date, action.id);
      report.cancelled.push(action.date);
      return;
    }
    await this.#create(action.spec, report);
  }

  #forget(date: IsoDate, id: string): void {
    const { raw, record } = this.#read(date);
    if (record && 'id' in record && record.id === id) this.#options.store.compareAndSetValue(this.#key(date), raw, JSON.stringify({ gone: id }));
  }

  /** Claim, (look again when the claim was taken over), create, record. */
  async #create(spec: EventSpec, report: { created: IsoDate[]; busy: IsoDate[]; adopted: IsoDate[] }): Promise<void> {
    const { port, store, clock, owner } = this.#options;
    const key = this.#key(spec.date);
    const { raw, record } = this.#read(spec.date);
    const now = clock.now().getTime();
    if (record && 'creating' in record && record.until > now) {
      report.busy.push(spec.date);
      return;
    }
    // An id the list did not have: another instance created it since, or it was deleted (by a person, or ended).
    if (record && 'id' in record && (await port.list()).some((event) => event.id === record.id)) return;
    if (!store.compareAndSetValue(key, raw, JSON.stringify({ creating: owner, until: now + this.#leaseMs }))) {
      report.busy.push(spec.date);
      return;
    }
    const claimed = store.getValue(key);
    if (record && 'creating' in record) {
      // The last claimer went away mid-creation: its event may exist.
      const found = this.#own(await port.list()).find((event) => event.date === spec.date);
      if (found) {
        store.compareAndSetValue(key, claimed, JSON.stringify({ id: found.id }));
        report.adopted.push(spec.date);
        return;
      }
    }
    let id: string;
    try {
      id = await port.create(spec);
    } catch (error) {
      // Refused outright: nothing was created, the claim goes. Otherwise it may have been: the lease runs out.
      if (error instanceof EventsDenied) {
        if (raw !== undefined) store.compareAndSetValue(key, claimed, raw);
        else if (store.getValue(key) === claimed) store.deleteValue(key);
      }
      throw error;
    }
    store.compareAndSetValue(key, claimed, JSON.stringify({ id }));
    report.created.push(spec.date);
  }
}
