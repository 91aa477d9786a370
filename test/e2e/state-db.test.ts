import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import type { ChatInputOption } from '../fakes/discord/builders.js';
import { type RunningChild, spawnCli } from '../support/child.js';
import { dataOf } from '../support/discord.js';

const TIMEOUT = 90_000;
const GUILD = '1100000000000000001';
const INSTRUCTORS = '1100000000000000003';
const INSTRUCTOR_ROLE = '1100000000000000010';
const teacher = { id: '1200000000000000001', username: 'teacher', roles: [INSTRUCTOR_ROLE] };

interface Reply {
  content?: string;
  flags?: number;
  embeds?: { title?: string }[];
}

function course(sub: string, options: Record<string, string>) {
  const nested: ChatInputOption[] = Object.entries(options).map(([name, value]) => ({ name, type: ApplicationCommandOptionType.String, value }));
  return chatInput('course', [{ name: sub, type: ApplicationCommandOptionType.Subcommand, options: nested } as ChatInputOption], { actor: teacher });
}

/**
 * The state database replaced under the running bot (a backup moved into place, a volume swapped), end to
 * end: the real bot with its HTTP server against the fake Discord.
 */
describe('a state database replaced under the running bot', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild | undefined;
  const db = () => join(dir, 'state.db');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-state-db-'));
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: GUILD, channels: [INSTRUCTORS], roles: [INSTRUCTOR_ROLE] }] });
  });

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const answer = async (input: ReturnType<typeof chatInput>): Promise<Reply> => {
    const { callback, interaction } = await fake.interact(input, { timeoutMs: 15_000 });
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      return fake.waitForOriginal(interaction.id, (stored) => (stored.embeds?.length ?? 0) > 0 || Boolean(stored.content), { timeoutMs: 15_000 });
    }
    return dataOf(callback) as Reply;
  };

  it('turns /healthz 503, refuses the next change with a clear answer, tells the instructors once, and restarts onto the new file', { timeout: TIMEOUT }, async () => {
    bot = spawnCli(['start', '--at', '2027-01-05T10:00'], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: GUILD,
      DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
      DISCORD_INSTRUCTOR_ROLE_ID: INSTRUCTOR_ROLE,
      STATE_DB: db(),
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
    });
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 45_000);
    const port = Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
    };
    expect((await health()).status).toBe(200);
    expect((await answer(course('cancel', { date: '2027-01-06' }))).embeds?.[0]?.title).toBe('Done: Cancel Wed 6 Jan');

    // Another database moved into place while the bot runs.
    const other = new SqliteStore(`${db()}.restored`);
    other.setValue('marker', 'the restored backup');
    other.close();
    renameSync(`${db()}.restored`, db());

    const unhealthy = await health();
    expect(unhealthy.status).toBe(503);
    // What the bot held (the cancel) is saved beside it, from its open connection.
    const copies = readdirSync(dir).filter((name) => name.startsWith('state.db.recovered-'));
    expect(copies).toHaveLength(1);
    const copy = join(dir, copies[0]!);
    const line =
      `STATE_DB ${db()} was replaced by another file while the bot was running; what the bot held is saved in ${copy}: nothing more is ` +
      'stored (schedule changes are refused, announcements are not posted) until you restart the bot, which then opens the file now at ' +
      `that path (to keep what the bot held instead, stop it, move ${copy} to ${db()}, then start it).`;
    expect(unhealthy.body.checks.database).toBe(line);

    const refused = await answer(course('edit', { date: '2027-01-08', topic: 'Project kick-off' }));
    expect(refused.flags).toBe(MessageFlags.Ephemeral);
    expect(refused.content).toBe(`Not saved: ${line}`);
    expect((await health()).status).toBe(503);
    await bot.waitForOutput(/"level":50.*was replaced by another file while the bot was running/);
    const told = await fake.waitFor(() => (fake.messages(INSTRUCTORS).length > 0 ? fake.messages(INSTRUCTORS) : undefined), {
      timeoutMs: 15_000,
      what: 'the report in the instructors’ channel',
    });
    // Once, though the health check and a refused change both found it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.messages(INSTRUCTORS)).toHaveLength(1);
    expect(JSON.stringify(told[0])).toContain(`STATE_DB ${db()} was replaced by another file while the bot was running`);

    await bot.stop('SIGTERM', 12_000);
    bot = undefined;
    // The restart reads the file now at the path, clean: the restored backup, not the old data laid over it.
    const after = new SqliteStore(db());
    try {
      expect(after.getValue('marker')).toBe('the restored backup');
      expect(after.listChanges('mlops')).toEqual([]);
    } finally {
      after.close();
    }
    // The saved copy holds what the bot had: the cancel, and not the refused edit.
    const saved = new SqliteStore(copy);
    try {
      expect(saved.listChanges('mlops').map((record) => record.change)).toEqual([{ kind: 'cancel', date: '2027-01-06' }]);
    } finally {
      saved.close();
    }
  });
});

/** Writes zeros until the volume refuses (ENOSPC): the disk is then full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** The disk holding the state database fills up under the running bot (a 4 MB tmpfs), then space is freed. */
describe('a full disk under the running bot', () => {
  let fake: FakeDiscord;
  let dir: string;
  let mounted: string | undefined;
  let refused: string | undefined;
  let bot: RunningChild | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-full-e2e-'));
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    if (process.getuid?.() !== 0) refused = 'mounting a tmpfs needs root';
    else {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk], { stdio: 'pipe' });
        mounted = disk;
      } catch (error) {
        refused = `mount was refused: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
      }
    }
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: GUILD, channels: [INSTRUCTORS], roles: [INSTRUCTOR_ROLE] }] });
  });

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
    if (mounted) execFileSync('umount', [mounted]);
    rmSync(dir, { recursive: true, force: true });
  });

  const answer = async (input: ReturnType<typeof chatInput>): Promise<Reply> => {
    const { callback, interaction } = await fake.interact(input, { timeoutMs: 15_000 });
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      return fake.waitForOriginal(interaction.id, (stored) => (stored.embeds?.length ?? 0) > 0 || Boolean(stored.content), { timeoutMs: 15_000 });
    }
    return dataOf(callback) as Reply;
  };

  it('turns /healthz 503 with the reason, answers "Not saved: the disk … is full", tells instructors once, and recovers when space is freed', { timeout: TIMEOUT }, async (context) => {
    if (!mounted) context.skip(refused);
    const db = join(mounted!, 'state.db');
    bot = spawnCli(['start', '--at', '2027-01-05T10:00'], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: GUILD,
      DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
      DISCORD_INSTRUCTOR_ROLE_ID: INSTRUCTOR_ROLE,
      STATE_DB: db,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
    });
    await bot.waitForOutput(/slash commands (registered|unchanged)/, 45_000);
    const port = Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
    };
    expect((await health()).status).toBe(200);

    fill(join(mounted!, 'filler'));
    const unhealthy = await health();
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body.checks.database).toMatch(
      new RegExp(`^The disk holding STATE_DB ${db} is full \\(\\d+ (bytes|KB) free\\): free space on it \\(the volume that holds ${mounted!}\\)`),
    );

    const refusedEdit = await answer(course('edit', { date: '2027-01-08', topic: 'Project kick-off' }));
    expect(refusedEdit.flags).toBe(MessageFlags.Ephemeral);
    expect(refusedEdit.content).toBe(
      `Not saved: the disk holding STATE_DB ${db} is full (database or disk is full): free space on it (the volume that holds ${mounted!}); ` +
        'until then nothing is stored (schedule changes are refused, announcements are not posted).',
    );
    expect(bot.output().stderr).not.toMatch(/SqliteError|\n\s+at /);
    await fake.waitFor(() => (fake.messages(INSTRUCTORS).length > 0 ? true : undefined), { timeoutMs: 15_000, what: 'the report' });

    unlinkSync(join(mounted!, 'filler'));
    expect((await health()).status).toBe(200);
    expect((await answer(course('edit', { date: '2027-01-08', topic: 'Project kick-off' }))).embeds?.[0]?.title).toBe('Done: Edit Fri 8 Jan: topic "Project kick-off"');
    const told = await fake.waitFor(() => (fake.messages(INSTRUCTORS).length >= 2 ? fake.messages(INSTRUCTORS) : undefined), {
      timeoutMs: 15_000,
      what: 'the all-clear',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Once for the incident (the health check and the refused edit found the same one), once when it was over.
    expect(fake.messages(INSTRUCTORS)).toHaveLength(2);
    expect(JSON.stringify(told[0])).toContain(`The disk holding STATE_DB ${db} is full`);
    expect(JSON.stringify(told[1])).toContain(`has free space again`);
    await bot.stop('SIGTERM', 12_000);
    bot = undefined;
  });
});

