import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { listenFailure } from '../platforms/failure.js';
import type { Metrics } from './metrics.js';

/** The state of each part the bot needs: `ok`, or what is wrong with it. */
export type HealthChecks = Readonly<Record<string, string>>;

export interface HttpServerOptions {
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Every configured platform and the state database, each `ok` or a reason. */
  readonly health: () => HealthChecks;
  /** The calendar of each course, by course id, as they are now: `/calendar/<id>.ics` (and `/calendar.ics` for one). */
  readonly calendars: Calendars;
  /** `POST /hooks/plan`: fetch the course's plan now (it checks the caller's signature itself). */
  readonly planHook?: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

/** The calendar as served: iCalendar text and the file name, without `.ics`. */
export interface CalendarBody {
  readonly ics: string;
  readonly name: string;
}

/**
 * A course's calendar (iCalendar text) and its file name, as it is now. A promise lets a large calendar
 * be built without holding up other requests (`/healthz` answers meanwhile).
 */
export type Calendar = () => CalendarBody | Promise<CalendarBody>;

/** The calendars served, one per course id; asked per request, so courses may come and go. */
export interface Calendars {
  /** The course ids with a calendar, in the order they are listed. */
  ids(): readonly string[];
  /** The calendar of the course `id`, or undefined when there is no such course. */
  get(id: string): Calendar | undefined;
}

/** The calendars of a deployment with one course (tests, tools): `id`'s calendar, nothing else. */
export function oneCalendar(id: string, calendar: Calendar): Calendars {
  return { ids: () => [id], get: (wanted) => (wanted === id ? calendar : undefined) };
}

/** `/calendar/<id>.ics`: the path of a course's calendar. */
export function calendarPath(id: string): string {
  return `/calendar/${encodeURIComponent(id)}.ics`;
}

const CALENDAR_PATH = /^\/calendar\/([^/]{1,200})\.ics$/;

/** An id from a request as a 404 repeats it: short, without control characters. */
function shownId(id: string): string {
  return [...id.slice(0, 100)].map((char) => (char < ' ' || char === '\u007f' ? '?' : char)).join('');
}

/** The course id a `/calendar/<id>.ics` path names, or undefined for another path (or one that does not decode). */
function calendarId(path: string): string | undefined {
  const match = CALENDAR_PATH.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

export interface RunningHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

/** The path of a request target, or undefined when it is not a URL (`http://[`). */
function pathOf(target = '/'): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9110 13.1.2: `If-None-Match` holds `*` or a list of tags, compared weakly (`W/"x"` is `"x"`).
 */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}

/**
 * The optional HTTP server (`HTTP_PORT`): `GET /healthz` (200 when every configured platform is connected
 * and the database writable, else 503 with the reasons as JSON), `GET /metrics` (Prometheus) and
 * `GET /calendar/<course id>.ics` (a course's schedule, instructor changes included, for students' calendar
 * apps; `/calendar.ics` where the deployment serves one course).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger, calendars } = options;
  // A calendar changes once per course revision: its bytes and tag are worked out once, not per request.
  const served = new Map<string, { readonly ics: string; readonly body: Buffer; readonly etag: string }>();
  const calendarBody = (id: string, ics: string) => {
    let kept = served.get(id);
    if (kept?.ics !== ics) {
      // DTSTAMP and LAST-MODIFIED say when the file was made, every time: the tag is of the content.
      const content = ics.replace(/^(DTSTAMP|LAST-MODIFIED)[:;].*\r?\n/gm, '');
      const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
      kept = { ics, body: Buffer.from(ics, 'utf8'), etag };
      // A course removed since is not kept: only the calendars of the courses served now.
      if (!served.has(id)) for (const gone of [...served.keys()].filter((other) => !calendars.ids().includes(other))) served.delete(gone);
      served.set(id, kept);
    }
    return kept;
  };
  const notFound = (response: ServerResponse, line: string) => send(response, 404, 'text/plain; charset=utf-8', `${line}\n`);
  /** The paths of the calendars served, for a 404 that says where they are. */
  const listed = (ids: readonly string[]) => (ids.length === 0 ? 'no course calendar is served' : ids.map(calendarPath).join(', '));
  const serveCalendar = async (request: IncomingMessage, response: ServerResponse, id: string, calendar: Calendar) => {
    const { ics, name } = await calendar();
    const { body, etag } = calendarBody(id, ics);
    if (matchesEtag(request.headers['if-none-match'], etag)) {
      response.writeHead(304, { etag }).end();
      return;
    }
    send(response, 200, 'text/calendar; charset=utf-8', body, {
      etag,
      'cache-control': 'public, max-age=300',
      'content-disposition': `inline; filename="${name}.ics"`,
    });
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = pathOf(request.url);
    if (path === undefined) {
      send(response, 400, 'text/plain; charset=utf-8', 'Bad request\n');
      return;
    }
    if (path === '/hooks/plan' && options.planHook) {
      await options.planHook(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/healthz': {
        const checks = options.health();
        const ok = Object.values(checks).every((state) => state === 'ok');
        send(response, ok ? 200 : 503, 'application/json', `${JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks })}\n`);
        return;
      }
      case '/metrics':
        send(response, 200, options.metrics.registry.contentType, await options.metrics.registry.metrics());
        return;
      case '/calendar.ics': {
        // The old path: the calendar of the one course; with several, where each course's calendar is.
        const ids = calendars.ids();
        const calendar = ids.length === 1 ? calendars.get(ids[0]!) : undefined;
        if (calendar) await serveCalendar(request, response, ids[0]!, calendar);
        else if (ids.length === 0) notFound(response, 'Not found: no course calendar is served');
        else notFound(response, `Not found: this deployment serves ${ids.length} courses; their calendars are at ${listed(ids)}`);
        return;
      }
      default: {
        const id = calendarId(path);
        const calendar = id === undefined ? undefined : calendars.get(id);
        if (id !== undefined && calendar) await serveCalendar(request, response, id, calendar);
        else if (id !== undefined) notFound(response, `Not found: no course "${shownId(id)}"; calendars: ${listed(calendars.ids())}`);
        else notFound(response, 'Not found: try /healthz, /metrics, /calendar.ics or /calendar/<course id>.ics');
      }
    }
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, url: request.url }, 'http request failed');
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'Internal error\n');
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: unknown) =>
      reject(listenFailure(error, { host: options.host, port: options.port, hostSetting: 'HTTP_HOST', portSetting: 'HTTP_PORT' }));
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: options.host, calendars: calendars.ids().map(calendarPath) }, 'http server listening: /healthz, /metrics, /calendar/<course id>.ics');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
