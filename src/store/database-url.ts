import type { Config } from '../config.js';

/** `postgres://user@host:port/db`: a database URL as it may be shown (logs, errors), without its password or query. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://…';
  }
}

/** The password of a database URL (as written and decoded) and the URL itself: never to be logged. */
export function databaseSecrets(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [url, password, decodeURIComponent(password)] : [url];
  } catch {
    return [url];
  }
}

/**
 * The database the state store of this configuration uses, as log lines name it (`db`): the PostgreSQL URL
 * without its password when `DATABASE_URL` is set, else the SQLite file `STATE_DB`.
 */
export function storeName(config: Pick<Config, 'stateDb' | 'database'>): string {
  return config.database?.shown ?? config.stateDb;
}
