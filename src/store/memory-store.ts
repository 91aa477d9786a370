import type { StateStore } from '../core/ports.js';

/** A store that forgets everything at exit: tests and dry runs. Passes the same contract as SQLite. */
export class MemoryStore implements StateStore {
  readonly #values = new Map<string, string>();
  #closed = false;

  getValue(key: string): string | undefined {
    this.#assertOpen();
    return this.#values.get(key);
  }

  setValue(key: string, value: string): void {
    this.#assertOpen();
    this.#values.set(key, value);
  }

  deleteValue(key: string): boolean {
    this.#assertOpen();
    return this.#values.delete(key);
  }

  listKeys(prefix = ''): string[] {
    this.#assertOpen();
    // Code point order, as SQLite's BINARY collation sorts UTF-8.
    return [...this.#values.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
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
