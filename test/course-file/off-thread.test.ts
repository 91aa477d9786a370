import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { captureLogger } from '../support/log.js';

// A reload of a running bot reads the file in a worker thread: the event loop stays free for health
// checks, chat answers and a stop. Nothing here times anything: the tests look at what ran first.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-off-thread-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = readFileSync('data/course.yaml', 'utf8');
/** Valid, inside every limit, and slow to parse (seconds): lists nested 62 deep, 3,000 times. */
const SLOW = `${seed}${Array.from({ length: 3000 }, (_, block) => `x-n${block}: ${'['.repeat(62)}1${']'.repeat(62)}\n`).join('')}`.replace(
  'topic: Deployment',
  'topic: Slow to read',
);

function setup(name: string, timeLimitMs?: number) {
  const path = join(dir, name);
  writeFileSync(path, seed);
  const { logger } = captureLogger();
  const live = new LiveCourse({ path, label: name, initial: loadCourseFile(path, name), logger, ...(timeLimitMs !== undefined && { timeLimitMs }) });
  return { path, live };
}

describe('LiveCourse.reloadOffThread', () => {
  it('keeps the event loop free while a slow file is checked, then takes it', { timeout: 120_000 }, async () => {
    const { path, live } = setup('slow.yaml');
    writeFileSync(path, SLOW);
    const order: string[] = [];
    const reload = live.reloadOffThread('test').then((result) => {
      order.push('reloaded');
      return result;
    });
    // A timer (as a health check or a chat answer would need) runs while the reload is under way.
    await new Promise((resolve) => setTimeout(resolve, 1));
    order.push('timer');
    expect(live.course.sessions[12]!.topic).toBe('Deployment');
    expect(await reload).toEqual({ ok: true, changed: true, recovered: false });
    expect(order).toEqual(['timer', 'reloaded']);
    expect(live.course.sessions[12]!.topic).toBe('Slow to read');
  });

  it('refuses a file that takes longer than the time limit, in one line, and keeps the last good course', { timeout: 120_000 }, async () => {
    const { path, live } = setup('limit.yaml', 50);
    writeFileSync(path, SLOW);
    const result = await live.reloadOffThread('test');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message.split('\n')).toEqual([
      'limit.yaml: 1 problem',
      'limit.yaml took longer than 50 ms to check, and was not reloaded: make it smaller or simpler (see the limits in data/README.md)',
    ]);
    expect(live.course.sessions[12]!.topic).toBe('Deployment');
  });

  it('ends a reload under way when the bot stops', { timeout: 120_000 }, async () => {
    const { path, live } = setup('stop.yaml');
    writeFileSync(path, SLOW);
    const reload = live.reloadOffThread('test');
    await new Promise((resolve) => setTimeout(resolve, 1));
    live.close();
    const result = await reload;
    expect(!result.ok && result.error.issues.map((issue) => issue.message)).toEqual(['was not checked: the bot is stopping']);
    expect(live.course.sessions[12]!.topic).toBe('Deployment');
  });

  it('brings back the problems of a refused file with their count, as a reload on the thread does', { timeout: 120_000 }, async () => {
    const { path, live } = setup('broken.yaml');
    const broken = seed.replace(/frameworks: \[[^\]]*\]/, `frameworks: [${Array(150).fill('[a]').join(',')}]`);
    writeFileSync(path, broken);
    const result = await live.reloadOffThread('test');
    const same = live.reload('test');
    expect(result.ok || same.ok).toBe(false);
    expect(!result.ok && result.error.message).toBe(!same.ok && same.error.message);
    expect(!result.ok && result.error.message.split('\n')[0]).toBe('broken.yaml: 150 problems');
  });
});
