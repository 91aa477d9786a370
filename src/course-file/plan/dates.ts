import { WEEKDAYS, type Weekday, isIsoDate, parseWeekday } from '../../core/course/dates.js';

const MONTHS = [
  ['jan', 'januar', 'january', 'janvier', 'jänner'],
  ['feb', 'februar', 'february', 'février'],
  ['mar', 'mär', 'marts', 'march', 'märz', 'mars', 'maart'],
  ['apr', 'april', 'avril'],
  ['may', 'maj', 'mai', 'mei'],
  ['jun', 'juni', 'june', 'juin'],
  ['jul', 'juli', 'july', 'juillet'],
  ['aug', 'august', 'augustus', 'août'],
  ['sep', 'sept', 'september', 'septembre'],
  ['oct', 'okt', 'oktober', 'october', 'octobre'],
  ['nov', 'november', 'novembre'],
  ['dec', 'dez', 'december', 'dezember', 'décembre'],
] as const;

/** Weekday names in the languages whose headers the importer knows, to their English weekday. */
const WEEKDAY_WORDS: Readonly<Record<string, Weekday>> = {
  mandag: 'monday', tirsdag: 'tuesday', onsdag: 'wednesday', torsdag: 'thursday', fredag: 'friday', lørdag: 'saturday', søndag: 'sunday',
  montag: 'monday', dienstag: 'tuesday', mittwoch: 'wednesday', donnerstag: 'thursday', freitag: 'friday', samstag: 'saturday', sonntag: 'sunday',
  måndag: 'monday', tisdag: 'tuesday', lördag: 'saturday', tues: 'tuesday', thur: 'thursday', thurs: 'thursday',
  mo: 'monday', tu: 'tuesday', we: 'wednesday', th: 'thursday', fr: 'friday', sa: 'saturday', su: 'sunday',
  man: 'monday', tir: 'tuesday', ons: 'wednesday', tor: 'thursday', fre: 'friday', lør: 'saturday', søn: 'sunday',
  di: 'tuesday', mi: 'wednesday', do: 'thursday', so: 'sunday',
};

/** A weekday in English, Danish, German or Swedish, whole or abbreviated ("Tue", "Tues.", "tirsdag"). */
export function weekdayOfText(text: string): Weekday | undefined {
  const word = text.trim().toLowerCase().replace(/[.,]$/, '');
  if (!word) return undefined;
  return WEEKDAY_WORDS[word] ?? parseWeekday(word);
}

function monthOf(word: string): number | undefined {
  const lower = word.toLowerCase().replace(/\.$/, '');
  const index = MONTHS.findIndex((names) => names.some((name) => name === lower));
  return index < 0 ? undefined : index + 1;
}

/** The order of numeric dates: day first (`5/1` is 5 January, as in most of the world) or month first (US). */
export type DateOrder = 'dm' | 'md';

/** A date cell read: its ISO date, the weekday written beside it, or why it is not a date. */
export interface ReadDate {
  readonly date?: string;
  readonly weekday?: Weekday;
  readonly problem?: string;
}

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The two numbers of a numeric date that carries no year word: day first or month first. */
export function numericParts(text: string): readonly [number, number] | undefined {
  const match = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\.?$/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * A date as instructors write it: `D/M`, `D/M/YY`, `D/M/YYYY`, `D.M.YYYY`, `D-M-YYYY`, ISO `YYYY-MM-DD`, `5 Jan`,
 * `Jan 5, 2026`, each with an optional weekday before it ("Mon 5/1", "Tuesday, Jan 14").
 */
export function readDate(cell: string, year: number | undefined, order: DateOrder = 'dm'): ReadDate {
  let text = cell.trim().replace(/\s+/g, ' ');
  let weekday: Weekday | undefined;
  const lead = /^([A-Za-zæøåäöüÆØÅÄÖÜ]+)\.?,?\s+(?=\d|[A-Za-z]+\.? \d)/.exec(text);
  if (lead && monthOf(lead[1]!) === undefined && weekdayOfText(lead[1]!)) {
    weekday = weekdayOfText(lead[1]!);
    text = text.slice(lead[0].length);
  }
  const trail = /\s*\(([A-Za-zæøåäöü]+)\.?\)$/.exec(text);
  if (trail && weekdayOfText(trail[1]!)) {
    weekday = weekdayOfText(trail[1]!);
    text = text.slice(0, trail.index);
  }
  const shown = cell.trim();
  let y: number | undefined;
  let m: number | undefined;
  let d: number | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\.?$/.exec(text))) {
    const [a, b] = [Number(match[1]), Number(match[2])];
    [d, m] = order === 'dm' ? [a, b] : [b, a];
    if (match[3]) y = match[3].length === 2 ? 2000 + Number(match[3]) : Number(match[3]);
  } else if ((match = /^(\d{1,2})\.?\s+([A-Za-zäéû]+)\.?,?(?:\s+(\d{4}))?$/.exec(text)) && monthOf(match[2]!)) {
    [d, m] = [Number(match[1]), monthOf(match[2]!)];
    if (match[3]) y = Number(match[3]);
  } else if ((match = /^([A-Za-zäéû]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$/.exec(text)) && monthOf(match[1]!)) {
    [m, d] = [monthOf(match[1]!), Number(match[2])];
    if (match[3]) y = Number(match[3]);
  } else {
    if (!text && weekday) return { weekday };
    return { problem: `"${shown}" is not a date (D/M, D/M/YY, D.M.YYYY, YYYY-MM-DD or "5 Jan")` };
  }
  y ??= year;
  if (y === undefined) return { problem: `${shown} has no year: pass --year`, ...(weekday && { weekday }) };
  const date = iso(y, m!, d);
  if (!isIsoDate(date)) return { problem: `${shown} is not a real date${order === 'md' ? ' (read month first)' : ''}` };
  return { date, ...(weekday && { weekday }) };
}

export { WEEKDAYS };
