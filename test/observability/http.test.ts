import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Calendars, type HealthChecks, type RunningHttpServer, oneCalendar, startHttpServer } from '../../src/observability/http.js';
import { Metrics } from '../../src/observability/metrics.js';
import { captureLogger } from '../support/log.js';

describe('the HTTP server: /healthz, /metrics, /calendar.ics', () => {
  let server: RunningHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (
    health: () => HealthChecks,
    ics: string | (() => string | Promise<string>) = 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n',
  ) => {
    const metrics = new Metrics();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: captureLogger().logger,
      metrics,
      health,
      calendars: oneCalendar('mlops', async () => ({ ics: typeof ics === 'string' ? ics : await ics(), name: 'mlops' })),
    });
    return { metrics, url: (path: string) => `http://127.0.0.1:${server!.port}${path}` };
  };

  it('says 200 when every check is ok, 503 with the reasons otherwise', async () => {
    let checks: HealthChecks = { database: 'ok', discord: 'ok' };
    const { url } = await start(() => checks);
    const ok = await fetch(url('/healthz'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', checks: { database: 'ok', discord: 'ok' } });
    checks = { database: 'ok', discord: 'not connected to the gateway (Reconnecting)' };
    const down = await fetch(url('/healthz'));
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', checks });
    expect((await fetch(url('/healthz'), { method: 'HEAD' })).status).toBe(503);
  });

  it('serves Prometheus metrics: commands by name and outcome, latency, announcements by kind and outcome, process metrics', async () => {
    const { metrics, url } = await start(() => ({ database: 'ok' }));
    metrics.command({ platform: 'discord', command: 'today', outcome: 'ok', seconds: 0.004 });
    metrics.command({ platform: 'discord', command: 'today', outcome: 'ok', seconds: 0.02 });
    metrics.command({ platform: 'slack', command: 'course cancel', outcome: 'refused', seconds: 0.1 });
    metrics.announcement('sent', 'mlops:2027-01-05:daily:discord:1');
    metrics.announcement('failed', 'mlops:2027-01-05:notice-r2-cbx:slack:C1');
    metrics.gatewayPing('discord', () => 42);
    const response = await fetch(url('/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('course_bot_commands_total{platform="discord",command="today",outcome="ok"} 2');
    expect(text).toContain('course_bot_commands_total{platform="slack",command="course cancel",outcome="refused"} 1');
    expect(text).toContain('course_bot_reply_seconds_bucket{le="0.005",platform="discord"} 1');
    expect(text).toContain('course_bot_reply_seconds_count{platform="discord"} 2');
    expect(text).toContain('course_bot_announcements_total{kind="daily",outcome="sent"} 1');
    expect(text).toContain('course_bot_announcements_total{kind="notice",outcome="failed"} 1');
    expect(text).toContain('course_bot_gateway_ping_seconds{platform="discord"} 0.042');
    expect(text).toContain('course_bot_process_resident_memory_bytes');
  });

  it('serves the calendar with a type, a file name and an ETag; an unchanged calendar is a 304', async () => {
    const { url } = await start(() => ({ database: 'ok' }));
    const first = await fetch(url('/calendar.ics'));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(first.headers.get('content-disposition')).toBe('inline; filename="mlops.ics"');
    expect(await first.text()).toBe('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect((await fetch(url('/calendar.ics'), { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('reads If-None-Match as RFC 9110 does: a list, weak tags, or *', async () => {
    const { url } = await start(() => ({ database: 'ok' }));
    const etag = (await fetch(url('/calendar.ics'))).headers.get('etag')!;
    const status = async (header: string) => (await fetch(url('/calendar.ics'), { headers: { 'if-none-match': header } })).status;
    expect(await status(`W/${etag}`)).toBe(304);
    expect(await status(`"other", ${etag}`)).toBe(304);
    expect(await status('*')).toBe(304);
    expect(await status('"other"')).toBe(200);
  });

  it('answers a request target that is not a URL with 400, and logs no error for it', async () => {
    const metrics = new Metrics();
    const { logger, lines } = captureLogger();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      metrics,
      health: () => ({ database: 'ok' }),
      calendars: oneCalendar('x', () => ({ ics: '', name: 'x' })),
    });
    const port = server.port;
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(reply).toContain('Bad request');
    expect(lines.filter((line) => line.includes('"level":50'))).toEqual([]);
  });

  it('keeps the ETag while only the time the file was made changes', async () => {
    let stamp = 1;
    let topic = 'Intro';
    const { url } = await start(() => ({ database: 'ok' }), () => `BEGIN:VEVENT\r\nDTSTAMP:2027010${stamp}T000000Z\r\nLAST-MODIFIED:2027010${stamp}T000000Z\r\nSUMMARY:${topic}\r\nEND:VEVENT\r\n`);
    const etag = (await fetch(url('/calendar.ics'))).headers.get('etag')!;
    stamp = 2;
    expect((await fetch(url('/calendar.ics'), { headers: { 'if-none-match': etag } })).status).toBe(304);
    topic = 'Changed';
    expect((await fetch(url('/calendar.ics'), { headers: { 'if-none-match': etag } })).status).toBe(200);
  });

  it('answers /healthz while a calendar is still being built, then serves the calendar', async () => {
    let finish: (ics: string) => void = () => undefined;
    const { url } = await start(
      () => ({ database: 'ok' }),
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    const calendar = fetch(url('/calendar.ics'));
    const health = await fetch(url('/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
    finish('BEGIN:VCALENDAR\r\nX-BUILT:yes\r\nEND:VCALENDAR\r\n');
    const response = await calendar;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('BEGIN:VCALENDAR\r\nX-BUILT:yes\r\nEND:VCALENDAR\r\n');
  });

  it('serves a calendar that fails to build as a 500, and logs why', async () => {
    const metrics = new Metrics();
    const { logger, lines } = captureLogger();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      metrics,
      health: () => ({ database: 'ok' }),
      calendars: oneCalendar('x', () => Promise.reject(new Error('build failed'))),
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/calendar.ics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal error\n');
    expect(lines.some((line) => line.includes('http request failed') && line.includes('build failed'))).toBe(true);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const { url } = await start(() => ({ database: 'ok' }));
    expect((await fetch(url('/'))).status).toBe(404);
    const post = await fetch(url('/healthz'), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  describe('a calendar per course', () => {
    const feed = (id: string) => () => ({ ics: `BEGIN:VCALENDAR\r\nX-WR-CALNAME:${id}\r\nEND:VCALENDAR\r\n`, name: id });
    const serve = async (calendars: Calendars) => {
      server = await startHttpServer({ port: 0, host: '127.0.0.1', logger: captureLogger().logger, metrics: new Metrics(), health: () => ({}), calendars });
      return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server!.port}${path}`, init);
    };
    const several = (ids: () => readonly string[]): Calendars => ({ ids, get: (id) => (ids().includes(id) ? feed(id) : undefined) });

    it('serves /calendar/<id>.ics for each course, with its own file name and ETag', async () => {
      const get = await serve(several(() => ['mlops', 'ds']));
      const mlops = await get('/calendar/mlops.ics');
      const ds = await get('/calendar/ds.ics');
      expect([mlops.status, ds.status]).toEqual([200, 200]);
      expect(await mlops.text()).toContain('X-WR-CALNAME:mlops');
      expect(await ds.text()).toContain('X-WR-CALNAME:ds');
      expect(ds.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
      expect(ds.headers.get('content-disposition')).toBe('inline; filename="ds.ics"');
      expect(mlops.headers.get('etag')).not.toBe(ds.headers.get('etag'));
      expect((await get('/calendar/ds.ics', { headers: { 'if-none-match': ds.headers.get('etag')! } })).status).toBe(304);
      expect((await get('/calendar/ds.ics', { headers: { 'if-none-match': mlops.headers.get('etag')! } })).status).toBe(200);
      expect((await get('/calendar/ds.ics', { method: 'HEAD' })).status).toBe(200);
    });

    it('answers an unknown course with a 404 line naming the calendars there are', async () => {
      const get = await serve(several(() => ['mlops', 'ds']));
      for (const path of ['/calendar/nope.ics', '/calendar/%0Anope.ics']) {
        const response = await get(path);
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(await response.text()).toBe(`Not found: no course "${path.includes('%0A') ? '?nope' : 'nope'}"; calendars: /calendar/mlops.ics, /calendar/ds.ics\n`);
      }
      expect((await get('/calendar/a/b.ics')).status).toBe(404);
      expect((await get('/calendar/%E0%A4%A.ics')).status).toBe(404);
    });

    it('keeps /calendar.ics for one course; with several it is a 404 line listing each course’s path', async () => {
      let ids: readonly string[] = ['mlops'];
      const get = await serve(several(() => ids));
      const one = await get('/calendar.ics');
      expect(one.status).toBe(200);
      expect(await one.text()).toContain('X-WR-CALNAME:mlops');
      expect((await get('/calendar/mlops.ics')).status).toBe(200);
      ids = ['mlops', 'ds'];
      const two = await get('/calendar.ics');
      expect(two.status).toBe(404);
      expect(await two.text()).toBe('Not found: this deployment serves 2 courses; their calendars are at /calendar/mlops.ics, /calendar/ds.ics\n');
      // A course added is served at once; one removed is gone.
      ids = ['ds'];
      expect((await get('/calendar/mlops.ics')).status).toBe(404);
      expect(await (await get('/calendar.ics')).text()).toContain('X-WR-CALNAME:ds');
      ids = [];
      expect(await (await get('/calendar.ics')).text()).toBe('Not found: no course calendar is served\n');
    });

    it('names the calendar paths in the 404 of an unknown path', async () => {
      const get = await serve(several(() => ['mlops']));
      expect(await (await get('/nope')).text()).toBe('Not found: try /healthz, /metrics, /calendar.ics or /calendar/<course id>.ics\n');
    });
  });
});
