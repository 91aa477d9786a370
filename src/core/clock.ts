/** Where "now" comes from. Core code never reads the system time itself. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant (tests, `ask --at`). */
export function fixedClock(instant: Date): Clock {
  const ms = instant.getTime();
  return { now: () => new Date(ms) };
}

/** A clock that runs from `instant` onwards at normal speed (`start --at`). */
export function shiftedClock(instant: Date, base: Clock = systemClock): Clock {
  const offset = instant.getTime() - base.now().getTime();
  return { now: () => new Date(base.now().getTime() + offset) };
}
