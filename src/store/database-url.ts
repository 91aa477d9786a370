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
