import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Config, ConfigError } from '../config.js';
import { registerSecrets } from '../log.js';
import { databaseSecrets } from '../store/database-url.js';

/** What `migrate` needs from the command line around it. */
export interface MigrateCommandDeps {
  /** The checked configuration (read when the command runs). */
  readonly config: () => Config;
  readonly print: (text: string) => Promise<void>;
  readonly cwd: string;
}

/**
 * Registers `course-bot migrate`: copies the SQLite state database (`STATE_DB`, or `--from`) into the PostgreSQL
 * database of `DATABASE_URL`, refusing a target that holds anything unless `--replace`, and prints the counts.
 */
export function registerMigrate(cli: Command, deps: MigrateCommandDeps): void {
  cli
    .command('migrate')
    .description('Copy the SQLite state database (STATE_DB) into the PostgreSQL database of DATABASE_URL, and print the counts')
    .option('--from <file>', 'the SQLite state database to copy (default: STATE_DB)')
    .option('--replace', 'replace what the PostgreSQL database holds (default: refuse one that is not empty)')
    .action(async (options: { from?: string; replace?: boolean }) => {
      const settings = deps.config();
      if (!settings.database) {
        throw new ConfigError(['DATABASE_URL is not set: migrate copies STATE_DB into the PostgreSQL database it names (see .env.example)'], null);
      }
      registerSecrets(databaseSecrets(settings.database.url));
      const from = options.from === undefined ? settings.stateDb : resolve(deps.cwd, options.from);
      const { migrateToPostgres, migrationReport } = await import('../store/migrate.js');
      const counts = await migrateToPostgres({
        from,
        to: settings.database.url,
        shown: settings.database.shown,
        ...(options.replace && { replace: true }),
      });
      await deps.print(migrationReport(from, settings.database.shown, counts));
    });
}
