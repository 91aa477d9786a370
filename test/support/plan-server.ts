import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the plan server answers at a path. */
export type PlanRoute = (request: IncomingMessage, response: ServerResponse) => void;

/** A local HTTP server (127.0.0.1, port 0) serving plans for tests; `requests` records what was asked. */
export async function startPlanServer(routes: Record<string, PlanRoute>): Promise<{
  readonly url: (path: string) => string;
  readonly requests: IncomingMessage[];
  readonly routes: Record<string, PlanRoute>;
  close(): Promise<void>;
}> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    const route = routes[new URL(request.url ?? '/', 'http://localhost').pathname];
    if (route) route(request, response);
    else response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serves `text()` with an ETag of its content, and 304 when the client holds that tag. */
export function servedPlan(text: () => string): PlanRoute {
  return (request, response) => {
    const body = text();
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8', etag }).end(body);
  };
}
