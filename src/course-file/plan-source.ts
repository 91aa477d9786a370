import { isUtf8 } from 'node:buffer';
import * as z from 'zod';
import { planSourceKind } from '../core/course/schema.js';
import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import type { LiveCourse } from './live-course.js';
import {
  PLAN_MAX_BYTES,
  type PlanReader,
  type PlanRequest,
  type PlanTexts,
  PlanUnavailable,
  loadPlanImporter,
  readPlanFile,
  withPlanImporter,
} from './plan.js';
import { CourseFileError, type LoadedCourse, loadCourseFile } from './read.js';

/** How a plan URL is fetched: the whole answer within the timeout, at most this many bytes and redirects. */
/** How a reload after a fetch names its reason (a plan fetched is a whole push: told at once). */
export const PLAN_FETCHED = 'plan fetched';

export const PLAN_FETCH_LIMITS = { timeoutMs: 10_000, maxBytes: PLAN_MAX_BYTES, maxRedirects: 5 } as const;

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
}

/** What one fetch of a plan URL gave. */
export type FetchOutcome =
  | { readonly kind: 'new'; readonly text: string; readonly etag?: string; readonly lastModified?: string }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'failed'; readonly reason: string };

export interface FetchPlanOptions {
  /** The validators of the copy held: the server answers 304 when it is still current. */
  readonly etag?: string;
  readonly lastModified?: string;
  /** Sent as `Authorization: Bearer …` to the plan's own origin only (never after a redirect elsewhere). */
  readonly token?: string;
  readonly limits?: Partial<FetchLimits>;
}

/** A URL as it may be shown: no user, password or query (where access tokens ride). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MB`;
}

/**
 * Fetches a plan: conditional on the copy held, redirects followed to https (or this machine) only, the
 * size and time bounded. Never throws: what goes wrong is a `failed` outcome with a one-line reason.
 */
export async function fetchPlan(url: string, options: FetchPlanOptions = {}): Promise<FetchOutcome> {
  const limits = { ...PLAN_FETCH_LIMITS, ...options.limits };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  const failed = (reason: string): FetchOutcome => ({ kind: 'failed', reason });
  try {
    let current = new URL(url);
    const origin = current.origin;
    for (let hop = 0; ; hop += 1) {
      const headers: Record<string, string> = { accept: 'text/markdown, text/plain;q=0.9, */*;q=0.1', 'user-agent': 'course-bot' };
      if (options.etag !== undefined) headers['if-none-match'] = options.etag;
      if (options.lastModified !== undefined) headers['if-modified-since'] = options.lastModified;
      if (options.token !== undefined && current.origin === origin) headers.authorization = `Bearer ${options.token}`;
      const response = await fetch(current, { redirect: 'manual', headers, signal: controller.signal });
      if (REDIRECTS.has(response.status)) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (location === null) return failed(`HTTP ${response.status} redirect without a Location`);
        if (hop >= limits.maxRedirects) return failed(`more than ${limits.maxRedirects} redirects (a redirect loop?)`);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          return failed('a redirect to something that is not a URL');
        }
        if (planSourceKind(next.href).kind !== 'url') return failed(`a redirect to ${shownUrl(next.href)}, which is not https://`);
        current = next;
        continue;
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return { kind: 'unchanged' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        const hint = response.status === 401 || response.status === 403 || response.status === 404 ? ' (a private repository needs PLAN_SOURCE_TOKEN)' : '';
        return failed(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${options.token === undefined ? hint : ''}`);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > limits.maxBytes) {
        await response.body?.cancel();
        return failed(`the plan is ${megabytes(declared)}, more than the ${megabytes(limits.maxBytes)} a plan may be`);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (response.body) {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > limits.maxBytes) {
            await reader.cancel();
            return failed(`the plan is more than the ${megabytes(limits.maxBytes)} a plan may be`);
          }
          chunks.push(value);
        }
      }
      const bytes = Buffer.concat(chunks);
      if (!isUtf8(bytes)) return failed('the answer is not UTF-8 text (is the URL the raw Markdown file?)');
      const etag = response.headers.get('etag');
      const lastModified = response.headers.get('last-modified');
      return {
        kind: 'new',
        text: bytes.toString('utf8'),
        ...(etag !== null && { etag }),
        ...(lastModified !== null && { lastModified }),
      };
    }
  } catch (error) {
    if (controller.signal.aborted) return failed(`no complete answer within ${limits.timeoutMs / 1000} s`);
    return failed(networkReason(error));
  } finally {
    clearTimeout(timer);
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (no network, or a wrong host name)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was closed';
  if (code !== undefined && (code.startsWith('ERR_TLS') || code.includes('CERT'))) return `TLS failed (${code})`;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The last good copy of a URL plan, kept in the state store so that a restart without the URL still has it. */
const cachedPlanSchema = z.object({
  url: z.string(),
  text: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** ISO instant of the fetch that gave (or confirmed) it. */
  fetchedAt: z.string(),
});
export type CachedPlan = z.infer<typeof cachedPlanSchema>;

/** The state store key of a course's plan copy. */
export function planCacheKey(courseId: string | undefined): string {
  return `plan-cache:${courseId ?? 'course'}`;
}

/** A course's cached plan, when it is a copy of `url` (and readable). */
export function readCachedPlan(store: Pick<StateStore, 'getValue'>, courseId: string | undefined, url?: string): CachedPlan | undefined {
  const raw = store.getValue(planCacheKey(courseId));
  if (raw === undefined) return undefined;
  try {
    const parsed = cachedPlanSchema.safeParse(JSON.parse(raw));
    if (!parsed.success || (url !== undefined && parsed.data.url !== url)) return undefined;
    return parsed.data;
  } catch {
    return undefined;
  }
}

export interface PlanSourceOptions {
  readonly store: Pick<StateStore, 'getValue' | 'setValue'>;
  readonly logger: Logger;
  /** `PLAN_SOURCE_TOKEN`: never logged. */
  readonly token?: string;
  /** Where instructors are told that the plan cannot be fetched (once a streak), and that it can again. */
  readonly tell?: (text: string) => void;
  readonly now?: () => Date;
  readonly limits?: Partial<FetchLimits>;
}

/** What `refresh` did. */
export type RefreshOutcome = 'local' | 'unchanged' | 'changed' | 'refused' | 'failed';

/**
 * A course's plan when it is a URL: fetched at start and every `plan.refresh` (and on the webhook), its
 * last good copy kept in the state store. A plan that fails to fetch or to import leaves the last good
 * schedule live; instructors hear of a failing fetch once per streak and once when it is back (a refused
 * import is reported as a refused course file is). A local plan is read as a file.
 */
export class PlanSource {
  readonly #options: PlanSourceOptions;
  readonly #logger: Logger;
  #url: string | undefined;
  #courseId: string | undefined;
  /** The copy the course is read from: the last good one, or one being tried. */
  #current: CachedPlan | undefined;
  #lastGood: CachedPlan | undefined;
  /** Validators and text of the last answer, good or not: an unchanged bad plan is not tried again. */
  #lastSeen: { readonly etag?: string; readonly lastModified?: string; readonly text?: string } = {};
  #lastRefused: string | undefined;
  #failing = false;
  #told = false;
  #startedOnCache = false;
  #live: LiveCourse | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #storeError: Error | undefined;

  constructor(options: PlanSourceOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  /** Reads a course's plan: a file from disk, a URL from the copy fetched (or cached). */
  readonly reader: PlanReader = (request: PlanRequest) => {
    if (request.kind === 'path') return readPlanFile(request);
    if (request.source !== this.#url || request.courseId !== this.#courseId) {
      this.#url = request.source;
      this.#courseId = request.courseId;
      try {
        this.#lastGood = readCachedPlan(this.#options.store, request.courseId, request.source);
      } catch (error) {
        // A state database that cannot be opened: `load` reports it as itself, not as a course file problem.
        this.#storeError = error instanceof Error ? error : new Error(String(error));
        this.#lastGood = undefined;
      }
      this.#current = this.#lastGood;
      this.#lastSeen = this.#lastGood ? { ...this.#lastGood } : {};
      this.#lastRefused = undefined;
      // A plan URL named by an edit of the course file while running: fetch it, then read the course again.
      if (this.#live && !this.#current) void this.refresh('plan URL changed');
    }
    if (!this.#current) throw new PlanUnavailable(`${shownUrl(request.source)} has not been fetched yet`);
    return { text: this.#current.text, name: shownUrl(request.source), baseUrl: request.source };
  };

  /** The plan text the course is read from now, as data: what a reload in a worker thread reads (see `planTextsReader`). */
  texts(): PlanTexts {
    if (this.#url === undefined || !this.#current) return {};
    return { [this.#url]: { text: this.#current.text, name: shownUrl(this.#url), baseUrl: this.#url } };
  }

  /** The plan URL the course names, when it names one. */
  get url(): string | undefined {
    return this.#url;
  }

  /** What `course-bot plan` and the log show: the copy in use and whether fetching fails now. */
  get status(): { readonly url?: string; readonly copy?: CachedPlan; readonly failing: boolean; readonly startedOnCache: boolean } {
    return {
      ...(this.#url !== undefined && { url: this.#url }),
      ...(this.#lastGood && { copy: this.#lastGood }),
      failing: this.#failing,
      startedOnCache: this.#startedOnCache,
    };
  }

  /**
   * Reads the course file; a URL plan is fetched first, or taken from the copy kept in the state store when
   * the URL cannot be fetched (said in one log line). Throws `CourseFileError` (one line when the URL fails
   * and there is no copy yet).
   */
  async load(path: string, label: string): Promise<LoadedCourse> {
    const read = { plan: this.reader };
    // Each read loads the Markdown importer when the file has `plan:` and it is not loaded yet.
    const readFile = () => withPlanImporter(() => loadCourseFile(path, label, read));
    let first: LoadedCourse | undefined;
    let refusal: unknown;
    try {
      first = await readFile();
    } catch (error) {
      refusal = error;
    }
    const url = this.#url;
    if (url === undefined) {
      if (first) return first;
      throw refusal;
    }
    if (this.#storeError !== undefined) throw this.#storeError;
    const outcome = await fetchPlan(url, this.#conditional());
    if (outcome.kind === 'failed') {
      if (!this.#lastGood) {
        throw new CourseFileError(label, [
          {
            file: label,
            path: 'plan.source',
            message: `${shownUrl(url)} could not be fetched (${outcome.reason}) and no copy of it is kept yet: check the URL and the network, then start again`,
          },
        ]);
      }
      this.#failing = true;
      this.#startedOnCache = true;
      this.#logger.warn(
        { url: shownUrl(url), reason: outcome.reason, fetchedAt: this.#lastGood.fetchedAt },
        `plan URL cannot be fetched (${outcome.reason}); starting on the copy fetched at ${this.#lastGood.fetchedAt}`,
      );
    } else if (outcome.kind === 'new') {
      this.#current = this.#copy(url, outcome);
      this.#lastSeen = { ...outcome };
    } else if (this.#lastGood) {
      this.#keep({ ...this.#lastGood, fetchedAt: this.#now() });
    }
    try {
      const loaded = await readFile();
      if (this.#current) this.#keep(this.#current);
      return loaded;
    } catch (error) {
      // The new plan does not import: start on the last good copy, when there is one.
      if (!(error instanceof CourseFileError) || !this.#lastGood || this.#current === this.#lastGood) throw error;
      this.#lastRefused = this.#current?.text;
      this.#current = this.#lastGood;
      this.#logger.error({ url: shownUrl(url), problems: error.issues.length }, `the fetched plan was refused; starting on the copy fetched at ${this.#lastGood.fetchedAt}:\n${error.message}`);
      return await readFile();
    }
  }

  /**
   * What instructors are told once the bot can tell them, when it started on the kept copy because the URL
   * could not be fetched (the failing streak then counts as told). Undefined otherwise; says it once.
   */
  startNotice(): string | undefined {
    if (!this.#startedOnCache || this.#told || !this.#failing || !this.#lastGood || this.#url === undefined) return undefined;
    this.#told = true;
    return `The plan at ${shownUrl(this.#url)} could not be fetched at start; the bot runs on the copy fetched at ${this.#lastGood.fetchedAt}. I will say when it can be fetched again.`;
  }

  /** Fetches the plan now (a timer, the webhook); the course is read again when it changed. Serialized. */
  refresh(reason: string): Promise<RefreshOutcome> {
    const next = this.#queue.then(() => this.#refresh(reason));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Follows the course: fetches every `plan.refresh` (read again each time, as the file may change).
   * Returns the function that stops it.
   */
  follow(live: LiveCourse): () => void {
    this.#live = live;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        this.refresh('refresh')
          .catch((error: unknown) => this.#logger.error({ err: error }, 'plan refresh failed'))
          .finally(schedule);
      }, live.loaded.plan?.refreshMs ?? 600_000);
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
      this.#live = undefined;
    };
  }

  async #refresh(reason: string): Promise<RefreshOutcome> {
    const url = this.#url;
    const live = this.#live;
    if (url === undefined || !live || (live.loaded.plan?.kind !== 'url' && this.#current !== undefined)) return 'local';
    const outcome = await fetchPlan(url, this.#conditional());
    if (url !== this.#url) return 'unchanged';
    if (outcome.kind === 'failed') {
      this.#logger.warn({ url: shownUrl(url), reason: outcome.reason, trigger: reason }, 'plan URL cannot be fetched; the last good schedule stays live');
      this.#failing = true;
      if (!this.#told) {
        this.#told = true;
        this.#tell(
          `The plan at ${shownUrl(url)} cannot be fetched (${outcome.reason}); the last good schedule stays live. I will say when it can be fetched again.`,
        );
      }
      return 'failed';
    }
    const recovered = this.#failing;
    this.#failing = false;
    if (recovered) {
      this.#logger.info({ url: shownUrl(url) }, 'plan URL can be fetched again');
      if (this.#told) this.#tell(`The plan at ${shownUrl(url)} can be fetched again; the schedule follows it.`);
      this.#told = false;
    }
    if (outcome.kind === 'unchanged' || outcome.text === this.#current?.text) {
      if (this.#current) this.#keep({ ...this.#current, fetchedAt: this.#now() });
      return 'unchanged';
    }
    this.#lastSeen = { ...outcome };
    // The same refused plan again (a server without validators): the instructors were told already.
    if (outcome.text === this.#lastRefused) return 'refused';
    const candidate = this.#copy(url, outcome);
    // A course that gained its plan URL while running may not have needed the Markdown importer yet.
    await loadPlanImporter();
    this.#current = candidate;
    const result = live.reload(`${PLAN_FETCHED} (${reason})`);
    if (!result.ok) {
      this.#lastRefused = candidate.text;
      this.#current = this.#lastGood;
      return 'refused';
    }
    this.#lastRefused = undefined;
    this.#keep(candidate);
    return result.changed ? 'changed' : 'unchanged';
  }

  #conditional(): FetchPlanOptions {
    return {
      ...(this.#lastSeen.etag !== undefined && { etag: this.#lastSeen.etag }),
      ...(this.#lastSeen.lastModified !== undefined && { lastModified: this.#lastSeen.lastModified }),
      ...(this.#options.token !== undefined && { token: this.#options.token }),
      ...(this.#options.limits && { limits: this.#options.limits }),
    };
  }

  #copy(url: string, outcome: { readonly text: string; readonly etag?: string; readonly lastModified?: string }): CachedPlan {
    return {
      url,
      text: outcome.text,
      ...(outcome.etag !== undefined && { etag: outcome.etag }),
      ...(outcome.lastModified !== undefined && { lastModified: outcome.lastModified }),
      fetchedAt: this.#now(),
    };
  }

  /** Keeps a good copy, in memory and in the state store (a store that fails to write is logged, not fatal). */
  #keep(copy: CachedPlan): void {
    this.#lastGood = copy;
    this.#current = copy;
    try {
      this.#options.store.setValue(planCacheKey(this.#courseId), JSON.stringify(copy));
    } catch (error) {
      this.#logger.error({ err: error }, 'could not keep the plan in the state database; a restart without the URL would have no copy');
    }
  }

  #tell(text: string): void {
    try {
      this.#options.tell?.(text);
    } catch (error) {
      this.#logger.error({ err: error }, 'could not tell instructors about the plan');
    }
  }

  #now(): string {
    return (this.#options.now?.() ?? new Date()).toISOString();
  }
}
