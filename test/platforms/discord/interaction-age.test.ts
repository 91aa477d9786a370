import { describe, expect, it } from 'vitest';
import { InteractionAges, SHED_AFTER_MS, snowflakeTime } from '../../../src/platforms/discord/interaction-age.js';
import { snowflakeAt } from '../../fakes/discord/snowflake.js';

const T0 = Date.UTC(2027, 0, 5, 9);

/** Ages judged by a clock that reads `clock.now`, which the test moves. */
function ages(start = T0) {
  const clock = { now: start };
  return { clock, ages: new InteractionAges(() => clock.now) };
}

describe('snowflakeTime', () => {
  it("reads Discord's creation time from an id, and nothing from what is not one", () => {
    // Discord's documented example: 175928847299117063 was created at 2016-04-30T11:18:25.796Z.
    expect(new Date(snowflakeTime('175928847299117063')!).toISOString()).toBe('2016-04-30T11:18:25.796Z');
    expect(snowflakeTime(snowflakeAt(T0))).toBe(T0);
    expect(snowflakeTime('12')).toBeUndefined();
    expect(snowflakeTime('1234abc56789012345')).toBeUndefined();
    expect(snowflakeTime(175928847299)).toBeUndefined();
    expect(snowflakeTime(undefined)).toBeUndefined();
  });
});

describe('InteractionAges', () => {
  it(`sheds what is older than ${SHED_AFTER_MS} ms, not what is younger`, () => {
    const { ages: judge } = ages();
    // The youngest age seen (40 ms: the way from Discord) is taken off the others.
    expect(judge.shed(snowflakeAt(T0 - 40))).toEqual({ shed: false, ageMs: 0 });
    expect(judge.shed(snowflakeAt(T0 - 2_500))).toEqual({ shed: false, ageMs: 2_460 });
    expect(judge.shed(snowflakeAt(T0 - 2_600))).toEqual({ shed: true, ageMs: 2_560 });
  });

  it('never sheds an age that is negative (this clock behind), beyond belief, or unknown', () => {
    const { ages: judge } = ages();
    expect(judge.shed(snowflakeAt(T0 + 5_000))).toEqual({ shed: false });
    expect(judge.shed(snowflakeAt(T0 - 61_000))).toEqual({ shed: false });
    expect(judge.shed(snowflakeAt(T0 - 10 * 60_000))).toEqual({ shed: false });
    expect(judge.shed('not-an-id')).toEqual({ shed: false });
  });

  it('a clock 5 s ahead of Discord sheds nothing that is fresh, and still sheds a backlog 3 s behind', () => {
    const { clock, ages: judge } = ages();
    const discordNow = () => clock.now - 5_000;
    for (let i = 0; i < 5; i += 1) {
      clock.now += 1_000;
      expect(judge.shed(snowflakeAt(discordNow() - 30)).shed).toBe(false);
    }
    // A burst: this one waited 3 s in the queue (8 s old by this clock).
    expect(judge.shed(snowflakeAt(discordNow() - 3_000))).toEqual({ shed: true, ageMs: 3_000 - 30 });
  });

  it("an old first interaction counts as the clock's lead (not shed) until a fresh one shows the clocks agree", () => {
    const { clock, ages: judge } = ages();
    // One interaction 3 s old, the first seen: taken as this clock's lead, so not shed.
    expect(judge.shed(snowflakeAt(clock.now - 3_000)).shed).toBe(false);
    clock.now += 5 * 60_000;
    expect(judge.shed(snowflakeAt(clock.now - 3_000)).shed).toBe(false);
    clock.now += 5 * 60_000;
    expect(judge.shed(snowflakeAt(clock.now - 20)).shed).toBe(false);
    expect(judge.shed(snowflakeAt(clock.now - 3_000))).toEqual({ shed: true, ageMs: 2_980 });
  });
});
