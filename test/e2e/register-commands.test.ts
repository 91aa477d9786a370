import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/core/commands/registry.js';
import { FakeDiscord } from '../fakes/discord/index.js';
import { runCli } from '../support/child.js';

describe('course-bot register-commands', () => {
  let fake: FakeDiscord;
  let dir: string;
  const env = () => ({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, STATE_DB: join(dir, 'state.db') });

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join(tmpdir(), 'course-bot-register-'));
  });

  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers in a guild, every time it is asked, and prints what it registered', async () => {
    for (let run = 1; run <= 2; run += 1) {
      const result = await runCli(['register-commands', '--guild', fake.guildId], { env: env() });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const names = new Set(commands.map((command) => command.group ?? command.name));
      expect(result.stdout).toContain(`Registered ${names.size} commands (guild ${fake.guildId}):`);
      expect(result.stdout).toContain('  /course — Instructors: change the schedule, preview and post announcements');
      expect(result.stdout).toContain('  /week — The sessions of this week (or of week N)');
      expect(fake.registrations).toHaveLength(run);
    }
    // The application id was looked up once per run, since DISCORD_APPLICATION_ID is not set.
    expect(fake.requests.filter((request) => request.path === '/applications/@me')).toHaveLength(2);
  });

  it('explains what is missing or refused', async () => {
    const noToken = await runCli(['register-commands'], { env: { STATE_DB: join(dir, 'state.db'), DISCORD_TOKEN: '' } });
    expect(noToken.code).toBe(1);
    expect(noToken.stdout).toBe('');
    expect(noToken.stderr).toBe('register-commands needs DISCORD_TOKEN (see .env.example)\n');
    const refused = await runCli(['register-commands'], { env: { ...env(), DISCORD_TOKEN: 'wrong-token' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Discord refused GET \/api\/v10\/applications\/@me: 401 /);
    expect(refused.stderr).not.toContain('wrong-token');
  });
});
