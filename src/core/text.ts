/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known word within edit distance 2 of `word` (case-insensitively), if any: for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(word.toLowerCase(), key.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/**
 * What the user typed, quoted for an answer: control and direction characters removed (a right-to-left
 * override would turn the rest of the line around), and cut to `max` characters with `…`.
 */
export function quoted(value: string, max = 40): string {
  return `"${shown(value, max)}"`;
}

/** {@link quoted} without the quotes. */
export function shown(value: string, max = 40): string {
  const clean = value.replace(/\s+/g, ' ').replace(/[\p{Cc}\p{Cf}]/gu, '');
  const chars = [...clean];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
}

/** `1, 2, 3, 5, 7–20`: sorted whole numbers, a run of four or more as `first–last`. */
export function numberRanges(numbers: readonly number[]): string {
  const runs: string[] = [];
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  for (let index = 0; index < sorted.length; ) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end += 1;
    runs.push(end - index >= 3 ? `${sorted[index]}–${sorted[end]}` : sorted.slice(index, end + 1).join(', '));
    index = end + 1;
  }
  return runs.join(', ');
}

/**
 * `10,000`: a whole number with commas between thousands, as `toLocaleString('en-US')` writes it, without
 * loading ICU's number formatting (its first use costs ~30 ms, paid at start by the module that called it).
 */
export function thousands(value: number): string {
  const [whole = '', fraction] = String(value).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}
