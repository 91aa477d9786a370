import { parentPort, workerData } from 'node:worker_threads';
import { type PlanTexts, planTextsReader, withPlanImporter } from './plan.js';
import { CourseFileError, loadCourseFile, unexpected } from './read.js';

/**
 * The worker thread of a reload (see `load-off-thread.ts`): reads and checks the course file given in
 * `workerData` and posts the loaded course, or the refusal's problems, back. Plain data both ways.
 */
const { path, label, planTexts } = workerData as { readonly path: string; readonly label: string; readonly planTexts: PlanTexts };
try {
  const loaded = await withPlanImporter(() => loadCourseFile(path, label, { plan: planTextsReader(planTexts) }));
  parentPort!.postMessage({ ok: true, loaded });
} catch (error) {
  const refusal = error instanceof CourseFileError ? error : unexpected(label, error);
  const cause = error instanceof CourseFileError ? undefined : error instanceof Error ? (error.stack ?? error.message) : String(error);
  parentPort!.postMessage({ ok: false, issues: refusal.issues, count: refusal.count, ...(cause !== undefined && { cause }) });
}
