import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { start } from '../src/main.js';
import { PlatformError } from '../src/platforms/failure.js';
import { FakeDiscord } from './fakes/discord/index.js';
import { ROOT } from './support/child.js';
import { runMain } from './support/main.js';

/**
 * `start()` is the composition root, called in this process by tests and embedders: it returns or throws,
 * and leaves ending the process to its caller (the CLI).
 */
describe('start() in this process', () => {
  let fake: FakeDiscord;
  let dir: string;

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join(tmpdir(), 'course-bot-main-'));
  });

  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused platform rejects with PlatformError and never ends the process', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const config = loadConfig({
        env: {
          DISCORD_TOKEN: 'not-the-token',
          DISCORD_API_URL: fake.apiUrl,
          STATE_DB: join(dir, 'state.db'),
          COURSE_FILE: join(ROOT, 'data/course.yaml'),
        },
        dotenv: false,
      });
      const failed = await start({ config, logger: createLogger({ level: 'silent' }) }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(PlatformError);
      expect((failed as Error).message).toBe('Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).');
      // Any timer start() left to end the process (it used 5 s) fires before this one, which is set later
      // and runs longer.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });

  it('COURSES_DIR that cannot be read stops the start with one line saying what to fix', async () => {
    const run = await runMain(['start'], { COURSES_DIR: join(dir, 'no-such-folder'), STATE_DB: join(dir, 'state-missing.db') });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      `COURSES_DIR ${join(dir, 'no-such-folder')}: no such folder: point COURSES_DIR at the folder of course files (one *.yaml per course)`,
    ]);
  });

  it('the terminal chat of a COURSES_DIR deployment names its courses, and asks which course a command is for', async () => {
    const courses = join(dir, 'courses');
    mkdirSync(courses);
    const seed = readFileSync(join(ROOT, 'data/course.yaml'), 'utf8');
    writeFileSync(join(courses, 'a.yaml'), seed.replace('id: mlops', 'id: course-a').replace('name: Machine Learning Operations', 'name: Course A'));
    writeFileSync(join(courses, 'b.yaml'), seed.replace('id: mlops', 'id: course-b').replace('name: Machine Learning Operations', 'name: Course B'));
    const config = loadConfig({ env: { COURSES_DIR: courses, STATE_DB: join(dir, 'state-terminal.db') }, dotenv: false });
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const running = start({ config, logger: createLogger({ level: 'silent' }), input, output });
    input.end('/schedule\n/schedule course:course-b\n/help course:course-b\n');
    await running;
    expect(printed).toContain('course-bot: 2 courses from');
    expect(printed).toContain('course-a, course-b');
    expect(printed).toContain('Which course?');
    expect(printed).toContain('course-a — Course A');
    expect(printed).toContain('course-b — Course B');
    // The course option picks the course; /help tells how, listing the running courses.
    expect(printed).toContain('Course B: schedule');
    expect(printed).toContain('Every command takes [course]: add course:<id>');
  });
});
