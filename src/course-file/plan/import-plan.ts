import type { Nodes, Root, RootContent, Table } from 'mdast';
import { parse as parseYaml } from 'yaml';
import { addDays, capitalize, isIsoDate, mondayOf, isZone, normalizeLocalTime, weekNumberOf, weekdayOf, WEEKDAYS, type Weekday } from '../../core/course/dates.js';
import { formatPath } from '../../core/course/model.js';
import { parseCourse } from '../../core/course/parse.js';
import type { CourseFileInput, SessionFormat } from '../../core/course/schema.js';
import { type Role, roleOfHeader } from './columns.js';
import { ImportError } from './import-error.js';
import { type DateOrder, numericParts, readDate, weekdayOfText } from './dates.js';
import { type FoundLink, type PlainText, parseMarkdown, plainText, valueOf } from './text.js';

export interface ImportOptions {
  /** How to name the plan in messages (`file:line`). */
  readonly source: string;
  /** The first day of the course (needed when the tables have no dates). */
  readonly start?: string;
  /** The year of dates written without one (`D/M`). */
  readonly year?: number;
  readonly timezone?: string;
  readonly name?: string;
  readonly id?: string;
  /** Where the plan lives on the web: relative links are resolved against it (else dropped with a warning). */
  readonly baseUrl?: string;
}

/** Something the import could not place, or dropped: one line, `file:line: row: what`. */
export interface ImportWarning {
  readonly line: number;
  /** "Week 2, row 3" or "table at line 40, row 1"; absent for text outside tables. */
  readonly row?: string;
  /** What, without the place. */
  readonly message: string;
  /** The whole line: `file:line: row: what`. */
  readonly text: string;
}

/** Something the import chose on its own, for the instructor to check. */
export interface ImportGuess {
  readonly field: 'zone' | 'name' | 'id' | 'dayStart' | 'year' | 'start' | 'dateOrder';
  readonly value: string;
  readonly text: string;
}

export interface ImportResult {
  readonly course: CourseFileInput;
  readonly warnings: readonly ImportWarning[];
  readonly guesses: readonly ImportGuess[];
}

export { ImportError } from './import-error.js';

interface Section {
  readonly line: number;
  readonly number?: number;
  readonly title?: string;
  readonly summary: string[];
  tables: number;
}

interface Row {
  readonly line: number;
  readonly where: string;
  readonly section?: Section;
  readonly cells: ReadonlyMap<number, PlainText>;
  readonly roles: readonly Role[];
  readonly headers: readonly string[];
  /** The date or weekday of the heading above a table that has no Date or Day column ("## Monday May 20, 2024"). */
  readonly headingDate?: string;
  /** A grid row's day ("Monday Lecture | Wednesday Lecture | Lab on Friday" columns): the weekday of the row's week. */
  readonly gridDay?: Weekday;
  readonly gridFormat?: SessionFormat;
}

type Resource = { id: string; title: string; url: string; tags: string[] };
type Session = Record<string, unknown> & { date?: string; day?: Weekday };

const WEEK_HEADING =
  /^(?:(?:week|wk|uge|woche|vecka|uke|semaine|semana|settimana|lesson week|teaching week)\.?\s*(\d{1,3})|(\d{1,3})\.\s*(?:week|uge|woche|vecka|uke))\b\s*(?:[:\-–—.|)]\s*)?(.*)$/i;
const NAME_NOISE =
  /\b(course\s+plan|kursusplan|(course\s+)?(time\s*-?\s*plan|timeplan|schedule|syllabus|calendar|overview|tidsplan|lektionsplan|semesterplan|zeitplan|stundenplan|kursplan|vorlesungsplan|veranstaltungsplan|terminplan|ablaufplan|schema|programme|program))\b/gi;
const FREE =
  /\b(holidays?|vacation|(spring|fall|autumn|winter|easter|christmas|mid-?term|semester|reading|thanksgiving)\s+(break|recess|week|holiday)|break|recess|no\s+(class|classes|lecture|lectures|teaching|school|session|sessions|meeting)|free\s+day|day\s+off|cancell?ed|closed|thanksgiving|helligdag|ferie|fridag|aflyst|påskeferie|efterårsferie|vinterferie|feiertag|ferien|vorlesungsfrei|entfällt|fällt aus|ledig|lov)(?![-\w])/i;
const PROJECT = /^(project|projects|projekt|project work|project day|group work|projektarbejde|projektarbeit)\b/i;
const EXAM = /\b(exam|exams|examination|midterm|mid-term|final exam|eksamen|prüfung|klausur|tentamen)\b/i;

function formatOf(text: string): SessionFormat | undefined {
  const value = text.toLowerCase();
  if (!value) return undefined;
  if (EXAM.test(value)) return 'exam';
  if (/^(project|projekt)/.test(value)) return 'project';
  if (/^(exercise|lab|tutorial|workshop|practical|øvelse|übung|hands-on)/.test(value)) return 'exercises';
  if (/lecture|guest|talk|forelæsning|vorlesung|seminar/.test(value)) return 'lecture';
  return 'other';
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/æ/g, 'ae')
      .replace(/ø/g, 'o')
      .replace(/ß/g, 'ss')
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'course'
  );
}

/** "9:00", "9.00", "9am", "2:15 pm" → "HH:MM". */
function timeOf(hour: string, minute: string | undefined, half: string | undefined): string | undefined {
  let h = Number(hour);
  if (half) {
    if (h > 12) return undefined;
    h = (h % 12) + (/p/i.test(half) ? 12 : 0);
  }
  return normalizeLocalTime(`${h}:${minute ?? '00'}`);
}

const TIME = String.raw`(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?`;
const STARTS_AT = new RegExp(
  String.raw`\b(?:lectures?|class(?:es)?|teaching|sessions?|days?|we|forelæsning(?:er|en)?|undervisning(?:en)?|vorlesung(?:en)?|unterricht)\b[^.!?]*?\b(?:start|starts|begin|begins|are at|is at|at|starter|begynder|beginnt|beginnen|um)\s+(?:at\s+)?(?:kl\.?\s*)?${TIME}`,
  'i',
);
const RANGE_LECTURE = new RegExp(String.raw`${TIME}\s*[-–—]\s*\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)?\s*:?\s*(?:lecture|class|teaching|forelæsning|vorlesung)`, 'i');

// A time range with minutes, anywhere in a sentence about lectures ("Lectures are held Tuesdays, 10:10–11:25").
const RANGE_ANY = new RegExp(String.raw`\b(\d{1,2})[:.](\d{2})\s*(a\.?m\.?|p\.?m\.?)?\s*[-–—]\s*\d{1,2}[:.]\d{2}`, 'i');
const LECTURE_WORD = /lecture|class|session|teaching|forelæsning|undervisning|vorlesung|unterricht/i;
// Headers of a column that often only numbers the sessions ("S1", "L3"), when another names the topic.
const NUMBERING_HEADER = /^(sessions?|sections?|modules?|units?|chapters?|class|lectures?|no\.?|nr\.?|#)$/;

/** A lecture start stated in prose: "Lectures start at 9:00", "9:00–10:00 lecture", "Lectures: Tue, 10:10–11:25". */
function lectureTimeIn(text: string): string | undefined {
  for (const sentence of text.replace(/\b(kl|ca|approx)\.\s*/gi, '$1 ').split(/(?<=[.!?])\s+/)) {
    const range = RANGE_LECTURE.exec(sentence);
    if (range) return timeOf(range[1]!, range[2], range[3]);
    const starts = STARTS_AT.exec(sentence);
    // A bare number is a time only with minutes or am/pm ("at 9" could be anything).
    if (starts && (starts[2] !== undefined || starts[3] !== undefined) && LECTURE_WORD.test(sentence)) {
      return timeOf(starts[1]!, starts[2], starts[3]);
    }
    const held = LECTURE_WORD.test(sentence) ? RANGE_ANY.exec(sentence) : null;
    if (held) return timeOf(held[1]!, held[2], held[3]);
  }
  return undefined;
}

/** The name, zone, year, start and dayStart a YAML front matter may give. */
function frontMatterOf(value: string): Record<string, unknown> | string {
  try {
    const data: unknown = parseYaml(value);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0]! : 'not YAML';
  }
}

/** Whether a heading's rest says more than its dates: "Foundations" does, "(5–9 Jan 2026)" does not. */
function hasWords(text: string): boolean {
  const words = text.match(/\p{L}+/gu) ?? [];
  return words.some((word) => !readDate(`1 ${word}`, 2000).date && !/^(st|nd|rd|th)$/i.test(word));
}

/**
 * Two rows on one day (a lecture and a lab, an agenda by the hour) are one session: a course file holds one a day.
 * Nothing is lost: topics, frameworks, resources and notes are joined in the plan's order.
 */
function merge(into: Session, next: Session): void {
  const join = (key: 'topic' | 'note', separator: string) => {
    const values = [into[key], next[key]].filter((value): value is string => typeof value === 'string' && value !== '');
    if (values.length) into[key] = [...new Set(values)].join(separator);
  };
  join('topic', '; ');
  join('note', ' · ');
  for (const key of ['frameworks', 'resources'] as const) {
    const values = [...((into[key] as string[] | undefined) ?? []), ...((next[key] as string[] | undefined) ?? [])];
    if (values.length || key === 'frameworks') into[key] = [...new Set(values)];
  }
  into.format ??= next.format;
  // A day is cancelled only when all its rows are.
  if (!(into.cancelled && next.cancelled)) {
    if (typeof into.cancelled === 'string' && !into.topic) into.topic = into.cancelled;
    delete into.cancelled;
  }
}

/** Roles a session takes from one column only. */
const SINGLE = new Set<Role>(['date', 'day', 'topic', 'frameworks', 'format', 'week']);

/** The weekday a grid column's header names: "Monday Lecture", "Lab on Friday", "Tue". */
function weekdayInHeader(header: string): Weekday | undefined {
  for (const word of header.toLowerCase().split(/[^\p{L}]+/u)) {
    if (word.length >= 3 && (WEEKDAYS as readonly string[]).some((day) => day === word || day.slice(0, 3) === word)) return weekdayOfText(word);
    if (word.length >= 6 && weekdayOfText(word)) return weekdayOfText(word);
  }
  return undefined;
}

function lineOf(node: Nodes): number {
  return node.position?.start.line ?? 1;
}

/**
 * Reads a course's Markdown time plan, as instructors write them, into a course file that passes validation, with
 * what it could not place (warnings) and what it chose (guesses). Pure: no file or network access. Throws
 * `ImportError` listing every problem that makes the import impossible; nothing partial.
 */
export function importPlan(markdown: string, options: ImportOptions): ImportResult {
  const source = options.source;
  const problems: string[] = [];
  const warnings: ImportWarning[] = [];
  const guesses: ImportGuess[] = [];
  const at = (line: number, row: string | undefined, message: string) => `${source}:${line}: ${row ? `${row}: ` : ''}${message}`;
  const problem = (line: number, row: string | undefined, message: string) => problems.push(at(line, row, message));
  const warn = (line: number, row: string | undefined, message: string) =>
    warnings.push({ line, ...(row && { row }), message, text: at(line, row, message) });

  const tree: Root = parseMarkdown(markdown.replace(/^\uFEFF/, ''));
  let front: Record<string, unknown> = {};
  let title: { text: string; line: number } | undefined;
  let section: Section | undefined;
  let sectionDepth = 0;
  const sections: Section[] = [];
  const rows: Row[] = [];
  const courseLinks: { link: FoundLink; line: number }[] = [];
  let dayStart: { time: string; line: number } | undefined;
  let dayHeading: { text: string; depth: number } | undefined;
  /** Unknown columns already warned about: once a plan, not once a table. */
  const warnedColumns = new Set<string>();

  const prose = (node: RootContent) => {
    const read = plainText([node]);
    for (const link of read.links) courseLinks.push({ link, line: lineOf(node) });
    if (!dayStart) {
      const time = lectureTimeIn(read.text);
      if (time) dayStart = { time, line: lineOf(node) };
    }
    return read.text;
  };

  for (const node of tree.children) {
    if (node.type === 'yaml') {
      const data = frontMatterOf(node.value);
      if (typeof data === 'string') warn(lineOf(node), undefined, `the front matter is not YAML (${data}): ignored`);
      else front = data;
      continue;
    }
    if (node.type === 'heading') {
      const text = plainText(node.children).text;
      const week = WEEK_HEADING.exec(text);
      if (week) {
        const rest = (week[3] ?? '').trim();
        // "Week 1 (5–9 Jan)" has no title, only its dates.
        const titleText = hasWords(rest) ? rest.replace(/^\((.*)\)$/, '$1') : '';
        section = { line: lineOf(node), number: Number(week[1] ?? week[2]), ...(titleText && { title: titleText }), summary: [], tables: 0 };
        sections.push(section);
        sectionDepth = node.depth;
        continue;
      }
      if (section && node.depth <= sectionDepth) section = undefined;
      if (dayHeading && node.depth <= dayHeading.depth) dayHeading = undefined;
      // "## Monday May 20, 2024" or "### Day 2 – Tuesday": the day of the agenda table below it.
      const dayText = text.replace(/^day\s*\d+\s*[:\-–—,]?\s*/i, '');
      const asDate = readDate(dayText, 2000);
      if (asDate.date || asDate.weekday) {
        dayHeading = { text: dayText, depth: node.depth };
        continue;
      }
      // The course's name is its title: a first-level heading, else a second-level one that is no sentence.
      const noTitle = tree.children.every((other) => other.type !== 'heading' || other.depth !== 1);
      if (!title && text && (node.depth === 1 || (noTitle && node.depth === 2 && !/[.!?]$/.test(text)))) {
        title = { text, line: lineOf(node) };
      }
      prose(node);
      continue;
    }
    if (node.type === 'table') {
      readTable(node);
      continue;
    }
    if (node.type === 'paragraph' || node.type === 'list' || node.type === 'blockquote') {
      const text = prose(node);
      if (section && section.tables === 0 && node.type === 'paragraph' && text) section.summary.push(text);
      continue;
    }
    if (node.type === 'html' || node.type === 'code' || node.type === 'thematicBreak' || node.type === 'definition') continue;
  }

  function readTable(table: Table) {
    const [head, ...body] = table.children;
    if (!head) return;
    const line = lineOf(table);
    const headers = head.children.map((cell) => plainText(cell.children).text);
    const texts = body.map((row) => row.children.map((cell) => plainText(cell.children).text));
    const roles: Role[] = headers.map((header) => (header ? roleOfHeader(header) : 'extra'));
    // A column without a known header is read by what it holds: weekdays ("|  | Topic |" in the DTU README) or dates.
    roles.forEach((role, index) => {
      if (role !== 'extra') return;
      const values = texts.map((row) => valueOf(row[index] ?? '')).filter(Boolean);
      if (values.length === 0) return;
      if (!roles.includes('day') && values.every((value) => weekdayOfText(value))) roles[index] = 'day';
      else if (!roles.includes('date') && values.every((value) => readDate(value, 2000).date)) roles[index] = 'date';
      // Said when the header did not say it ("Abgabedatum"): the instructor may mean a deadline, not a session.
      if (roles[index] !== 'extra' && headers[index]) warn(line, undefined, `column "${headers[index]}" holds ${roles[index] === 'day' ? 'weekdays' : 'dates'}: read as the ${roles[index] === 'day' ? 'Day' : 'Date'} column`);
    });
    // "Session | Date | Content": a column that numbers the sessions gives way to one that names the topic.
    const topics = roles.flatMap((role, index) => (role === 'topic' ? [index] : []));
    const named = topics.find((index) => !NUMBERING_HEADER.test((headers[index] ?? '').toLowerCase().trim()));
    if (topics.length > 1 && named !== undefined) for (const index of topics) if (index !== named) roles[index] = 'coursework';
    // A second column of the same meaning ("Lectures" beside "Section") is kept as a note line of its own.
    roles.forEach((role, index) => {
      if (SINGLE.has(role) && roles.indexOf(role) < index) roles[index] = 'coursework';
    });
    // A grid: one column a weekday ("Monday Lecture", "Lab on Friday") and a row a week.
    const gridDays = headers.map((header, index) =>
      roles[index] === 'date' || roles[index] === 'day' || roles[index] === 'week' ? undefined : weekdayInHeader(header),
    );
    const grid = gridDays.some(Boolean) && (roles.includes('date') || roles.includes('week'));
    if (grid) gridDays.forEach((day, index) => day && (roles[index] = 'topic'));
    const headingDate = !roles.includes('date') && !roles.includes('day') ? dayHeading?.text : undefined;
    if (!roles.includes('date') && !roles.includes('day') && !headingDate) {
      warn(line, undefined, `the table (${headers.filter(Boolean).join(' | ') || 'no headers'}) has no Date or Day column: not read as sessions`);
      return;
    }
    roles.forEach((role, index) => {
      if (role === 'extra' && headers[index] && !warnedColumns.has(headers[index].toLowerCase())) {
        warnedColumns.add(headers[index].toLowerCase());
        warn(line, undefined, `column "${headers[index]}" is not one the importer knows: kept as a "${headers[index]}: …" note on each session`);
      } else if (role === 'extra' && !headers[index] && !warnedColumns.has(`#${index}`) && texts.some((row) => valueOf(row[index] ?? ''))) {
        warnedColumns.add(`#${index}`);
        warn(line, undefined, `column ${index + 1} has no header: kept as a note on each session`);
      }
    });
    if (section) section.tables += 1;
    body.forEach((row, index) => {
      const where = section?.number !== undefined ? `Week ${section.number}, row ${index + 1}` : `table at line ${line}, row ${index + 1}`;
      const cells = new Map<number, PlainText>();
      row.children.forEach((cell, column) => cells.set(column, plainText(cell.children)));
      if (!grid) {
        rows.push({ line: lineOf(row), where, ...(section && { section }), ...(headingDate && { headingDate }), cells, roles, headers });
        return;
      }
      let first = true;
      gridDays.forEach((gridDay, column) => {
        if (!gridDay || !valueOf(cells.get(column)?.text ?? '')) return;
        // This day's column is the topic; the other days' are not this session's; shared columns go with the first.
        const dayRoles = roles.map((role, other): Role =>
          other === column ? 'topic' : gridDays[other] || (!first && role !== 'date' && role !== 'week') ? 'ignore' : role,
        );
        const format = formatOf(headers[column]!.replace(/\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|on)\b/gi, '').trim());
        rows.push({ line: lineOf(row), where, ...(section && { section }), cells, roles: dayRoles, headers, gridDay, ...(format && format !== 'other' && { gridFormat: format }) });
        first = false;
      });
      const shared = [...cells].filter(([column, read]) => !gridDays[column] && roles[column] !== 'date' && roles[column] !== 'week' && valueOf(read.text));
      if (first && shared.length) {
        warn(lineOf(row), where, `"${shared.map(([, read]) => read.text).join(' | ').slice(0, 60)}" is in no day's column: not imported`);
      }
    });
  }

  // Numeric dates are day first unless the plan itself shows otherwise ("1/27" has no 27th month).
  let order: DateOrder = 'dm';
  const numeric = rows.flatMap((row) => row.roles.flatMap((role, index) => (role === 'date' ? [numericParts(valueOf(row.cells.get(index)?.text ?? ''))] : [])));
  if (numeric.some((parts) => parts && parts[1] > 12) && !numeric.some((parts) => parts && parts[0] > 12)) {
    order = 'md';
    guesses.push({ field: 'dateOrder', value: 'M/D', text: `${source}: dates read month first (M/D, US style): a second number above 12 cannot be a month` });
  }

  const frontString = (...keys: string[]) => {
    for (const key of keys) {
      const value = front[key];
      if (typeof value === 'string' && value.trim()) return value.trim();
      if (typeof value === 'number' || value instanceof Date) return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
      if (value && typeof value === 'object' && typeof (value as Record<string, unknown>).name === 'string') return String((value as Record<string, unknown>).name);
    }
    return undefined;
  };
  const frontYear = frontString('year');
  // "CS 329S Schedule — Winter 2027": the one year the course's title names.
  const titleYears = new Set([frontString('title', 'name', 'course') ?? '', title?.text ?? ''].flatMap((text) => text.match(/\b(?:19|20)\d{2}\b/g) ?? []));
  const titleYear = titleYears.size === 1 ? Number([...titleYears][0]) : undefined;
  const year = options.year ?? (frontYear && /^\d{4}$/.test(frontYear) ? Number(frontYear) : titleYear);
  if (options.year === undefined && year !== undefined) {
    guesses.push({ field: 'year', value: String(year), text: `year: ${year} for dates written without one, from the ${frontYear ? 'front matter' : 'title'}; pass --year to change it` });
  }
  const startOption = options.start ?? frontString('start');
  if (startOption !== undefined && !isIsoDate(startOption)) problem(1, undefined, `--start: ${startOption} is not a date (YYYY-MM-DD)`);
  const timezone = options.timezone ?? frontString('timezone', 'timeZone', 'zone') ?? 'UTC';
  if (!isZone(timezone)) problem(1, undefined, `--timezone: ${timezone} is not a known IANA time zone`);
  if (!options.timezone) {
    guesses.push({
      field: 'zone',
      value: timezone,
      text: timezone === 'UTC' ? `time zone: UTC, as none was given; pass --timezone Europe/Copenhagen (any IANA name) for the course's own` : `time zone: ${timezone}, from the front matter`,
    });
  }

  // Each row: its date or weekday and its session.
  const sessions: { row: Row; date?: string; day?: Weekday; weekNumber?: number; session: Session }[] = [];
  let lastWeekCell: number | undefined;
  for (const row of rows) {
    const cell = (role: Role) => {
      const index = row.roles.indexOf(role);
      return index < 0 ? undefined : row.cells.get(index);
    };
    const value = (role: Role) => valueOf(cell(role)?.text ?? '');
    const dayText = value('day');
    let day = dayText ? weekdayOfText(dayText.split(/[\s,]/)[0]!) : undefined;
    if (dayText && !day) {
      // "Mon 5/1" in a Day column: a date with its weekday.
      const read = readDate(dayText, year, order);
      if (read.weekday) day = read.weekday;
      else problem(row.line, row.where, `"${dayText}" is not a weekday`);
    }
    let date: string | undefined;
    const dateText = value('date') || row.headingDate || '';
    // "16-20 Dec 2025" is "16 Dec 2025" to "20 Dec 2025".
    const shortRange = /^(\d{1,2})\.?\s*(?:--|–|—|-)\s*(\d{1,2}\.?\s+\p{L}+\.?(?:\s+\d{4})?)$/u.exec(dateText);
    const range = shortRange
      ? ([dateText, `${shortRange[1]} ${shortRange[2]!.replace(/^\d{1,2}\.?\s+/, '')}`, shortRange[2]] as const)
      : /^(.+?)\s*(?:--|–|—|-|to|until|til)\s*(.+)$/i.exec(dateText);
    if (range && readDate(range[1], year ?? 2000, order).date && readDate(range[2]!, year ?? 2000, order).date) {
      // "Mar 2 -- Mar 6 | Spring break": a stretch without teaching, said once; anything else in a range is unplaceable.
      const rest = [...row.cells.entries()].filter(([index]) => row.roles[index] !== 'date').map(([, read]) => read.text).join(' ').trim();
      if (FREE.test(rest)) warn(row.line, row.where, `${dateText}: "${rest}", a stretch without sessions: nothing imported for it`);
      else problem(row.line, row.where, `${dateText} is a range of dates: give each day its own row`);
      continue;
    }
    if (dateText) {
      const read = readDate(dateText, year, order);
      if (read.problem) problem(row.line, row.where, read.problem);
      date = read.date;
      const said = day ?? read.weekday;
      if (date && said && weekdayOf(date) !== said) {
        problem(row.line, row.where, `${dateText} is a ${capitalize(weekdayOf(date))}, but the ${day ? 'Day column' : 'date'} says ${capitalize(said)}`);
      }
      if (!day && read.weekday) day = read.weekday;
    }
    if (row.gridDay) {
      if (date) date = addDays(mondayOf(date), WEEKDAYS.indexOf(row.gridDay));
      day = row.gridDay;
    }
    const weekText = value('week');
    const weekMatch = /(\d{1,3})/.exec(weekText);
    if (weekMatch) lastWeekCell = Number(weekMatch[1]);
    const texts = [...row.cells.values()].map((read) => read.text).join(' ');
    if (!date && !day) {
      if (texts.trim() && !dateText) warn(row.line, row.where, `"${texts.slice(0, 60).trim()}" has no date or weekday: skipped`);
      continue;
    }
    // A date and nothing else ("So, 22.03.2020 | n/a") is no session.
    if (![...row.cells].some(([index, read]) => !['date', 'day', 'week', 'ignore'].includes(row.roles[index]!) && valueOf(read.text))) continue;
    sessions.push({ row, ...(date && { date }), ...(day && { day }), ...(lastWeekCell !== undefined && { weekNumber: lastWeekCell }), session: {} });
  }

  // Whether dated: the course starts with its first session (or --start), and each date finds its own week.
  const dated = sessions.some((entry) => entry.date);
  const firstDate = sessions.map((entry) => entry.date).filter((date): date is string => !!date).sort()[0];
  const start = startOption ?? firstDate;
  const anyDateCell = rows.some((row) => row.roles.some((role, index) => role === 'date' && valueOf(row.cells.get(index)?.text ?? '')));
  if (!start && !anyDateCell && sessions.length > 0) problem(1, undefined, 'the tables have no dates: pass --start YYYY-MM-DD (the first day of week 1)');
  if (!options.start && !frontString('start') && firstDate) guesses.push({ field: 'start', value: firstDate, text: `start: ${firstDate}, the first session's date` });
  if (sessions.length === 0 && problems.length === 0) {
    const tables = warnings.filter((warning) => warning.text.includes('has no Date or Day column'));
    problem(1, undefined, 'no table with a Date or Day column was found (a plan needs a table of sessions, one row a day)');
    problems.push(...tables.map((warning) => warning.text));
  }

  // Weeks: the heading's number, else a Week column, else counted (a new week when the weekday goes back).
  let counted = 1;
  let previous: number | undefined;
  let previousSection: Section | undefined;
  const weekNumbers = new Map<(typeof sessions)[number], number>();
  for (const entry of sessions) {
    if (entry.row.section !== previousSection) previous = undefined;
    previousSection = entry.row.section;
    const index = entry.day ? WEEKDAYS.indexOf(entry.day) : undefined;
    if (previous !== undefined && index !== undefined && index <= previous) counted += 1;
    if (index !== undefined) previous = index;
    let number = entry.row.section?.number ?? entry.weekNumber ?? counted;
    if (entry.date && start && isIsoDate(start)) {
      const actual = weekNumberOf(start, entry.date);
      if (actual < 1) {
        problem(entry.row.line, entry.row.where, `${entry.date} lies before the course start ${start}`);
        continue;
      }
      if ((entry.row.section?.number ?? entry.weekNumber) !== undefined && actual !== number) {
        warn(entry.row.line, entry.row.where, `${entry.date} lies in week ${actual} of a course starting ${start}, not week ${number}: put in week ${actual}`);
      }
      number = actual;
    } else if (!entry.date && dated && !entry.row.section && entry.weekNumber === undefined && start && isIsoDate(start)) {
      // A weekday row in a dated table: the week of the row above.
      const above = sessions[sessions.indexOf(entry) - 1];
      number = above ? (weekNumbers.get(above) ?? number) : 1;
    }
    weekNumbers.set(entry, number);
  }

  // Sessions, with their links as resources.
  const resources: Resource[] = [];
  const resourceIds = new Map<string, string>();
  /** Relative links dropped for want of a base URL, by line, to say so once a row. */
  const dropped = new Map<number, { row: string | undefined; urls: string[] }>();
  const resourceOf = (link: FoundLink, label: string, hint: string, line: number, row: string | undefined): string | undefined => {
    let url: string;
    if (/^https?:\/\//i.test(link.url)) url = link.url;
    else if (/^[a-z][a-z0-9+.-]*:/i.test(link.url) || link.url.startsWith('#')) return undefined;
    else if (options.baseUrl) {
      try {
        url = new URL(link.url, options.baseUrl).href;
      } catch {
        warn(line, row, `link ${link.url} cannot be resolved against ${options.baseUrl}: dropped`);
        return undefined;
      }
    } else {
      const entry = dropped.get(line) ?? { row, urls: [] };
      entry.urls.push(link.url);
      dropped.set(line, entry);
      return undefined;
    }
    let id = resourceIds.get(url);
    if (!id) {
      const base = slug(hint);
      id = base;
      for (let n = 2; resources.some((resource) => resource.id === id); n += 1) id = `${base}-${n}`;
      resourceIds.set(url, id);
      resources.push({ id, title: label || url, url, tags: [] });
    }
    return id;
  };

  const weeks = new Map<number, { number: number; title?: string; summary?: string; sessions: Session[] }>();
  const weekOf = (number: number) => {
    let week = weeks.get(number);
    if (!week) weeks.set(number, (week = { number, sessions: [] }));
    return week;
  };
  for (const entry of sessions) {
    const number = weekNumbers.get(entry);
    if (number === undefined) continue;
    const { row } = entry;
    const cellOf = (role: Role) => {
      const index = row.roles.indexOf(role);
      return index < 0 ? undefined : row.cells.get(index);
    };
    const value = (role: Role) => valueOf(cellOf(role)?.text ?? '');
    let topic = value('topic');
    const formatText = value('format');
    let format = formatOf(formatText) ?? row.gridFormat;
    let frameworks = value('frameworks')
      .split(/\s*(?:[,;+]|\band\b|&)\s*/)
      .map((part) => valueOf(part.trim()))
      .filter(Boolean);
    const notes: string[] = [];
    const noteText = value('notes');
    // The README style has no Format column: project days say so in the framework column.
    if (!format && frameworks.length === 1 && PROJECT.test(frameworks[0]!)) {
      format = 'project';
      if (!/^project work$/i.test(frameworks[0]!)) notes.push(frameworks[0]!);
      frameworks = [];
    }
    let cancelled: string | undefined;
    const teaching = format === 'project' || format === 'exercises' || format === 'exam';
    if (/^no (lecture|lectures|class|teaching)$/i.test(topic) && (teaching || frameworks.length > 0)) topic = '';
    else if (!teaching && (FREE.test(topic) || FREE.test(formatText) || (!topic && FREE.test(noteText)))) {
      cancelled = topic || formatText || noteText;
      topic = '';
      format = undefined;
      frameworks = [];
    }
    if (!format && topic && EXAM.test(topic)) format = 'exam';
    if (!format && topic && PROJECT.test(topic)) format = 'project';
    if (noteText && noteText !== cancelled) notes.push(noteText);
    row.roles.forEach((role, index) => {
      const text = valueOf(row.cells.get(index)?.text ?? '');
      if (!text) return;
      const header = row.headers[index] || `Column ${index + 1}`;
      if (role === 'location' || role === 'time' || role === 'coursework' || role === 'people' || role === 'extra') notes.push(`${header}: ${text}`);
    });
    const ids: string[] = [];
    const hint = `${entry.date ?? `week-${number}-${entry.day}`}`;
    row.cells.forEach((read) => {
      for (const link of read.links) {
        // A bare marker ("Recording") is named after the day's topic.
        const label = /^(Recording|Slides)$/.test(link.label) && topic ? `${link.label}: ${topic}` : link.label;
        const id = resourceOf(link, label || `${topic || 'Link'} (${entry.date ?? entry.day})`, `${hint}-${link.label || topic || 'link'}`, row.line, row.where);
        if (id && !ids.includes(id)) ids.push(id);
      }
    });
    const session: Session = {
      ...(entry.date ? { date: entry.date } : { day: entry.day }),
      ...(topic && { topic }),
      frameworks,
      ...(format && { format }),
      ...(ids.length && { resources: ids }),
      ...(notes.length && { note: notes.join(' · ') }),
      ...(cancelled && { cancelled }),
    };
    const week = weekOf(number);
    const same = week.sessions.find((other) => (session.date ? other.date === session.date : other.day === session.day && !other.date));
    if (same) merge(same, session);
    else week.sessions.push(session);
  }

  // Week titles and summaries go to the week their sessions fell in (or the heading's number, for a week of none).
  for (const found of sections) {
    const placed = sessions.find((entry) => entry.row.section === found);
    const number = placed ? weekNumbers.get(placed) : found.number;
    if (number === undefined || (!found.title && found.summary.length === 0)) continue;
    if (!placed && !weeks.has(number)) continue;
    const week = weekOf(number);
    if (found.title && !week.title) week.title = found.title;
    if (found.summary.length && !week.summary) week.summary = found.summary.join(' ');
  }

  // The course: front matter, else the first heading without "Time plan"; --name wins.
  const withoutNoise = (text: string | undefined) => {
    const left = text?.replace(NAME_NOISE, ' ').replace(/^[\s:–—|,&-]+|[\s:–—|,(&-]+$/g, '').replace(/\s+/g, ' ').trim();
    // "Schedule and Syllabus" names no course.
    return left && !/^(and|og|und|&|of|for|the)$/i.test(left) ? left : undefined;
  };
  const fromFront = withoutNoise(frontString('title', 'name', 'course'));
  const fromTitle = withoutNoise(title?.text);
  const name = options.name ?? fromFront ?? (fromTitle || undefined) ?? 'Course';
  if (!options.name) {
    guesses.push({
      field: 'name',
      value: name,
      text: fromFront
        ? `name: "${name}", from the front matter; pass --name to change it`
        : fromTitle
          ? `name: "${name}", from the heading on line ${title!.line}; pass --name to change it`
          : `name: "Course", as the plan names none; pass --name "…"`,
    });
  }
  const id = options.id ?? slug(name);
  if (!options.id) guesses.push({ field: 'id', value: id, text: `id: ${id}, from the name; pass --id to change it` });
  const frontDayStart = frontString('dayStart', 'day_start', 'lectureTime');
  const dayStartValue = frontDayStart ? normalizeLocalTime(frontDayStart) : dayStart?.time;
  if (dayStartValue) {
    guesses.push({
      field: 'dayStart',
      value: dayStartValue,
      text: frontDayStart ? `dayStart: ${dayStartValue}, from the front matter` : `dayStart: ${dayStartValue}, from the text on line ${dayStart!.line}`,
    });
  }

  for (const { link, line } of courseLinks) {
    const label = link.label.replace(/^(Recording|Slides): /, '');
    resourceOf(link, label || link.url, label || new URL(link.url, 'https://x.invalid').hostname, line, undefined);
  }

  for (const [line, { row, urls }] of [...dropped].sort(([a], [b]) => a - b)) {
    const shown = urls.length === 1 ? `relative link ${urls[0]}` : `${urls.length} relative links (${urls.join(', ')})`;
    warn(line, row, `${shown} dropped: pass --base-url <the plan's web address> to keep ${urls.length === 1 ? 'it as a resource' : 'them as resources'}`);
  }
  warnings.sort((a, b) => a.line - b.line);
  // One line for a plan without a year, not one a row.
  const noYear = problems.filter((text) => text.endsWith('has no year: pass --year'));
  if (noYear.length > 1) {
    const first = problems.indexOf(noYear[0]!);
    problems.splice(0, problems.length, ...problems.filter((text) => !noYear.includes(text)));
    problems.splice(first, 0, `${noYear[0]!.replace(/: pass --year$/, '')} (and ${noYear.length - 1} more rows): pass --year`);
  }
  if (problems.length) throw new ImportError(source, problems);

  const course: CourseFileInput = {
    course: { id, name, timezone, start: start!, ...(dayStartValue && { dayStart: dayStartValue }) },
    weeks: [...weeks.values()]
      .sort((a, b) => a.number - b.number)
      .map((week) => ({
        number: week.number,
        ...(week.title && { title: week.title }),
        ...(week.summary && { summary: week.summary }),
        sessions: week.sessions as never,
      })),
    resources,
  };
  const checked = parseCourse(course);
  if (!checked.ok) {
    throw new ImportError(
      source,
      checked.issues.map((issue) => `${source}: the imported course: ${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  return { course, warnings, guesses };
}
