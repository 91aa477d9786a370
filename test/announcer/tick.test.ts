import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTicking } from '../../src/announcer/tick.js';
import { systemClock } from '../../src/core/clock.js';
import type { LogLevel } from '../../src/config.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { captureLogger } from '../support/log.js';

/** An announcer that counts its runs and never has anything due. */
function fakeAnnouncer() {
  const runs = { count: 0 };
  return {
    runs,
    announcer: {
      run: () => {
        runs.count += 1;
        return Promise.resolve({ sent: [], already: [], failed: [], busy: [], missed: [] } as never);
      },
      nextWakeUp: () => undefined,
      stop: () => Promise.resolve(),
    },
  };
}

/** Every write to the console while `run` runs (node-cron's own logger writes there). */
function consoleWrites() {
  const written: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
  }
  return written;
}

/** Starts ticking, then blocks "the process" for five minutes: the clock jumps, timers fire late. */
async function missTicks(level: LogLevel) {
  vi.useFakeTimers({ now: new Date('2027-01-04T07:00:30Z') });
  const written = consoleWrites();
  const { logger, lines } = captureLogger(level);
  const { announcer, runs } = fakeAnnouncer();
  const stop = startTicking(announcer, { timezone: 'Europe/Copenhagen', clock: systemClock, logger });
  vi.setSystemTime(new Date('2027-01-04T07:05:30Z'));
  await vi.advanceTimersByTimeAsync(30_000);
  await stop();
  return { written, lines: lines.map((line) => JSON.parse(line) as Record<string, unknown>), runs };
}

describe('startTicking', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('logs a missed minute tick through the logger at warn, structured and without colour, never on the console', async () => {
    const { written, lines, runs } = await missTicks('debug');
    expect(written).toEqual([]);
    const missed = lines.filter((line) => line.msg === 'announcer tick missed: the process was busy or asleep; the next tick catches up');
    expect(missed.map((line) => [line.level, line.missed])).toEqual([
      [40, '2027-01-04T07:01:00.000Z'],
      [40, '2027-01-04T07:02:00.000Z'],
      [40, '2027-01-04T07:03:00.000Z'],
      [40, '2027-01-04T07:04:00.000Z'],
      [40, '2027-01-04T07:05:00.000Z'],
    ]);
    const escape = String.fromCharCode(0x1b);
    expect(lines.some((line) => JSON.stringify(line).includes('\\u001b') || String(line.msg).includes(escape))).toBe(false);
    // At start, then at the tick of 07:06, when the process is free again.
    expect(runs.count).toBe(2);
  });

  it('keeps quiet at LOG_LEVEL=error: nothing on the console, nothing logged', async () => {
    const { written, lines } = await missTicks('error');
    expect(written).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('logs a run the state database refused as its one line, without a stack, and tries again soon and at the next tick', async () => {
    vi.useFakeTimers({ now: new Date('2027-01-04T07:00:30Z') });
    const { logger, lines } = captureLogger('debug');
    const line = 'The disk holding STATE_DB /var/state.db is full (database or disk is full): free space on it.';
    let runs = 0;
    const announcer = {
      run: () => {
        runs += 1;
        return Promise.reject(new StateDbError('/var/state.db', line, { problem: 'full' }));
      },
      nextWakeUp: () => undefined,
      stop: () => Promise.resolve(),
    };
    const stop = startTicking(announcer, { timezone: 'Europe/Copenhagen', clock: systemClock, logger });
    await vi.advanceTimersByTimeAsync(60_000);
    await stop();
    const entries = lines.map((text) => JSON.parse(text) as Record<string, unknown>);
    const failed = entries.filter((entry) => entry.level === 50);
    // At start, retried after 1, 2, 4, 8, 16 s (31 s in), at the minute tick (30 s in: 07:01), then 1 s after it.
    expect(runs).toBeGreaterThanOrEqual(7);
    // One error line at start and one at the tick; the retries that failed the same way only at debug.
    expect(failed.map((entry) => entry.reason)).toEqual(['start', 'minute']);
    expect(entries.filter((entry) => entry.level === 20 && entry.reason === 'retry').length).toBe(runs - 2);
    expect(failed[0]).toMatchObject({ msg: `announcer run failed: ${line}`, db: '/var/state.db', problem: 'full', reason: 'start' });
    expect(failed[0]).not.toHaveProperty('err');
    expect(JSON.stringify(failed)).not.toMatch(/SqliteError|\n\s+at /);
  });
});

describe('startTicking after a refused run', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs again a second later, not a minute later, when the store refused the run once', async () => {
    vi.useFakeTimers({ now: new Date('2027-01-04T07:00:05Z') });
    const { logger } = captureLogger('debug');
    let runs = 0;
    const announcer = {
      run: () => {
        runs += 1;
        if (runs === 1) return Promise.reject(new StateDbError('postgres://bot@db/course', 'The database was busy (lock timeout): try again in a moment.', { problem: 'busy' }));
        return Promise.resolve({ sent: [], already: [], failed: [], busy: [], missed: [] } as never);
      },
      nextWakeUp: () => undefined,
      stop: () => Promise.resolve(),
    };
    const stop = startTicking(announcer, { timezone: 'Europe/Copenhagen', clock: systemClock, logger });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(runs).toBe(2);
    // Once a run succeeds, no more retries: only the minute tick (07:01) and the planner's timer.
    await vi.advanceTimersByTimeAsync(50_000);
    expect(runs).toBe(2);
    await stop();
  });
});
