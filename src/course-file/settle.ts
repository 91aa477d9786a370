/**
 * How long the course file must be quiet before a change made by editing it is announced to students:
 * an editor or a copy may save a file in parts, and each valid part would otherwise be a notice of its
 * own. The schedule's answers follow every valid reload at once; only the notice waits.
 */
export const FILE_SETTLE_MS = 20_000;

/**
 * Runs a task once the file has been quiet for a while: each change restarts the wait, so a burst of
 * saves ends in one run, made against the last of them. Timers come from the runtime, so a test moves
 * them with fake timers; they never keep the process alive.
 */
export class Settle {
  readonly #run: () => void;
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(run: () => void, ms: number = FILE_SETTLE_MS) {
    this.#run = run;
    this.#ms = ms;
  }

  /** The file changed: run once it has been quiet for the settle time (a wait under way starts over). */
  touch(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, this.#ms);
    this.#timer.unref();
  }

  /** The file was written but not taken (a refused save): a wait under way starts over; none is started. */
  postpone(): void {
    if (this.#timer) this.touch();
  }

  /** Whether a run is waiting. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Drops a waiting run (the next start publishes what changed) and ignores what comes after. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
