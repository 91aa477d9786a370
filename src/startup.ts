import type { StateStore } from './core/ports.js';
import type { Logger } from './log.js';
import { abortableSleep } from './sleep.js';

/** Consecutive starts that did not stay up (state store key). */
export const FAILED_STARTS_KEY = 'startup:failed-starts';

/** How long a start must stay up to count as good. */
export const STABLE_AFTER_MS = 60_000;

/** The wait before connecting after `failures` starts in a row that did not stay up: none for the first two, then 5 s doubling to 15 min. */
export function startDelayMs(failures: number): number {
  return failures < 2 ? 0 : Math.min(5_000 * 2 ** (failures - 2), 15 * 60_000);
}


/** The starts in a row that did not stay up, as the store counts them (0 when it holds nothing readable). */
export function failedStarts(store: Pick<StateStore, 'getValue'>): number {
  return Number.parseInt(store.getValue(FAILED_STARTS_KEY) ?? '0', 10) || 0;
}

/**
 * Counts this start as failed until it proves otherwise, and waits first when the last starts kept
 * failing: a crash-looping container must not use up Discord's 1000 logins a day (the count is kept
 * in the state database, so it survives the restarts; instances sharing one database share it). A signal
 * ends the wait. Returns the count before this start.
 */
export async function backOffAfterFailedStarts(store: StateStore, logger: Logger, signal: AbortSignal): Promise<number> {
  const failures = failedStarts(store);
  store.setValue(FAILED_STARTS_KEY, String(failures + 1));
  const delay = startDelayMs(failures);
  if (delay === 0) return failures;
  logger.warn(
    { failedStarts: failures, waitSeconds: delay / 1000 },
    'the last starts did not stay up; waiting before connecting (Discord allows 1000 logins a day)',
  );
  await abortableSleep(delay, signal);
  return failures;
}

/**
 * Marks the start good once it has stayed up `afterMs` (default `STABLE_AFTER_MS`) unless it stops first. A
 * store that cannot take the write then (its file deleted or replaced, a full disk) is logged, not thrown: the
 * timer must not end the process, and the store's own checks report the cause.
 */
export function markStartGood(
  store: StateStore,
  signal: AbortSignal,
  options: { readonly afterMs?: number; readonly logger?: Logger } = {},
): void {
  const timer = setTimeout(() => {
    if (signal.aborted) return;
    try {
      store.setValue(FAILED_STARTS_KEY, '0');
    } catch (error) {
      options.logger?.error({ err: error }, 'could not mark this start good in the state database');
    }
  }, options.afterMs ?? STABLE_AFTER_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
}
