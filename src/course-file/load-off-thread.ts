import { Worker } from 'node:worker_threads';
import type { PlanTexts } from './plan.js';
import { CourseFileError, type LoadedCourse, type LocatedIssue } from './read.js';

/**
 * How long a reload may take to read and check the course file before it is refused. The worst file
 * inside the limits takes seconds (see data/README.md); past this, something is wrong with the file or the
 * machine, and the last good course stays live.
 */
export const RELOAD_TIME_LIMIT_MS = 30_000;

/** The heap a reload's worker thread may use: a file inside the limits needs well under half of it. */
const WORKER_HEAP_MB = 2048;

type Reply =
  | { readonly ok: true; readonly loaded: LoadedCourse }
  | { readonly ok: false; readonly issues: readonly LocatedIssue[]; readonly count: number; readonly cause?: string };

/**
 * Reads and checks the course file in a worker thread, so that the event loop of the running bot stays
 * free (health checks, chat answers, a stop) however long the file takes. Resolves to the loaded course;
 * rejects with a `CourseFileError`: the file's problems, or one line when it took longer than
 * `timeLimitMs` or ran out of memory (the worker is ended then). `signal` ends the worker at once (a stop).
 */
export function loadOffThread(
  path: string,
  label: string,
  options: { readonly timeLimitMs?: number; readonly signal?: AbortSignal; readonly planTexts?: PlanTexts } = {},
): Promise<LoadedCourse> {
  const timeLimitMs = options.timeLimitMs ?? RELOAD_TIME_LIMIT_MS;
  const refusal = (message: string, cause?: unknown) =>
    new CourseFileError(label, [{ file: label, path: '', message }], cause === undefined ? undefined : { cause });
  return new Promise<LoadedCourse>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(refusal('was not checked: the bot is stopping'));
      return;
    }
    const worker = spawn(path, label, options.planTexts ?? {});
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => {
      const seconds = Math.round(timeLimitMs / 1000);
      finish(() =>
        reject(refusal(`took longer than ${seconds === 0 ? `${timeLimitMs} ms` : `${seconds} seconds`} to check, and was not reloaded: make it smaller or simpler (see the limits in data/README.md)`)),
      );
    }, timeLimitMs);
    timer.unref();
    const onAbort = () => finish(() => reject(refusal('was not checked: the bot is stopping')));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: Reply) => {
      finish(() => {
        if (reply.ok) resolve(reply.loaded);
        else reject(new CourseFileError(label, reply.issues, { count: reply.count, ...(reply.cause !== undefined && { cause: reply.cause }) }));
      });
    });
    worker.on('error', (error: Error & { code?: string }) => {
      finish(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? refusal(`needs more than ${WORKER_HEAP_MB} MB of memory to check, and was not reloaded: make it smaller or simpler`, error)
            : refusal(`could not be checked (${error.message.split('\n')[0]}): a bug in course-bot, please report it with the file`, error),
        ),
      );
    });
    worker.on('exit', (code) => finish(() => reject(refusal(`could not be checked (the checking thread ended with code ${code}): a bug in course-bot, please report it with the file`))));
  });
}

/**
 * The worker: the compiled `parse-worker.js` next to this file, or, when this runs from the TypeScript
 * source (tests, `npm run dev`), `parse-worker.ts` loaded through tsx, which is there in a checkout.
 */
function spawn(path: string, label: string, planTexts: PlanTexts): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  const workerData = { path, label, planTexts };
  if (!fromSource) return new Worker(new URL('./parse-worker.js', import.meta.url), { workerData, resourceLimits });
  const entry = new URL('./parse-worker.ts', import.meta.url).href;
  // Resolved here, from this file: an eval'd worker would resolve a bare name from the working directory.
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}
