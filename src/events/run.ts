import type { EventSync } from './sync.js';

/** How often the events are compared with the course without a change to prompt it (another instance's change, the next day). */
export const EVENT_SYNC_EVERY_MS = 60_000;

/** A running sync: `trigger` after a schedule change, `stop` waits for the pass in flight. */
export interface RunningEventSync {
  trigger(): void;
  stop(): Promise<void>;
}

/** Syncs now, then every minute and whenever triggered; a pass never overlaps another (see `EventSync.sync`). */
export function runEventSync(sync: EventSync, everyMs = EVENT_SYNC_EVERY_MS): RunningEventSync {
  let stopped = false;
  let last: Promise<unknown> = Promise.resolve();
  const trigger = (): void => {
    if (!stopped) last = sync.sync();
  };
  const timer = setInterval(trigger, everyMs);
  timer.unref();
  trigger();
  return {
    trigger,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await last;
    },
  };
}
