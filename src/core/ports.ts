import type { Message } from './messages.js';

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
  /** Removes `key`; returns whether it existed. */
  deleteValue(key: string): boolean;
  /** Every key that starts with `prefix`, sorted. */
  listKeys(prefix?: string): string[];
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
  /** Throws when the store cannot be written (health checks). */
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
  /** Tells instructors about a problem (a post that finally failed), where the platform can. */
  report?(text: string): Promise<void>;
}
