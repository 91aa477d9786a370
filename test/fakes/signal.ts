/**
 * Lets tests wait for the fake's state to reach a condition: every mutation calls `notify()`, every waiter re-checks
 * its probe. No polling, so a waiter resolves in the same tick the state changes.
 */
export class ChangeSignal {
  readonly #waiters = new Set<{ check: () => void; fail: (error: Error) => void }>();
  #closed = false;

  /** `name`: the fake's name in errors (`FakeDiscord`, `FakeSlack`). */
  constructor(readonly name: string) {}

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  /**
   * Resolves with the probe's first value that is not `undefined`; rejects after `timeoutMs` with `what` in the
   * message, or when the fake closes.
   */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string | (() => string)): Promise<T> {
    const describe = (): string => (typeof what === 'string' ? what : what());
    const first = probe();
    if (first !== undefined) return Promise.resolve(first);
    if (this.#closed) return Promise.reject(new Error(`${this.name} is closed; still waiting for ${describe()}`));
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        check: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (error) {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (value === undefined) return;
          settle();
          resolve(value);
        },
        fail: (error: Error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.fail(new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) waiter.fail(new Error(`${this.name} closed while a test was waiting`));
  }
}
