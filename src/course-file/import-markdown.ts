import { stringify } from 'yaml';
import { parseCourse } from '../core/course/parse.js';
import { capitalize, isIsoDate, isZone, parseWeekday, weekdayOf } from '../core/course/dates.js';
import { formatPath } from '../core/course/model.js';
import type { CourseFileInput, SessionFormat } from '../core/course/schema.js';

export interface ImportOptions {
  /** How to name the source in errors. */
  readonly source: string;
  /** The first day of the course (required when the tables have no dates). */
  readonly start?: string;
  /** The year of `D/M` dates. */
  readonly year?: number;
  readonly timezone?: string;
  readonly name?: string;
  readonly id?: string;
}

/** A time plan that cannot be imported, with every problem found. */
export class ImportError extends Error {
  override readonly name = 'ImportError';

  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}\n${problems.join('\n')}`);
  }
}

interface Column {
  readonly date?: number;
  readonly day?: number;
  readonly topic?: number;
  readonly frameworks?: number;
  readonly format?: number;
}

interface Cell {
  readonly text: string;
  readonly links: readonly { readonly label: string; readonly url: string }[];
}

const LINK = /\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
// Pictographs and their joiners/selectors: the slide and video markers (📝 🎥) instructors put in cells.
const EMOJI = /[\p{Extended_Pictographic}\u{FE0F}\u{200D}]/gu;

/** A table cell's text without Markdown links, emoji, `<br>` and `-`, and the links it held. */
export function readCell(raw: string): Cell {
  const links: { label: string; url: string }[] = [];
  const withoutLinks = raw.replace(LINK, (_match, label: string, url: string) => {
    // 📝 marks slides and 🎥 a recording in the DTU time plans.
    const kind = label.includes('🎥') ? 'Recording' : label.includes('📝') ? 'Slides' : '';
    links.push({ label: [kind, label.replace(EMOJI, '').trim()].filter(Boolean).join(': '), url });
    return ` ${label} `;
  });
  const text = withoutLinks
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(EMOJI, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { text: text === '-' || text === '–' ? '' : text, links };
}

function splitRow(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|')) body = body.slice(0, -1);
  return body.split('|').map((cell) => cell.trim());
}

const SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function columnsOf(header: readonly string[]): Column {
  const find = (pattern: RegExp) => {
    const index = header.findIndex((cell) => pattern.test(cell));
    return index < 0 ? undefined : index;
  };
  const day = find(/^day$/i) ?? (header[0] === '' ? 0 : undefined);
  return {
    ...(find(/^date$/i) !== undefined && { date: find(/^date$/i)! }),
    ...(day !== undefined && { day }),
    ...(find(/topic/i) !== undefined && { topic: find(/topic/i)! }),
    ...(find(/framework/i) !== undefined && { frameworks: find(/framework/i)! }),
    ...(find(/^format$/i) !== undefined && { format: find(/^format$/i)! }),
  };
}

function formatOf(text: string): SessionFormat | undefined {
  const value = text.toLowerCase();
  if (!value) return undefined;
  if (value.startsWith('exercise')) return 'exercises';
  if (value.startsWith('project')) return 'project';
  if (value.startsWith('exam')) return 'exam';
  if (value.includes('lecture')) return 'lecture';
  return 'other';
}

/** `5/1/26` or `5/1` (+ year) → `2026-01-05`. */
function dateOf(text: string, year: number | undefined): { date?: string; problem?: string } {
  const match = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?$/.exec(text.trim());
  if (!match) return { problem: `"${text}" is not a date (D/M or D/M/YY)` };
  const fullYear = match[3] ? (match[3].length === 2 ? 2000 + Number(match[3]) : Number(match[3])) : year;
  if (fullYear === undefined) return { problem: `${text} has no year: pass --year` };
  const date = `${fullYear}-${match[2]!.padStart(2, '0')}-${match[1]!.padStart(2, '0')}`;
  return isIsoDate(date) ? { date } : { problem: `${text} is not a real date` };
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'course'
  );
}

/**
 * Reads a course's Markdown time plan (`## Week N` sections with a table each, weekday or dated rows)
 * into a course file that passes validation. Throws `ImportError` with every problem; nothing partial.
 */
export function importTimePlan(markdown: string, options: ImportOptions): CourseFileInput {
  const problems: string[] = [];
  const lines = markdown.split(/\r?\n/);
  const title = lines.map((line) => /^#\s+(.+)$/.exec(line)?.[1]).find(Boolean);
  const name = options.name ?? (title ? readCell(title).text : 'Course');
  const timezone = options.timezone ?? 'UTC';
  if (!isZone(timezone)) problems.push(`--timezone: ${timezone} is not a known IANA time zone`);
  if (options.start !== undefined && !isIsoDate(options.start)) problems.push(`--start: ${options.start} is not a date (YYYY-MM-DD)`);

  type Week = { number: number; summary: string[]; sessions: Record<string, unknown>[] };
  const weeks: Week[] = [];
  const resources: { id: string; title: string; url: string; tags: string[] }[] = [];
  const resourceIds = new Map<string, string>();
  let week: Week | undefined;
  let datedTables = false;

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    const heading = /^#{2,4}\s*Week\s+(\d+)\b/i.exec(line);
    if (heading) {
      week = { number: Number(heading[1]), summary: [], sessions: [] };
      weeks.push(week);
      continue;
    }
    if (!week) continue;
    if (/^#{1,4}\s/.test(line)) {
      week = undefined;
      continue;
    }
    const next = lines[index + 1];
    if (line.includes('|') && next !== undefined && SEPARATOR.test(next)) {
      const columns = columnsOf(splitRow(line));
      if (columns.date !== undefined) datedTables = true;
      index += 2;
      let row = 0;
      for (; index < lines.length && lines[index]!.includes('|'); index += 1) {
        row += 1;
        const cells = splitRow(lines[index]!);
        const cell = (column: number | undefined) => readCell(column === undefined ? '' : (cells[column] ?? ''));
        const where = `Week ${week.number}, row ${row}`;
        const dayText = cell(columns.day).text;
        const day = dayText ? parseWeekday(dayText) : undefined;
        if (dayText && !day) problems.push(`${where}: "${dayText}" is not a weekday`);
        let date: string | undefined;
        if (columns.date !== undefined) {
          const raw = cell(columns.date).text;
          const parsed = dateOf(raw, options.year);
          if (parsed.problem) problems.push(`${where}: ${parsed.problem}`);
          date = parsed.date;
          if (date && day && weekdayOf(date) !== day) {
            problems.push(`${where}: ${raw} is a ${capitalize(weekdayOf(date))}, but the Day column says ${capitalize(day)}`);
          }
        }
        if (!date && !day) continue;
        const topicCell = cell(columns.topic);
        const frameworkCell = cell(columns.frameworks);
        const formatCell = cell(columns.format);
        let topic = topicCell.text;
        if (/^no lecture$/i.test(topic)) topic = '';
        let format = formatOf(formatCell.text);
        let frameworks = frameworkCell.text
          .split(/\s*(?:,|\+|\band\b)\s*/)
          .map((part) => part.trim())
          .filter(Boolean);
        let note: string | undefined;
        // The README style has no Format column: project days say so in the framework column.
        if (columns.format === undefined && frameworks.length === 1 && /^project\b/i.test(frameworks[0]!)) {
          format = 'project';
          if (!/^project work$/i.test(frameworks[0]!)) note = frameworks[0];
          frameworks = [];
        }
        if (!format && /exam/i.test(topic)) format = 'exam';
        const sessionResources: string[] = [];
        for (const found of [...topicCell.links, ...frameworkCell.links, ...formatCell.links]) {
          if (!/^https?:\/\//.test(found.url)) continue;
          // A bare marker ("Recording") is named after the day's topic.
          const link = /^(Recording|Slides)$/.test(found.label) && topic ? { ...found, label: `${found.label}: ${topic}` } : found;
          let id = resourceIds.get(link.url);
          if (!id) {
            const base = slug(`${date ?? `week-${week.number}-${day}`}-${link.label || topic || 'link'}`);
            id = base;
            for (let n = 2; resources.some((resource) => resource.id === id); n += 1) id = `${base}-${n}`;
            resourceIds.set(link.url, id);
            resources.push({ id, title: link.label || `${topic || 'Link'} (${date ?? day})`, url: link.url, tags: [] });
          }
          if (!sessionResources.includes(id)) sessionResources.push(id);
        }
        week.sessions.push({
          ...(day && { day }),
          ...(date && { date }),
          ...(topic && { topic }),
          frameworks,
          ...(format && { format }),
          ...(sessionResources.length && { resources: sessionResources }),
          ...(note && { note }),
        });
      }
      index -= 1;
      continue;
    }
    const text = line.trim();
    if (text && !text.startsWith('|') && !text.startsWith('!') && week.sessions.length === 0) week.summary.push(text);
  }

  if (weeks.length === 0) problems.push('no "## Week N" section with a table was found');
  const firstDate = weeks.flatMap((entry) => entry.sessions.map((session) => session.date as string | undefined)).find(Boolean);
  const start = options.start ?? firstDate;
  if (!start && weeks.length > 0 && !datedTables) problems.push('the tables have no dates: pass --start YYYY-MM-DD (the first day of week 1)');
  if (problems.length) throw new ImportError(options.source, problems);

  const doc: CourseFileInput = {
    course: { id: options.id ?? slug(name), name, timezone, start: start! },
    weeks: weeks.map((entry) => ({
      number: entry.number,
      ...(entry.summary.length && { summary: entry.summary.join(' ') }),
      sessions: entry.sessions as never,
    })),
    resources,
  };
  const checked = parseCourse(doc);
  if (!checked.ok) {
    throw new ImportError(
      options.source,
      checked.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  return doc;
}

/** The imported course as YAML, with a header saying where it came from. */
export function courseYaml(doc: CourseFileInput, source: string): string {
  return `# Imported from ${source} by course-bot import. Check it with: course-bot validate <this file>\n${stringify(doc, { lineWidth: 0 })}`;
}
