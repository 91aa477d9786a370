import type { Config } from '../config.js';
import type { StateStore } from '../core/ports.js';
import { registerSecrets } from '../log.js';
import { databaseSecrets } from './database-url.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { StateDbError } from './state-db-error.js';

/** What the running bot is told about its store's incidents (see `SqliteStoreOptions`, `PostgresStoreOptions`). */
export interface StoreHooks {
  /** Once per incident, with the one line to log and pass on to instructors. */
  readonly onTrouble?: (error: StateDbError) => void;
  /** When the incident is over, with the line to log and pass on. */
  readonly onRecovered?: (message: string) => void;
}

/**
 * The state store the configuration names: PostgreSQL when `DATABASE_URL` is set (instances on several hosts),
 * else the SQLite file `STATE_DB`. The URL's password is registered as a secret first: no log line shows it. Throws a `StateDbError` with one line when it cannot be used.
 */
export function openStateStore(config: Pick<Config, 'stateDb' | 'database'>, hooks: StoreHooks = {}): StateStore {
  if (config.database) {
    registerSecrets(databaseSecrets(config.database.url));
    return new PostgresStore(config.database.url, { shown: config.database.shown, ...hooks });
  }
  return new SqliteStore(config.stateDb, hooks);
}
