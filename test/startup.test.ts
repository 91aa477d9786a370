import { describe, expect, it } from 'vitest';
import { FAILED_STARTS_KEY, backOffAfterFailedStarts, markStartGood, startDelayMs } from '../src/startup.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { captureLogger } from './support/log.js';

describe('crash-loop backoff', () => {
  it('waits nothing for the first two failed starts, then 5 s doubling up to 15 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 9, 20].map(startDelayMs)).toEqual([0, 0, 5_000, 10_000, 20_000, 40_000, 640_000, 900_000]);
  });

  it('counts each start as failed until it is marked good, and a signal ends the wait at once', async () => {
    const store = new MemoryStore();
    const { logger, lines } = captureLogger();
    const signal = new AbortController();
    await backOffAfterFailedStarts(store, logger, signal.signal);
    await backOffAfterFailedStarts(store, logger, signal.signal);
    expect(store.getValue(FAILED_STARTS_KEY)).toBe('2');
    expect(lines).toEqual([]);
    const waiting = backOffAfterFailedStarts(store, logger, signal.signal);
    expect(lines.join('')).toMatch(/"failedStarts":2,"waitSeconds":5,.*waiting before connecting/);
    signal.abort();
    await waiting;
    expect(store.getValue(FAILED_STARTS_KEY)).toBe('3');
  });

  it('marks a start good once it stayed up, not when it stopped before', async () => {
    const store = new MemoryStore();
    store.setValue(FAILED_STARTS_KEY, '4');
    const running = new AbortController();
    markStartGood(store, running.signal, { afterMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.getValue(FAILED_STARTS_KEY)).toBe('0');
    store.setValue(FAILED_STARTS_KEY, '4');
    const stopped = new AbortController();
    markStartGood(store, stopped.signal, { afterMs: 10 });
    stopped.abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.getValue(FAILED_STARTS_KEY)).toBe('4');
  });

  it('a store that refuses the write when the start is marked good is logged; the process goes on', async () => {
    const store = new MemoryStore();
    const refusal = new Error('STATE_DB /x was deleted while the bot was running');
    store.setValue = () => {
      throw refusal;
    };
    const { logger, lines } = captureLogger();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      markStartGood(store, new AbortController().signal, { afterMs: 10, logger });
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 50,
      msg: 'could not mark this start good in the state database',
      err: { message: 'STATE_DB /x was deleted while the bot was running' },
    });
  });
});
