import type { StateStore } from '../core/ports.js';
import { silentLogger } from '../log.js';
import { PlanSource, readCachedPlan, shownUrl } from '../course-file/plan-source.js';
import type { PlanReader, PlanRequest } from '../course-file/plan.js';
import { PlanUnavailable, readPlanFile } from '../course-file/plan.js';
import { type LoadedCourse, loadCourseFile } from '../course-file/read.js';
import { courseSummary } from '../course-file/summary.js';

/** `30s`, `10m`, `1h`: a duration as a person writes it. */
function shownDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/**
 * A course file read as `validate` checks it: a plan URL is fetched now (nothing is kept), so that its
 * problems are shown with the plan's own lines. Throws `CourseFileError`.
 */
export async function loadFetchingPlan(path: string, label: string, token?: string): Promise<LoadedCourse> {
  const values = new Map<string, string>();
  const plans = new PlanSource({
    store: { getValue: (key) => values.get(key), setValue: (key, value) => void values.set(key, value) },
    logger: silentLogger(),
    ...(token !== undefined && { token }),
  });
  return plans.load(path, label);
}

/**
 * Reads a plan URL from the copy a bot keeps in this state database (the commands that show the schedule as
 * the bot does fetch nothing); a file from disk.
 */
export function cachedPlanReader(store: Pick<StateStore, 'getValue'>): PlanReader {
  return (request) => {
    if (request.kind === 'path') return readPlanFile(request);
    const copy = readCachedPlan(store, request.courseId, request.source);
    if (!copy) {
      throw new PlanUnavailable(
        `${shownUrl(request.source)} has not been fetched by a bot using this state database yet: \`course-bot start\` fetches it (--state-db names another database)`,
      );
    }
    return { text: copy.text, name: shownUrl(request.source), baseUrl: request.source };
  };
}

/**
 * `course-bot plan`: where the schedule comes from. A plan URL is read from the copy the bot keeps in its
 * state database (this command fetches nothing): when it was fetched, its ETag, and what its import warned about.
 */
export function planReport(path: string, label: string, store: Pick<StateStore, 'getValue'>): string {
  let copy: ReturnType<typeof readCachedPlan>;
  let missing: string | undefined;
  const reader = (request: PlanRequest) => {
    if (request.kind === 'path') return readPlanFile(request);
    copy = readCachedPlan(store, request.courseId, request.source);
    if (!copy) {
      missing = request.source;
      throw new PlanUnavailable(`${shownUrl(request.source)} has not been fetched by the bot yet (it fetches it at start)`);
    }
    return { text: copy.text, name: shownUrl(request.source), baseUrl: request.source };
  };
  let loaded: LoadedCourse;
  try {
    loaded = loadCourseFile(path, label, { plan: reader });
  } catch (error) {
    if (missing === undefined) throw error;
    return [
      `Course file: ${label}`,
      `Schedule from: the plan at ${shownUrl(missing)}`,
      'Last fetched: never (by a bot using this state database): `course-bot start` fetches it, `course-bot validate` checks it',
    ].join('\n');
  }
  const plan = loaded.plan;
  const lines = [`Course file: ${label}`];
  if (!plan) {
    lines.push("Schedule from: the course file's own weeks (no plan:)");
  } else if (plan.kind === 'path') {
    lines.push(`Schedule from: the plan file ${plan.name} (watched: saving it reloads the schedule)`);
  } else {
    lines.push(`Schedule from: the plan at ${plan.name} (checked every ${shownDuration(plan.refreshMs)}, and on POST /hooks/plan)`);
    if (copy) {
      lines.push(`Last fetched: ${copy.fetchedAt}`);
      lines.push(`ETag: ${copy.etag ?? 'none'}${copy.lastModified ? ` · Last-Modified: ${copy.lastModified}` : ''}`);
    }
  }
  lines.push(`Schedule: ${courseSummary(loaded)}`);
  if (plan) lines.push(plan.warnings.length === 0 ? 'Warnings: none' : ['Warnings:', ...plan.warnings.map((warning) => `  ${warning}`)].join('\n'));
  return lines.join('\n');
}
