/** Discord's epoch: the first second of 2015, in ms since 1970. */
const DISCORD_EPOCH_MS = 1_420_070_400_000;

/**
 * How old an interaction may be when the bot gets to it and still be answered. Discord: the first response
 * must come within 3 s of the interaction's creation, after which the callback is refused (10062 Unknown
 * interaction). Working on one already 2.5 s old mostly ends in that refusal, and under a burst the work
 * spent on it makes the next ones late too: such an interaction is shed, never answered.
 */
export const SHED_AFTER_MS = 2_500;

/**
 * Ages beyond this are not believed: the id was not made by Discord's clock (a test's fixed id), or this
 * machine's clock is far off. Such an interaction is answered as usual, and Discord decides.
 */
export const BELIEVABLE_AGE_MS = 60_000;

/** How long the youngest age seen stands as the estimate of how far this machine's clock runs ahead. */
const SKEW_WINDOW_MS = 5 * 60_000;

/** When Discord created the thing a snowflake id names (ms since 1970), or undefined for what is not one. */
export function snowflakeTime(id: unknown): number | undefined {
  if (typeof id !== 'string' || !/^\d{15,25}$/.test(id)) return undefined;
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

/**
 * Decides which interactions are too old to answer, from the creation time in their id.
 *
 * Clock skew: the age is this machine's clock minus Discord's. A negative age (this clock behind) or one
 * beyond {@link BELIEVABLE_AGE_MS} is not trusted and never sheds. A clock a few seconds ahead would make
 * every interaction look old, and shedding all of them would silence the bot: the youngest age seen in the
 * last five to ten minutes counts as that clock's lead and is taken off each age (only when positive, so a
 * skew estimate can make the bot shed less, never more). A burst starts with fresh interactions, so the
 * estimate stays near the network delay while the backlog ages.
 */
export class InteractionAges {
  readonly #now: () => number;
  /** The youngest believable age seen in the current and the previous window, ms. */
  #youngest = Number.POSITIVE_INFINITY;
  #youngestBefore = Number.POSITIVE_INFINITY;
  #windowStart: number;

  /** `now`: real time in ms (never the bot's possibly shifted course clock). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#windowStart = now();
  }

  /** The interaction's age (ms, as this machine's clock sees it), or undefined when its id says no time. */
  age(id: unknown): number | undefined {
    const created = snowflakeTime(id);
    return created === undefined ? undefined : this.#now() - created;
  }

  /**
   * Whether the interaction `id` is older than {@link SHED_AFTER_MS} (after the clock's lead is taken off).
   * Records its age for the estimate of the lead; returns the age it judged by.
   */
  shed(id: unknown): { readonly shed: boolean; readonly ageMs?: number } {
    const age = this.age(id);
    if (age === undefined || age < 0 || age > BELIEVABLE_AGE_MS) return { shed: false };
    const lead = Math.max(0, this.#note(age));
    const judged = age - lead;
    return { shed: judged > SHED_AFTER_MS, ageMs: judged };
  }

  /** Records a believable age; returns the youngest of the last one to two windows. */
  #note(age: number): number {
    const now = this.#now();
    if (now - this.#windowStart >= SKEW_WINDOW_MS) {
      this.#youngestBefore = now - this.#windowStart >= 2 * SKEW_WINDOW_MS ? Number.POSITIVE_INFINITY : this.#youngest;
      this.#youngest = Number.POSITIVE_INFINITY;
      this.#windowStart = now;
    }
    if (age < this.#youngest) this.#youngest = age;
    return Math.min(this.#youngest, this.#youngestBefore);
  }
}
