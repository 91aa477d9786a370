/** Discord's epoch: the first second of 2015, in ms. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/**
 * Makes Discord-shaped ids: the creation time in the top bits, strictly increasing within one fake so that sorting
 * by id sorts by creation, as Discord's message lists rely on.
 */
export class Snowflakes {
  #last = 0n;

  constructor(private readonly now: () => number) {}

  next(): string {
    let id = (BigInt(Math.floor(this.now())) - DISCORD_EPOCH) << 22n;
    if (id <= this.#last) id = this.#last + 1n;
    this.#last = id;
    return id.toString();
  }
}

/** A snowflake whose creation time is `ms` (ms since 1970): an interaction that reaches the bot already this old. */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.floor(ms)) - DISCORD_EPOCH) << 22n).toString();
}

/** Orders two snowflakes numerically (they do not sort as strings once their lengths differ). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
