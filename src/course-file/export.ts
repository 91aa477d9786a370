import { stringify } from 'yaml';
import type { CourseFile, CourseFileInput } from '../core/course/schema.js';
import type { ExportMarker } from './read.js';

type Json = Record<string, unknown>;

/** Drops what the schema fills in anyway (empty lists, `cancelled: false`), so the file stays short. */
function compact(value: Json): Json {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined && field !== false && !(Array.isArray(field) && field.length === 0)),
  );
}

/** The course file as instructors write it: no empty lists, sessions in date order within each week. */
export function exportable(file: CourseFile): CourseFileInput {
  return {
    course: file.course,
    announcements: file.announcements,
    weeks: file.weeks.map((week) => ({
      ...compact({ ...week, sessions: undefined }),
      sessions: week.sessions.map((session) => compact({ ...session })),
    })) as CourseFileInput['weeks'],
    ...(file.resources.length > 0 && { resources: file.resources.map((resource) => compact({ ...resource })) as CourseFileInput['resources'] }),
    ...(file.setup.length > 0 && { setup: file.setup }),
  };
}

/**
 * YAML of the effective course (file + instructor changes), with a header saying where it came from.
 * `exported` (the state database and its newest change) is written as `x-course-bot`: when the file is the
 * course file again, those changes are known to be in it and are not applied a second time.
 */
export function exportYaml(file: CourseFile, source: string, exported?: ExportMarker): string {
  const through = exported?.changesThrough ?? 0;
  const header = [
    `# Exported by course-bot from ${source}${through ? `, with the schedule changes up to #${through}` : ''}.`,
    '# Commit it as the course file; check it with: course-bot validate <this file>',
  ].join('\n');
  const marker = exported && through ? { 'x-course-bot': { database: exported.database, changesThrough: through } } : {};
  return `${header}\n${stringify({ ...marker, ...exportable(file) }, { lineWidth: 0 })}`;
}
