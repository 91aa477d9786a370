/**
 * The benchmark's pure helpers: percentiles, medians with their spread, the `/proc` parsers, and the one line
 * format every figure is printed in. No I/O here, so `test/scripts/bench-stats.test.ts` can pin them.
 */

/** The `p`th percentile (nearest rank) of `values`; `NaN` for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The median (the mean of the middle two for an even count); `NaN` for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `ours / baseline`, or `NaN` where the baseline is 0 or missing. */
export function ratio(ours: number, baseline: number): number {
  return baseline === 0 || !Number.isFinite(baseline) ? Number.NaN : ours / baseline;
}

/**
 * The spread of the per-run ratios: run i of ours against run i of the baseline (the pair measured next to
 * each other), as `[min, max]`.
 */
export function ratioSpread(ours: readonly number[], baseline: readonly number[]): [number, number] {
  const ratios = ours.slice(0, baseline.length).map((value, index) => ratio(value, baseline[index]!));
  const finite = ratios.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? [Number.NaN, Number.NaN] : [Math.min(...finite), Math.max(...finite)];
}

/** CPU time (user + system, ms) of a process from the text of `/proc/<pid>/stat`, at `ticksPerSecond` (usually 100). */
export function parseProcStatCpuMs(stat: string, ticksPerSecond = 100): number {
  // The command name (field 2) is in parentheses and may hold spaces: count the fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // After the name: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond;
}

/** Memory of a process from `/proc/<pid>/smaps_rollup`, in MB: RSS, PSS and private (clean + dirty). */
export interface SmapsMemory {
  readonly rssMb: number;
  readonly pssMb: number;
  readonly privateMb: number;
}

/** Parses the text of `/proc/<pid>/smaps_rollup` (values in kB). */
export function parseSmapsRollup(text: string): SmapsMemory {
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  return {
    rssMb: kb('Rss') / 1024,
    pssMb: kb('Pss') / 1024,
    privateMb: (kb('Private_Clean') + kb('Private_Dirty')) / 1024,
  };
}

/** A figure's target: the largest ratio that meets it (`target=<=1.15`). */
export interface Target {
  readonly maxRatio: number;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/**
 * One figure: `<metric> ours=<median><unit> baseline=<median><unit> ratio=<ours/baseline> spread=<min–max of
 * the per-run ratios>`, then `target=<=<max>` and `MISSED` when the median ratio is over it. A metric where
 * lower is not better (none so far) has no target.
 */
export function figureLine(
  metric: string,
  ours: readonly number[],
  baseline: readonly number[],
  unit: string,
  target?: Target,
): string {
  const [oursMedian, baselineMedian] = [median(ours), median(baseline)];
  const medianRatio = ratio(oursMedian, baselineMedian);
  const [low, high] = ratioSpread(ours, baseline);
  let text =
    `${metric} ours=${format(oursMedian)}${unit} baseline=${format(baselineMedian)}${unit} ` +
    `ratio=${Number.isFinite(medianRatio) ? medianRatio.toFixed(3) : 'n/a'} ` +
    `spread=${Number.isFinite(low) ? `${low.toFixed(2)}–${high.toFixed(2)}` : 'n/a'}`;
  if (target) {
    text += ` target=<=${target.maxRatio}`;
    if (Number.isFinite(medianRatio) && medianRatio > target.maxRatio) text += ' MISSED';
  }
  return text;
}

/**
 * An overload figure (a count), where the target is "ours no more than the baseline, in every run":
 * `<metric> ours=<median> baseline=<median> ratio=<…> runs=<ours/baseline per run> target=<=baseline_every_run`,
 * then `MISSED` when any run of ours counted more than the baseline's run next to it.
 */
export function countLine(metric: string, ours: readonly number[], baseline: readonly number[]): string {
  const worse = ours.filter((value, index) => value > (baseline[index] ?? Number.POSITIVE_INFINITY)).length;
  const medianRatio = ratio(median(ours), median(baseline));
  const runs = ours.map((value, index) => `${value}/${baseline[index] ?? '?'}`).join(',');
  return (
    `${metric} ours=${median(ours)} baseline=${median(baseline)} ` +
    `ratio=${Number.isFinite(medianRatio) ? medianRatio.toFixed(3) : 'n/a'} runs=${runs} target=<=baseline_every_run` +
    (worse > 0 ? ` MISSED (${worse} of ${ours.length} runs over the baseline)` : '')
  );
}
