import { stringify } from 'yaml';
import type { CourseFile, CourseFileInput } from '../core/course/schema.js';

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

/** YAML of the effective course (file + instructor changes), with a header saying where it came from. */
export function exportYaml(file: CourseFile, source: string, changes: number): string {
  const header = [
    `# Exported by course-bot from ${source}${changes ? ` with ${changes} schedule ${changes === 1 ? 'change' : 'changes'} applied` : ''}.`,
    '# Commit it as the course file; check it with: course-bot validate <this file>',
  ].join('\n');
  return `${header}\n${stringify(exportable(file), { lineWidth: 0 })}`;
}
