import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = readFileSync('data/course.yaml', 'utf8');

function setup(name: string) {
  const path = join(dir, name);
  writeFileSync(path, seed);
  const { logger, lines } = captureLogger();
  const refused: string[] = [];
  const live = new LiveCourse({
    path,
    label: name,
    initial: loadCourseFile(path, name),
    logger,
    onInvalid: (error) => refused.push(error.message),
  });
  return { path, live, lines, refused };
}

describe('LiveCourse', () => {
  it('takes a valid new file at once, and says when nothing changed', () => {
    const { path, live } = setup('valid.yaml');
    expect(live.reload('test')).toEqual({ ok: true, changed: false });
    writeFileSync(path, seed.replace('topic: Training in the sky', 'topic: Training in the clouds'));
    expect(live.reload('test')).toEqual({ ok: true, changed: true });
    expect(live.course.sessions[5]!.topic).toBe('Training in the clouds');
  });

  it('refuses a broken file with its errors and keeps the last good course', () => {
    const { path, live, lines, refused } = setup('broken.yaml');
    writeFileSync(path, seed.replace('- day: tuesday\n        topic: "Code organisation', '- day: tusday\n        topic: "Code organisation'));
    const result = live.reload('SIGHUP');
    expect(result.ok).toBe(false);
    expect(live.course.sessions[1]!.topic).toBe('Code organisation: why it matters');
    expect(refused[0]).toMatch(/broken\.yaml:\d+:\d+ weeks\[0\]\.sessions\[1\]\.day: tusday is not a weekday/);
    expect(lines.join('')).toContain('course file refused; the last good schedule stays live');
  });

  it('reloads when an editor replaces the file', async () => {
    const { path, live } = setup('watched.yaml');
    const stop = live.watch(50);
    try {
      const temporary = `${path}.swp`;
      writeFileSync(temporary, seed.replace('topic: Deployment', 'topic: Deployment and serving'));
      renameSync(temporary, path);
      for (let waited = 0; waited < 5_000 && live.course.sessions[12]!.topic !== 'Deployment and serving'; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(live.course.sessions[12]!.topic).toBe('Deployment and serving');
    } finally {
      stop();
    }
  });
});
