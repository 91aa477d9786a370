import { describe, expect, it } from 'vitest';
import {
  countLine,
  figureLine,
  median,
  parseProcStatCpuMs,
  parseSmapsRollup,
  percentile,
  ratioSpread,
} from '../../scripts/bench/stats.js';

// Texts as Linux writes them (a command name with a space and a parenthesis, to catch naive splitting).
const STAT =
  '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 12000 0 3 0 153 47 0 0 20 0 11 0 500 1100000000 30000 ' +
  '18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0';
const SMAPS = `55d0c0000000-7ffd00000000 ---p 00000000 00:00 0                          [rollup]
Rss:              102400 kB
Pss:               81920 kB
Pss_Dirty:         70000 kB
Shared_Clean:      20480 kB
Shared_Dirty:          0 kB
Private_Clean:      2048 kB
Private_Dirty:     79872 kB
Swap:                  0 kB
`;

describe('bench helpers', () => {
  it('percentile is nearest-rank, median averages the middle two', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('the spread is of the per-run ratios, each run against the baseline run next to it', () => {
    expect(ratioSpread([12, 20, 9], [10, 10, 10])).toEqual([0.9, 2]);
  });

  it('reads CPU time from /proc/<pid>/stat after the command name, and memory from smaps_rollup', () => {
    expect(parseProcStatCpuMs(STAT)).toBe(2000);
    expect(parseProcStatCpuMs(STAT, 250)).toBe(800);
    expect(parseSmapsRollup(SMAPS)).toEqual({ rssMb: 100, pssMb: 80, privateMb: 80 });
  });

  it('prints a figure with its medians, ratio, spread and target, and MISSED over the target', () => {
    expect(figureLine('rss_at_ready', [120, 110, 130], [100, 100, 100], 'MB', { maxRatio: 1.15 })).toBe(
      'rss_at_ready ours=120MB baseline=100MB ratio=1.200 spread=1.10–1.30 target=<=1.15 MISSED',
    );
    expect(figureLine('p50', [1.1, 1], [1, 1], 'ms', { maxRatio: 1.1 })).toBe(
      'p50 ours=1.05ms baseline=1.00ms ratio=1.050 spread=1.00–1.10 target=<=1.1',
    );
  });

  it('a count passes only when ours is no more than the baseline in every run', () => {
    expect(countLine('missed', [0, 3, 0], [0, 0, 1])).toBe(
      'missed ours=0 baseline=0 ratio=n/a runs=0/0,3/0,0/1 target=<=baseline_every_run MISSED (1 of 3 runs over the baseline)',
    );
    expect(countLine('missed', [0, 0], [0, 2])).toBe('missed ours=0 baseline=1 ratio=0.000 runs=0/0,0/2 target=<=baseline_every_run');
  });
});
