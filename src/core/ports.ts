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
  /** Throws when the store cannot be written (health checks). */
  assertWritable(): void;
  close(): void;
}
