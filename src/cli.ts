#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command as Program, CommanderError } from 'commander';
import { isUserFacingError } from './core/errors.js';
import { ConfigError, PACKAGE_ROOT } from './config.js';
import { ImportError } from './course-file/plan/import-error.js';
import { CourseFileError } from './course-file/read.js';
import { registerAnnounce } from './cli/announce.js';
import { registerAsk } from './cli/ask.js';
import { registerCalendar } from './cli/calendar.js';
import { type CliIo, EXIT_INVALID, EXIT_USAGE, SetupError, UsageError, cliContext } from './cli/context.js';
import { registerExport } from './cli/export.js';
import { registerImport } from './cli/import.js';
import { registerInviteUrl } from './cli/invite-url.js';
import { registerMigrate } from './cli/migrate.js';
import { OutputError, writeToStream } from './cli/output.js';
import { registerPlan } from './cli/plan.js';
import { registerRegisterCommands } from './cli/register-commands.js';
import { registerReminders } from './cli/reminders.js';
import { registerSlackManifest } from './cli/slack-manifest.js';
import { registerStart } from './cli/start.js';
import { registerValidate } from './cli/validate.js';
import { platformFailure } from './platforms/failure.js';
import { StateDbError } from './store/state-db-error.js';

export type { CliIo } from './cli/context.js';

/** What a shell reports for a writer whose reader went away (128 + SIGPIPE), as for `yes | head -1`. */
const EXIT_BROKEN_PIPE = 141;

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return (pkg as { version?: string }).version ?? '0.0.0';
}

/** The subcommands, in the order `--help` lists them; each is one file under src/cli/ and loads what it needs when run. */
const SUBCOMMANDS = [
  registerStart,
  registerAsk,
  registerValidate,
  registerPlan,
  registerImport,
  registerExport,
  registerReminders,
  registerCalendar,
  registerInviteUrl,
  registerSlackManifest,
  registerRegisterCommands,
  registerAnnounce,
  registerMigrate,
] as const;

/**
 * Commands that load the Markdown importer only for a course file with `plan:` (see `withPlanImporter`). The
 * running bot (`start`) loads it when a course's plan is first read (`PlanSource.load`, a fetched plan URL) and
 * for a folder of courses; reloads are read in a worker thread, which loads its own.
 */
const READS_PLANS_ITSELF = new Set(['validate', 'export', 'calendar', 'import', 'start']);

function program(io: CliIo, setStatus: (code: number) => void): Program {
  const cli = new Program('course-bot')
    .description('A course assistant for Discord and Slack: schedule, announcements, resources.')
    .version(version())
    .configureOutput({
      writeOut: (text) => void writeToStream(io.stdout, text).catch(() => undefined),
      writeErr: (text) => void writeToStream(io.stderr, text).catch(() => undefined),
    })
    .showHelpAfterError()
    .exitOverride();
  const ctx = cliContext(io, setStatus);
  for (const register of SUBCOMMANDS) register(cli, ctx);
  // The Markdown importer (a third of the modules) for the commands that may read a course file's plan; these
  // load it themselves only when a file has one.
  cli.hook('preAction', async (_cli, action) => {
    if (!READS_PLANS_ITSELF.has(action.name())) await (await import('./course-file/plan.js')).loadPlanImporter();
  });
  return cli;
}

/** A refusal from Discord's HTTP API (discord.js's `DiscordAPIError`, recognised without loading discord.js). */
function discordRefusal(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.name.startsWith('DiscordAPIError')) return undefined;
  const { method, url, status } = error as Error & { method?: string; url?: string; status?: number };
  if (typeof method !== 'string' || typeof url !== 'string') return undefined;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: show it as it is.
  }
  return `Discord refused ${method} ${path}: ${String(status)} ${error.message}`;
}

/** The exit code for what went wrong, after printing it in as few lines as it takes (none for a closed pipe). */
async function report(error: unknown, io: CliIo): Promise<number> {
  const say = (text: string) => writeToStream(io.stderr, `${text}\n`, 'standard error').catch(() => undefined);
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof OutputError) {
    if (error.code === 'EPIPE') return EXIT_BROKEN_PIPE;
    await say(error.message);
    return error.usage ? EXIT_USAGE : EXIT_INVALID;
  }
  if (error instanceof UsageError || isUserFacingError(error)) {
    await say(error.message);
    return EXIT_USAGE;
  }
  // Before the platform check: that one reads error codes (EACCES…), which a file problem may carry too.
  if (
    error instanceof SetupError ||
    error instanceof CourseFileError ||
    // COURSES_DIR cannot be read (by name: the catalog is loaded only when a deployment has one).
    (error instanceof Error && error.name === 'CatalogError') ||
    error instanceof ConfigError ||
    error instanceof ImportError ||
    error instanceof StateDbError
  ) {
    await say(error.message);
    return EXIT_INVALID;
  }
  const refusal = discordRefusal(error) ?? platformFailure(error);
  if (refusal) {
    await say(refusal);
    return EXIT_INVALID;
  }
  throw error;
}

/** Runs the command line `argv` (without `node` and the script) and returns its exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let status = 0;
  try {
    await program(io, (code) => (status = code)).parseAsync([...argv], { from: 'user' });
    return status;
  } catch (error) {
    return report(error, io);
  }
}

/**
 * Runs the command line of this process and sets its exit code. Errors of standard output and standard
 * error (a closed pipe, a full disk) reach the writes that caused them, never an unhandled `error` event.
 */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  process.exitCode = await main(argv);
}

/** Whether this module is the script node was started with (`node dist/cli.js`, `tsx src/cli.ts`). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await run();
