import type { ScheduleChange } from './course/changes.js';
import type { Message } from './messages.js';

/** Who did something: a platform user (or the local terminal). */
export interface Actor {
  /** `discord`, `slack`, `terminal`, `cli`. */
  readonly platform: string;
  readonly id: string;
  readonly name?: string;
}

/** An instructor's schedule change as stored: who made it, when, and whether it was undone. */
export interface ChangeRecord {
  readonly id: number;
  readonly courseId: string;
  /** Epoch ms. */
  readonly at: number;
  readonly actor: Actor;
  readonly change: ScheduleChange;
  readonly undoneAt?: number;
  readonly undoneBy?: Actor;
}

/**
 * How far a course's change log has come: changes stored, the newest id, changes undone. Any add or undo
 * changes it; only adds (ids above `lastId`) leave `undone` as it was when the added ones are not undone.
 */
export interface ChangesVersion {
  readonly count: number;
  readonly lastId: number;
  readonly undone: number;
}

/** Where an announcement stands. */
export type ClaimStatus = 'pending' | 'sent' | 'failed';

/** One announcement's record: who claimed it, and what became of it. */
export interface ClaimRecord {
  readonly key: string;
  readonly status: ClaimStatus;
  /** The instance that holds (or held) the claim. */
  readonly owner: string;
  /** Until when (epoch ms) the owner's claim on a pending post is respected by others. */
  readonly leaseUntil: number;
  readonly attempts: number;
  readonly messageId?: string;
  readonly error?: string;
  readonly updatedAt: number;
}

/**
 * The outcome of a claim: `claimed` (new, post it), `taken-over` (a pending claim whose owner went
 * away: look for its message before posting), `busy` (another live instance is posting it),
 * `done` (sent or failed already).
 */
export type ClaimOutcome =
  | { readonly kind: 'claimed'; readonly record: ClaimRecord }
  | { readonly kind: 'taken-over'; readonly record: ClaimRecord; readonly previous: ClaimRecord }
  | { readonly kind: 'busy' | 'done'; readonly record: ClaimRecord };

/** How a claim ended: posted (with the platform's message id) or given up (with the reason). */
export type ClaimCompletion =
  | { readonly status: 'sent'; readonly messageId: string }
  | { readonly status: 'failed'; readonly error: string };

export interface ClaimOptions {
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  /** Claim a `failed` announcement again (a manual retry). */
  readonly retryFailed?: boolean;
}
/**
 * The durable state of the bot (command hashes, announcement claims, schedule changes…).
 * Implemented by the SQLite store (the default) and an in-memory store (tests, dry runs);
 * both pass the same contract tests.
 */
export interface StateStore {
  /** The value stored under `key`, or undefined. */
  getValue(key: string): string | undefined;
  /** Stores `value` under `key`, replacing what was there. */
  setValue(key: string, value: string): void;
  /**
   * Stores `value` under `key` only while it still holds `expected` (undefined: absent), atomically across
   * processes sharing the store; returns whether it did.
   */
  compareAndSetValue(key: string, expected: string | undefined, value: string): boolean;
  /**
   * Stores `value` under `key` when `key` is absent, atomically across processes sharing the store; returns
   * whether it did. For short-lived bookkeeping (the ids of chat requests seen): a store may skip the checks
   * that keep a change from being confirmed into a lost database file.
   */
  recordOnce(key: string, value: string): boolean;
  /** Removes `key`; returns whether it existed. */
  deleteValue(key: string): boolean;
  /** Every key that starts with `prefix`, sorted. */
  listKeys(prefix?: string): string[];
  /**
   * Removes, in one statement, every key that starts with `prefix` whose value is a whole number (digits only)
   * at most `limit` (expiry times written by the bot); returns how many went. Other values are left alone.
   */
  deleteValuesAtMost(prefix: string, limit: number): number;
  /**
   * Claims an announcement key atomically: of several instances sharing one store, exactly one gets
   * `claimed` (or `taken-over`) for a key while its lease lasts.
   */
  claim(key: string, options: ClaimOptions): ClaimOutcome;
  /** Extends the owner's lease on a pending claim; false when the claim is no longer the owner's. */
  renewClaim(key: string, owner: string, leaseUntil: number): boolean;
  /** Records the end of a claim: sent (with the platform's message id) or failed (with the reason). */
  completeClaim(key: string, owner: string, outcome: ClaimCompletion, now: number): boolean;
  getClaim(key: string): ClaimRecord | undefined;
  /** Claims whose key starts with `prefix`, sorted by key. */
  listClaims(prefix?: string): ClaimRecord[];
  /** Stores a schedule change of a course; ids increase in the order changes are made. */
  addChange(courseId: string, change: ScheduleChange, actor: Actor, at: number): ChangeRecord;
  /** Every change of the course (with an id above `afterId`, when given), undone ones included, oldest first. */
  listChanges(courseId: string, afterId?: number): ChangeRecord[];
  /** Marks the course's newest change that is not undone as undone (atomically); undefined when none is left. */
  undoChange(courseId: string, actor: Actor, at: number): ChangeRecord | undefined;
  /** Where the course's change log stands (cheap: read on every command). */
  changesVersion(courseId: string): ChangesVersion;
  /**
   * Runs `work` as one transaction that holds the store's write lock from its first read, so that what it
   * reads cannot change under it in this or any other process sharing the store (checking a schedule
   * change against the stored ones and storing it). A throw rolls back everything `work` wrote.
   */
  transaction<T>(work: () => T): T;
  /**
   * Throws when the store cannot be written (health checks), or no longer writes where a restart reads (its
   * file was deleted or replaced: every write throws then too).
   */
  assertWritable(): void;
  close(): void;
}

/** Options of one post: the announcement key and a nonce derived from it. */
export interface PostOptions {
  readonly key: string;
  /** At most 25 characters; the same key always gives the same nonce. */
  readonly nonce: string;
  /** A role to mention, where the platform has one configured. */
  readonly mention?: boolean;
  /** Cancels the request (shutdown, or the claim was lost). */
  readonly signal?: AbortSignal;
}

export interface FindOptions {
  /** Only messages posted after this instant need to be searched. */
  readonly since?: Date;
  readonly signal?: AbortSignal;
}

/** Why a post failed, and whether trying again may help (5xx, timeouts) or not (no access, no channel). */
export class PostError extends Error {
  override readonly name = 'PostError';

  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Posts announcements to one channel of one platform. */
export interface Messenger {
  /** `discord:<channel id>`, `slack:<channel>`, `terminal`: part of every announcement key. */
  readonly target: string;
  post(message: Message, options: PostOptions): Promise<{ readonly id: string }>;
  /** The message posted earlier for `key`, if the channel has it (searched from `since` on). */
  findPosted(key: string, options?: FindOptions): Promise<{ readonly id: string } | undefined>;
  /**
   * Replaces a posted message's content (an announcement after a schedule change), pinging nobody.
   * Platforms that cannot edit leave it out.
   */
  edit?(id: string, message: Message, options: Omit<PostOptions, 'nonce'>): Promise<void>;
  /** Tells instructors about a problem (a post that finally failed), where the platform can. */
  report?(text: string): Promise<void>;
}

/** What a schedule change did. */
export interface ChangeOutcome {
  readonly record: ChangeRecord;
  /** Whether it touches today or the next 7 days, so students are told in the announcement channel. */
  readonly noticed: boolean;
}

/** A stored change with what became of it when applied to the course file as it is now. */
export interface HistoryEntry {
  readonly record: ChangeRecord;
  /** Why the change no longer applies (the file changed under it). */
  readonly skipped?: string;
  /** The course file holds it already (exported with it, then committed). */
  readonly inFile?: boolean;
}

/** What a reload of the course file did. */
export type ReloadOutcome =
  | {
      readonly ok: true;
      readonly changed: boolean;
      /** The file was refused before: it is accepted again. */
      readonly recovered?: boolean;
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/** What posting today's announcement now did, by key. */
export interface AnnounceOutcome {
  readonly sent: readonly string[];
  readonly already: readonly string[];
  readonly failed: readonly string[];
  readonly busy: readonly string[];
  /** Why nothing could be posted (no session today, no announcement channel). */
  readonly nothing?: string;
}

/** The instructor actions behind `/course`: implemented outside the core (store, file, announcer). */
export interface ScheduleAdmin {
  change(change: ScheduleChange, actor: Actor): Promise<ChangeOutcome>;
  /** Undoes the newest change not yet undone; undefined when there is none. */
  undo(actor: Actor): Promise<ChangeOutcome | undefined>;
  history(): readonly HistoryEntry[];
  reload(actor: Actor): Promise<ReloadOutcome>;
  announce(actor: Actor): Promise<AnnounceOutcome>;
}
