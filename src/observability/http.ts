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
  /**
   * The course's calendar (iCalendar text) and its file name, as it is now. A promise lets a large
   * calendar be built without holding up other requests (`/healthz` answers meanwhile).
   */
  readonly calendar: () => CalendarBody | Promise<CalendarBody>;
  /** `POST /hooks/plan`: fetch the course's plan now (it checks the caller's signature itself). */
  readonly planHook?: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

/** The calendar as served: iCalendar text and the file name, without `.ics`. */
export interface CalendarBody {
  readonly ics: string;
  readonly name: string;
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
 * `GET /calendar.ics` (the schedule, instructor changes included, for students' calendar apps).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger } = options;
  // The calendar changes once per course revision: its bytes and tag are worked out once, not per request.
  let served: { readonly ics: string; readonly body: Buffer; readonly etag: string } | undefined;
  const calendarBody = (ics: string) => {
    if (served?.ics !== ics) {
      // DTSTAMP and LAST-MODIFIED say when the file was made, every time: the tag is of the content.
      const content = ics.replace(/^(DTSTAMP|LAST-MODIFIED)[:;].*\r?\n/gm, '');
      const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
      served = { ics, body: Buffer.from(ics, 'utf8'), etag };
    }
    return served;
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
        const { ics, name } = await options.calendar();
        const { body, etag } = calendarBody(ics);
        if (matchesEtag(request.headers['if-none-match'], etag)) {
          response.writeHead(304, { etag }).end();
          return;
        }
        send(response, 200, 'text/calendar; charset=utf-8', body, {
          etag,
          'cache-control': 'public, max-age=300',
          'content-disposition': `inline; filename="${name}.ics"`,
        });
        return;
      }
      default:
        send(response, 404, 'text/plain; charset=utf-8', 'Not found: try /healthz, /metrics or /calendar.ics\n');
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
  logger.info({ port, host: options.host }, 'http server listening: /healthz, /metrics, /calendar.ics');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
