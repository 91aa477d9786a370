import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { start } from '../src/main.js';
import { PlatformError } from '../src/platforms/failure.js';
import { FakeDiscord } from './fakes/discord/index.js';
import { ROOT } from './support/child.js';

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
});
