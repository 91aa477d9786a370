import type { StateStore } from '../core/ports.js';
import { type CachedPlan, type FetchLimits, fetchPlan, planCacheKey, readCachedPlan, shownUrl } from '../course-file/plan-source.js';
import { type PlanReader, type PlanText, type PlanTexts, PlanUnavailable, readPlanFile } from '../course-file/plan.js';
import type { CourseFileError } from '../course-file/read.js';
import type { Logger } from '../log.js';

export interface PlanCopiesOptions {
  /** The state store, where each course's last good copy of its plan is kept (by course id). */
  readonly store: () => Pick<StateStore, 'getValue' | 'setValue'>;
  readonly logger: Logger;
  /** `PLAN_SOURCE_TOKEN`: never logged. */
  readonly token?: string;
  /** A plan URL was fetched: the course files (absolute paths) that waited for it can be read again. */
  readonly fetched: (paths: readonly string[]) => void;
  /** How long after a failed fetch it is tried again (default a minute). */
  readonly retryMs?: number;
  readonly limits?: Partial<FetchLimits>;
  readonly now?: () => Date;
}

/** What a course file's reading says of a plan URL never fetched (here, or in a worker thread). */
const NOT_FETCHED = /^(\S+) has not been fetched yet\b/;

/**
 * The plans of the courses of a folder (`COURSES_DIR`) as the catalog reads them: a plan file from disk, a plan
 * URL from the copy the state store keeps for the course (so a course starts at once on its last copy and then
 * follows the URL itself, see `CourseRuntime`). A course whose plan URL was never fetched is refused for now,
 * its URL fetched in the background (never holding up the other courses), and its file read again once it is;
 * a URL that cannot be fetched is one log line and is tried again every minute.
 */
export class PlanCopies {
  readonly #options: PlanCopiesOptions;
  /** The plan texts known, by URL: what a check in a worker thread reads. */
  readonly #texts = new Map<string, PlanText>();
  /** The course files waiting for a URL to be fetched, by URL. */
  readonly #waiting = new Map<string, Set<string>>();
  /** The course id that reads each URL (the key of its copy in the store), once known. */
  readonly #courses = new Map<string, string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: PlanCopiesOptions) {
    this.#options = options;
  }

  /** How the course file at `path` reads its plan on this thread. */
  readerFor(path: string): PlanReader {
    return (request) => {
      if (request.kind === 'path') return readPlanFile(request);
      const kept = this.#kept(request.source, request.courseId);
      if (kept) return kept;
      this.#waitFor(request.source, path);
      throw new PlanUnavailable(`${shownUrl(request.source)} is being fetched; the course starts once it is`);
    };
  }

  /**
   * The plan texts known, for a check in a worker thread: for a running course, the copy the store keeps now (its
   * course updates it as it follows the URL), so the catalog never reads a course with an older plan.
   */
  texts(): PlanTexts {
    for (const [url, courseId] of this.#courses) this.#kept(url, courseId);
    return Object.fromEntries(this.#texts);
  }

  /** A course file was refused: when for a plan URL never fetched (a check in a worker thread), it is fetched now. */
  refused(path: string, error: CourseFileError): void {
    for (const issue of error.issues) {
      const url = issue.path === 'plan.source' ? NOT_FETCHED.exec(issue.message)?.[1] : undefined;
      if (url !== undefined && !this.#texts.has(url)) this.#waitFor(url, path);
    }
  }

  /** Before a course whose plan is `url` starts: the copy it was read from is kept in the store under its id. */
  keep(courseId: string, url: string): void {
    this.#courses.set(url, courseId);
    try {
      const store = this.#options.store();
      // The course's own copy (the one it was read from, or a newer one its course fetched since) stays.
      if (readCachedPlan(store, courseId, url)) return;
      const text = this.#texts.get(url);
      if (!text) return;
      const copy: CachedPlan = { url, text: text.text, fetchedAt: (this.#options.now?.() ?? new Date()).toISOString() };
      store.setValue(planCacheKey(courseId), JSON.stringify(copy));
    } catch (error) {
      this.#options.logger.error({ err: error, course: courseId }, 'could not keep the plan in the state database; the course fetches it itself');
    }
  }

  /** Stops the fetches waiting to be tried again. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #kept(url: string, courseId: string | undefined): PlanText | undefined {
    if (courseId !== undefined) this.#courses.set(url, courseId);
    let copy: CachedPlan | undefined;
    try {
      copy = courseId === undefined ? undefined : readCachedPlan(this.#options.store(), courseId, url);
    } catch {
      copy = undefined;
    }
    if (copy) this.#texts.set(url, { text: copy.text, name: shownUrl(url), baseUrl: url });
    return this.#texts.get(url);
  }

  #waitFor(url: string, path: string): void {
    const waiting = this.#waiting.get(url);
    if (waiting) {
      waiting.add(path);
      return;
    }
    this.#waiting.set(url, new Set([path]));
    void this.#fetch(url);
  }

  async #fetch(url: string): Promise<void> {
    if (this.#closed) return;
    const { token, limits, logger } = this.#options;
    const outcome = await fetchPlan(url, { ...(token !== undefined && { token }), ...(limits && { limits }) });
    if (this.#closed) return;
    if (outcome.kind === 'new') {
      this.#texts.set(url, { text: outcome.text, name: shownUrl(url), baseUrl: url });
      const paths = [...(this.#waiting.get(url) ?? [])];
      this.#waiting.delete(url);
      logger.info({ url: shownUrl(url) }, 'plan URL fetched; reading its course file again');
      this.#options.fetched(paths);
      return;
    }
    const reason = outcome.kind === 'failed' ? outcome.reason : 'no copy held';
    const retryMs = this.#options.retryMs ?? 60_000;
    logger.error(
      { url: shownUrl(url), reason },
      `plan URL cannot be fetched (${reason}) and no copy of it is kept yet; its course starts once it can be (tried again in ${Math.round(retryMs / 1000)} s), the other courses run on`,
    );
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#fetch(url);
    }, retryMs);
    timer.unref();
    this.#timers.add(timer);
  }
}
