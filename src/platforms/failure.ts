import { scrubSecrets } from '../log.js';

/** The platforms a start can fail on, as named in `PlatformError`. */
export type PlatformName = 'discord' | 'slack';

const TITLES: Readonly<Record<PlatformName, string>> = { discord: 'Discord', slack: 'Slack' };

/** A platform's name as people write it: `Discord`, `Slack`. */
export function platformTitle(platform: PlatformName): string {
  return TITLES[platform];
}

/** One platform that could not start, and why. */
export interface PlatformFailure {
  readonly platform: PlatformName;
  readonly error: unknown;
}

/**
 * One or more platforms could not start, or shut the bot out while it ran (a token revoked): the process
 * ends so that a supervisor restarts it. Its message is one line per platform that failed, in the order
 * they were started, each saying what to check; no stack, no secret.
 */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';

  constructor(readonly failures: readonly PlatformFailure[]) {
    super(failures.map(({ platform, error }) => platformReason(error, platform)).join('\n'));
  }
}

/** Where a server listens, and the settings that say so, for the line about a failure to listen. */
export interface ListenTarget {
  readonly host: string;
  readonly port: number;
  /** `HTTP_HOST` and `HTTP_PORT` (the health server), or `SLACK_HOST` and `SLACK_PORT` (Slack's HTTP mode). */
  readonly hostSetting: string;
  readonly portSetting: string;
}

/**
 * A server that could not listen: a port in use or not allowed, a host that is not this machine's or not a
 * name at all. Its message is the one line to print, naming the settings and the fix.
 */
export class ListenError extends Error {
  override readonly name = 'ListenError';

  constructor(
    readonly target: ListenTarget,
    override readonly cause: unknown,
  ) {
    super(listenReason(target, cause));
  }
}

/** Control characters and line breaks in a configured value would break the one line. */
function shown(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f"]/.test(value) || value.length > 100 ? JSON.stringify(value.slice(0, 100)) : value;
}

function listenReason(target: ListenTarget, cause: unknown): string {
  const { port, hostSetting, portSetting } = target;
  const host = shown(target.host);
  const code = cause instanceof Error ? codeOf(cause) : undefined;
  const where = `Cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where} (EADDRINUSE): another program uses port ${port}; stop it, or set ${portSetting} to a free port.`;
    case 'EACCES':
    case 'EPERM':
      return `${where} (${code}): not allowed to use port ${port} (ports below 1024 need privileges); set ${portSetting} to a port from 1024 up.`;
    case 'EADDRNOTAVAIL':
      return `${where} (EADDRNOTAVAIL): ${host} is not an address of this machine; set ${hostSetting} to one of its addresses, or 0.0.0.0 for all.`;
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return `${where} (${code}): ${hostSetting} is not an address or a host name this machine knows; set it to an address, such as 0.0.0.0 (all) or 127.0.0.1.`;
    case 'EAI_AGAIN':
      return `${where} (EAI_AGAIN): the name in ${hostSetting} could not be looked up (DNS did not answer); set it to an address, such as 0.0.0.0 (all) or 127.0.0.1.`;
    case 'EAFNOSUPPORT':
      return `${where} (EAFNOSUPPORT): this machine has no ${host.includes(':') ? 'IPv6' : 'such'} network; set ${hostSetting} to 0.0.0.0.`;
    default: {
      const message = cause instanceof Error ? cause.message : String(cause);
      const line = scrubSecrets(message.split('\n')[0] ?? '').trim() || 'no reason given';
      return `${where} (${line}): check ${hostSetting} and ${portSetting}.`;
    }
  }
}

/** A failure to listen, as a {@link ListenError}; an error that is not one (no system error code) as it is. */
export function listenFailure(error: unknown, target: ListenTarget): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  return typeof codeOf(error) === 'string' ? new ListenError(target, error) : error;
}

/** Marks errors from a platform's API where they come from (see {@link fromPlatform}). */
const SOURCE = Symbol.for('course-bot.platform');

/**
 * `error`, marked as coming from `platform`'s API: its line then names that platform's settings. Marked,
 * not wrapped, so that whoever looks at the error's type (a `DiscordAPIError`, a Slack error code) still
 * sees it.
 */
export function fromPlatform(platform: PlatformName, error: unknown): unknown {
  const marked = typeof error === 'object' && error !== null ? error : new Error(String(error));
  Object.defineProperty(marked, SOURCE, { value: platform, configurable: true });
  return marked;
}

function sourceOf(error: unknown): PlatformName | undefined {
  const source = typeof error === 'object' && error !== null ? (error as { [SOURCE]?: unknown })[SOURCE] : undefined;
  return source === 'discord' || source === 'slack' ? source : undefined;
}

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'];
const SLACK_REFUSALS = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'not_allowed_token_type'];

/** A recognised reason for an error from `platform`, or undefined. */
function knownReason(error: Error, platform: PlatformName): string | undefined {
  if (error instanceof ListenError) return error.message;
  const code = codeOf(error);
  if (platform === 'discord') {
    if (code === 'TokenInvalid') return 'Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).';
    if (error.name === 'HTTPError' || error.name === 'AbortError' || NETWORK_CODES.includes(String(code))) {
      return `Could not reach Discord (${scrubSecrets(error.message)}): check the network and DISCORD_API_URL.`;
    }
    return undefined;
  }
  const slackError = (error as { data?: { error?: string } }).data?.error;
  if (code === 'slack_webapi_platform_error' && SLACK_REFUSALS.includes(slackError ?? '')) {
    return `Slack refused the token (${slackError}): check SLACK_BOT_TOKEN and SLACK_APP_TOKEN (api.slack.com/apps → your app).`;
  }
  if (code === 'slack_webapi_request_error' || NETWORK_CODES.includes(String(code))) {
    return `Could not reach Slack (${scrubSecrets(error.message)}): check the network and SLACK_API_URL.`;
  }
  return undefined;
}

/** The first line of an error's message, secrets scrubbed. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return scrubSecrets(message.split('\n')[0] ?? '').trim() || 'no reason given';
}

/** The one line said about a platform that could not start: a known reason, else its error message. */
export function platformReason(error: unknown, platform: PlatformName): string {
  const known = error instanceof Error ? knownReason(error, platform) : undefined;
  return known ?? `${TITLES[platform]} could not start (${firstLine(error)}): check its settings in .env and the log above.`;
}

/**
 * The one line (one per platform) for a failure whose origin is known: a platform that could not start, a
 * server that could not listen, an error from a platform's API (marked where it came from, see
 * {@link fromPlatform}); undefined for anything else, whatever its error code says.
 */
export function platformFailure(error: unknown): string | undefined {
  if (error instanceof PlatformError || error instanceof ListenError) return error.message;
  const source = sourceOf(error);
  if (!source) return undefined;
  const known = error instanceof Error ? knownReason(error, source) : undefined;
  return known ?? `${TITLES[source]} answered with an error (${firstLine(error)}): check its settings in .env.`;
}
