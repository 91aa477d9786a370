/** Which requests a fault applies to: a name or route (how a string matches is the fake's), or a RegExp. */
export type FaultMatch = string | RegExp;

interface Armed<F> {
  readonly match: FaultMatch;
  readonly fault: F;
  remaining: number;
}

/**
 * Faults a test arms for the next matching request(s), used up in the order they were armed. Each fake
 * says how a string match compares (Discord: a route prefix; Slack: a method name) and checks its faults.
 */
export class ArmedFaults<F> {
  #armed: Armed<F>[] = [];

  constructor(
    private readonly matchesString: (match: string, key: string) => boolean,
    private readonly check: (fault: F) => void = () => undefined,
  ) {}

  add(match: FaultMatch, fault: F, times: number): void {
    if (!Number.isInteger(times) || times < 1) {
      throw new Error(`failNext: times must be a positive integer, got ${times}`);
    }
    this.check(fault);
    this.#armed.push({ match, fault, remaining: times });
  }

  /** The first armed fault matching `key`, used up once. */
  take(key: string): F | undefined {
    const armed = this.#armed.find(({ match }) => (typeof match === 'string' ? this.matchesString(match, key) : match.test(key)));
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining === 0) this.#armed = this.#armed.filter((entry) => entry !== armed);
    return armed.fault;
  }

  /** Faults armed but not yet used. */
  get pending(): number {
    return this.#armed.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  clear(): void {
    this.#armed = [];
  }
}

/** Delays a fake waits out (a `delayMs` fault), all cut short when the fake closes. */
export class Delays {
  readonly #pending = new Set<() => void>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#pending.add(done);
    });
  }

  close(): void {
    this.#closed = true;
    for (const wake of [...this.#pending]) wake();
  }
}
