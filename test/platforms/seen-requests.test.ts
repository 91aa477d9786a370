import { describe, expect, it } from 'vitest';
import { SEEN_WINDOW_MS as WINDOWS, SeenRequests, seenKeyPrefix } from '../../src/platforms/seen-requests.js';
import { requestId } from '../../src/platforms/slack/request-id.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';

const SEEN_WINDOW_MS = WINDOWS.slack;
const SEEN_KEY_PREFIX = seenKeyPrefix('slack');

describe('requestId', () => {
  it('is the trigger id, else the event id, else the envelope id', () => {
    expect(requestId({ trigger_id: '123.456.abc', event_id: 'Ev1' }, 'env-1')).toBe('trigger:123.456.abc');
    expect(requestId({ event_id: 'Ev1' }, 'env-1')).toBe('event:Ev1');
    expect(requestId({ type: 'block_actions' }, 'env-1')).toBe('envelope:env-1');
  });

  it('is undefined for a request without a usable id', () => {
    for (const body of [undefined, null, 'text', 42, {}, { trigger_id: '' }, { trigger_id: 5 }, { trigger_id: 'x'.repeat(201) }]) {
      expect(requestId(body), JSON.stringify(body)).toBeUndefined();
    }
    expect(requestId({}, 42)).toBeUndefined();
  });
});

describe('SeenRequests', () => {
  const make = (options: { store?: MemoryStore; now: () => number; maxRemembered?: number }) => {
    const { logger, lines } = captureLogger();
    return { seen: new SeenRequests({ platform: 'slack', logger, ...options }), lines };
  };

  it('says first time once per id within the window, and again after it', () => {
    let now = 1_000_000;
    const { seen } = make({ now: () => now });
    expect(seen.firstTime('trigger:a')).toBe(true);
    expect(seen.firstTime('trigger:a')).toBe(false);
    expect(seen.firstTime('trigger:b')).toBe(true);
    now += SEEN_WINDOW_MS - 1;
    expect(seen.firstTime('trigger:a')).toBe(false);
    now += 1;
    expect(seen.firstTime('trigger:a')).toBe(true);
  });

  it('keeps at most the configured number of ids in memory, forgetting expired and then the oldest', () => {
    let now = 0;
    const { seen } = make({ now: () => now, maxRemembered: 3 });
    for (const id of ['a', 'b', 'c', 'd']) expect(seen.firstTime(id)).toBe(true);
    expect(seen.size).toBe(3);
    expect(seen.firstTime('d')).toBe(false);
    expect(seen.firstTime('a')).toBe(true);
    now += SEEN_WINDOW_MS;
    expect(seen.firstTime('e')).toBe(true);
    expect(seen.size).toBe(1);
  });

  it('shares ids through the store: another instance on it sees the repeat, even after this one forgot it', () => {
    let now = 0;
    const store = new MemoryStore();
    const a = make({ store, now: () => now, maxRemembered: 1 }).seen;
    const b = make({ store, now: () => now }).seen;
    expect(a.firstTime('trigger:x')).toBe(true);
    expect(b.firstTime('trigger:x')).toBe(false);
    expect(a.firstTime('trigger:y')).toBe(true);
    // Out of a's memory (at most 1), still in the store.
    expect(a.firstTime('trigger:x')).toBe(false);
    expect(store.getValue(`${SEEN_KEY_PREFIX}trigger:x`)).toBe(String(SEEN_WINDOW_MS));
    now += SEEN_WINDOW_MS + 1;
    // An expired id left in the store does not make a new arrival a repeat.
    expect(b.firstTime('trigger:y')).toBe(true);
  });

  it('leaves an id offered with shared=false out of the store: memory still drops its repeat here, another instance runs it', () => {
    const store = new MemoryStore();
    const a = make({ store, now: () => 0 }).seen;
    const b = make({ store, now: () => 0 }).seen;
    expect(a.firstTime('read', false)).toBe(true);
    expect(a.firstTime('read', false)).toBe(false);
    expect(a.firstTime('read')).toBe(false);
    expect(b.firstTime('read', false)).toBe(true);
    expect(store.listKeys(SEEN_KEY_PREFIX)).toEqual([]);
  });

  it('removes expired ids from the store', () => {
    let now = 0;
    const store = new MemoryStore();
    const { seen } = make({ store, now: () => now });
    for (const id of ['a', 'b', 'c']) seen.firstTime(id);
    expect(store.listKeys(SEEN_KEY_PREFIX)).toHaveLength(3);
    now += SEEN_WINDOW_MS + 1;
    seen.firstTime('d');
    expect(store.listKeys(SEEN_KEY_PREFIX)).toEqual([`${SEEN_KEY_PREFIX}d`]);
  });

  it('goes on with its own memory when the store cannot be written, saying so once', () => {
    const store = new MemoryStore();
    store.compareAndSetValue = () => {
      throw new Error('SQLITE_READONLY: attempt to write a readonly database');
    };
    const { seen, lines } = make({ store, now: () => 0 });
    expect(seen.firstTime('a')).toBe(true);
    expect(seen.firstTime('a')).toBe(false);
    expect(seen.firstTime('b')).toBe(true);
    const warnings = lines.filter((line) => line.includes('cannot record Slack request ids'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SQLITE_READONLY');
  });
});

describe('SeenRequests for each platform', () => {
  it('keeps Discord ids 15 minutes (an interaction token’s life) under their own keys, apart from Slack’s', () => {
    let now = 0;
    const store = new MemoryStore();
    const { logger } = captureLogger();
    const discord = new SeenRequests({ platform: 'discord', store, logger, now: () => now });
    const slack = new SeenRequests({ platform: 'slack', store, logger, now: () => now });
    expect(discord.firstTime('1234')).toBe(true);
    expect(slack.firstTime('1234')).toBe(true);
    expect(store.listKeys('')).toEqual(['discord:seen:1234', 'slack:seen:1234']);
    expect(store.getValue('discord:seen:1234')).toBe(String(15 * 60_000));
    // Another instance of the Discord bot on the same store: the repeat is not its to run.
    const standby = new SeenRequests({ platform: 'discord', store, logger, now: () => now });
    now += 15 * 60_000 - 1;
    expect(standby.firstTime('1234')).toBe(false);
    now += 1;
    expect(discord.firstTime('1234')).toBe(true);
  });

  it('a clean-up that fails after the id is recorded still says repeat for a repeat', () => {
    let now = 0;
    const store = new MemoryStore();
    const { logger, lines } = captureLogger();
    const other = new SeenRequests({ platform: 'discord', store, logger, now: () => now });
    expect(other.firstTime('42')).toBe(true);
    store.deleteValuesAtMost = () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    const seen = new SeenRequests({ platform: 'discord', store, logger, now: () => now });
    now += 60_000;
    expect(seen.firstTime('42')).toBe(false);
    expect(seen.firstTime('43')).toBe(true);
    expect(lines.filter((line) => line.includes('cannot record Discord request ids'))).toHaveLength(1);
  });
});
