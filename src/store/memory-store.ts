import type { ScheduleChange } from '../core/course/changes.js';
import type { Actor, ChangeRecord, ChangesVersion, ClaimCompletion, ClaimOptions, ClaimOutcome, ClaimRecord, StateStore } from '../core/ports.js';
import { decideClaim } from './claims.js';

/** A store that forgets everything at exit: tests and dry runs. Passes the same contract as SQLite. */
export class MemoryStore implements StateStore {
  readonly #values = new Map<string, string>();
  readonly #claims = new Map<string, ClaimRecord>();
  readonly #changes: ChangeRecord[] = [];
  #closed = false;

  getValue(key: string): string | undefined {
    this.#assertOpen();
    return this.#values.get(key);
  }

  setValue(key: string, value: string): void {
    this.#assertOpen();
    this.#values.set(key, value);
  }

  recordOnce(key: string, value: string): boolean {
    return this.compareAndSetValue(key, undefined, value);
  }

  compareAndSetValue(key: string, expected: string | undefined, value: string): boolean {
    this.#assertOpen();
    if (this.#values.get(key) !== expected) return false;
    this.#values.set(key, value);
    return true;
  }

  deleteValue(key: string): boolean {
    this.#assertOpen();
    return this.#values.delete(key);
  }

  deleteValuesAtMost(prefix: string, limit: number): number {
    this.#assertOpen();
    let removed = 0;
    for (const [key, value] of this.#values) {
      if (key.startsWith(prefix) && /^[0-9]+$/.test(value) && Number(value) <= limit) {
        this.#values.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  listKeys(prefix = ''): string[] {
    this.#assertOpen();
    // Code point order, as SQLite's BINARY collation sorts UTF-8.
    return [...this.#values.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  getClaim(key: string): ClaimRecord | undefined {
    this.#assertOpen();
    return this.#claims.get(key);
  }

  listClaims(prefix = ''): ClaimRecord[] {
    this.#assertOpen();
    return [...this.#claims.values()]
      .filter((record) => record.key.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  claim(key: string, options: ClaimOptions): ClaimOutcome {
    this.#assertOpen();
    const current = this.#claims.get(key);
    const { outcome, write } = decideClaim(current, key, options);
    if (write) this.#claims.set(key, write);
    return outcome;
  }

  renewClaim(key: string, owner: string, leaseUntil: number): boolean {
    this.#assertOpen();
    const current = this.#claims.get(key);
    if (current?.owner !== owner || current.status !== 'pending') return false;
    this.#claims.set(key, { ...current, leaseUntil });
    return true;
  }

  completeClaim(key: string, owner: string, outcome: ClaimCompletion, now: number): boolean {
    this.#assertOpen();
    const current = this.#claims.get(key);
    if (current?.owner !== owner || current.status !== 'pending') return false;
    this.#claims.set(key, {
      ...current,
      status: outcome.status,
      updatedAt: now,
      ...(outcome.status === 'sent' ? { messageId: outcome.messageId } : { error: outcome.error }),
    });
    return true;
  }

  addChange(courseId: string, change: ScheduleChange, actor: Actor, at: number): ChangeRecord {
    this.#assertOpen();
    const record: ChangeRecord = { id: this.#changes.length + 1, courseId, at, actor, change: structuredClone(change) };
    this.#changes.push(record);
    return record;
  }

  listChanges(courseId: string, afterId = 0): ChangeRecord[] {
    this.#assertOpen();
    return this.#changes.filter((record) => record.courseId === courseId && record.id > afterId);
  }

  undoChange(courseId: string, actor: Actor, at: number): ChangeRecord | undefined {
    this.#assertOpen();
    const index = this.#changes.findLastIndex((record) => record.courseId === courseId && record.undoneAt === undefined);
    if (index < 0) return undefined;
    const record: ChangeRecord = { ...this.#changes[index]!, undoneAt: at, undoneBy: actor };
    this.#changes[index] = record;
    return record;
  }

  changesVersion(courseId: string): ChangesVersion {
    const mine = this.listChanges(courseId);
    return { count: mine.length, lastId: mine.at(-1)?.id ?? 0, undone: mine.filter((record) => record.undoneAt !== undefined).length };
  }

  transaction<T>(work: () => T): T {
    this.#assertOpen();
    // One process, no awaits inside: nothing else runs meanwhile; a throw puts back what was there.
    const values = new Map(this.#values);
    const claims = new Map(this.#claims);
    const changes = [...this.#changes];
    try {
      return work();
    } catch (error) {
      this.#restore(values, claims, changes);
      throw error;
    }
  }

  #restore(values: Map<string, string>, claims: Map<string, ClaimRecord>, changes: ChangeRecord[]): void {
    this.#values.clear();
    for (const [key, value] of values) this.#values.set(key, value);
    this.#claims.clear();
    for (const [key, claim] of claims) this.#claims.set(key, claim);
    this.#changes.splice(0, this.#changes.length, ...changes);
  }

  assertWritable(): void {
    this.#assertOpen();
  }

  close(): void {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the state store is closed');
  }
}
