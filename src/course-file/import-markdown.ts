import { stringify } from 'yaml';
import type { CourseFileInput } from '../core/course/schema.js';

export { ImportError } from './plan/import-error.js';
export { importPlan, type ImportGuess, type ImportOptions, type ImportResult, type ImportWarning } from './plan/import-plan.js';

/** The imported course as YAML, with a header saying where it came from. */
export function courseYaml(doc: CourseFileInput, source: string): string {
  return `# Imported from ${source} by course-bot import. Check it with: course-bot validate <this file>\n${stringify(doc, { lineWidth: 0 })}`;
}
