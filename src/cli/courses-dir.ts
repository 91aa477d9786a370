import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Config } from '../config.js';
import { isCourseFileName } from '../courses/catalog.js';
import { COURSE_FILE_LIMITS } from '../course-file/read.js';
import { readRegularFile } from '../regular-file.js';
import { SetupError, UsageError } from './context.js';

/** A course file of `COURSES_DIR` as the command line picks it: its `course.id`, its path and its label. */
export interface DirCourse {
  readonly id: string;
  readonly path: string;
  readonly label: string;
}

/** The course files of the folder (`*.yaml`, `*.yml`, not hidden), in file-name order, as the bot reads them. */
export function courseFileNames(dir: { readonly path: string; readonly label: string }): string[] {
  let names: string[];
  try {
    names = readdirSync(dir.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : code === 'EACCES' ? 'no permission to read it' : String(code);
    throw new SetupError(`COURSES_DIR ${dir.label}: ${why}: point COURSES_DIR at the folder of course files (one *.yaml per course)`);
  }
  return names.filter(isCourseFileName).sort();
}

/** The `course.id` of a course file, read without checking the rest; undefined when it has none to read. */
function idOf(path: string): string | undefined {
  try {
    const text = readRegularFile(path, COURSE_FILE_LIMITS.bytes, 'a course file').toString('utf8');
    const doc: unknown = parse(text, { maxAliasCount: 100 });
    const course = typeof doc === 'object' && doc !== null ? (doc as { course?: unknown }).course : undefined;
    const id = typeof course === 'object' && course !== null ? (course as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id.trim() !== '' ? id.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The courses of `COURSES_DIR` by id, in file-name order. A second file with an id already taken is left
 * out, as the bot leaves it out (the first file keeps the id). Files whose id cannot be read are left out
 * too: `course-bot validate` says what is wrong with them.
 */
export function dirCourses(dir: { readonly path: string; readonly label: string }): DirCourse[] {
  const courses: DirCourse[] = [];
  for (const name of courseFileNames(dir)) {
    const path = join(dir.path, name);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      continue;
    }
    const id = idOf(path);
    if (id === undefined || courses.some((course) => course.id === id)) continue;
    courses.push({ id, path, label: `${dir.label.replace(/\/$/, '')}/${name}` });
  }
  return courses;
}

/** The ids, as a line lists them. */
function ids(courses: readonly DirCourse[]): string {
  return courses.map((course) => course.id).join(', ');
}

/**
 * The course of `COURSES_DIR` that `--course <id>` names; the only one when there is one. With several
 * and no `--course`, or an id the folder does not hold: a `UsageError` whose one line lists the ids.
 */
export function pickDirCourse(settings: Pick<Config, 'coursesDir'>, id: string | undefined): DirCourse {
  const dir = settings.coursesDir!;
  const courses = dirCourses(dir);
  if (courses.length === 0) throw new SetupError(`COURSES_DIR ${dir.label}: holds no course file (one *.yaml per course, each with its course.id)`);
  if (id === undefined) {
    if (courses.length === 1) return courses[0]!;
    throw new UsageError(`COURSES_DIR ${dir.label} holds ${courses.length} courses: name one with --course <id> (${ids(courses)})`);
  }
  const wanted = id.trim();
  const found = courses.find((course) => course.id === wanted);
  if (!found) throw new UsageError(`--course ${JSON.stringify(wanted)}: no such course in COURSES_DIR ${dir.label}; its courses: ${ids(courses)}`);
  return found;
}

/** Whether a `--course` value names a file rather than an id: it has a folder in it, or ends in `.yaml`/`.yml`. */
export function looksLikeFile(value: string): boolean {
  return /[/\\]/.test(value) || /\.ya?ml$/i.test(value);
}
