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

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'];
const SLACK_REFUSALS = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'not_allowed_token_type'];

/** A recognised reason, or undefined; `platform` decides whose network "could not reach" means. */
function knownReason(error: Error, platform: PlatformName | undefined): string | undefined {
  const code = codeOf(error);
  if (code === 'TokenInvalid') return 'Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).';
  const slackError = (error as { data?: { error?: string } }).data?.error;
  if (code === 'slack_webapi_platform_error' && SLACK_REFUSALS.includes(slackError ?? '')) {
    return `Slack refused the token (${slackError}): check SLACK_BOT_TOKEN and SLACK_APP_TOKEN (api.slack.com/apps → your app).`;
  }
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return `Cannot listen on that port (${String(code)}): check HTTP_PORT, SLACK_PORT and HTTP_HOST/SLACK_HOST.`;
  }
  if (code === 'slack_webapi_request_error' || (platform === 'slack' && NETWORK_CODES.includes(String(code)))) {
    return `Could not reach Slack (${scrubSecrets(error.message)}): check the network and SLACK_API_URL.`;
  }
  if (
    platform !== 'slack' &&
    (error.name === 'HTTPError' || error.name === 'AbortError' || NETWORK_CODES.includes(String(code)))
  ) {
    return `Could not reach Discord (${scrubSecrets(error.message)}): check the network and DISCORD_API_URL.`;
  }
  return undefined;
}

/** The one line said about a platform that could not start: a known reason, else its error message. */
export function platformReason(error: unknown, platform: PlatformName): string {
  const known = error instanceof Error ? knownReason(error, platform) : undefined;
  if (known) return known;
  const message = error instanceof Error ? error.message : String(error);
  const line = scrubSecrets(message.split('\n')[0] ?? '').trim() || 'no reason given';
  return `${TITLES[platform]} could not start (${line}): check its settings in .env and the log above.`;
}

/**
 * The reason (one line per platform) for a failure to reach or log in to a platform, or undefined for
 * anything else.
 */
export function platformFailure(error: unknown): string | undefined {
  if (error instanceof PlatformError) return error.message;
  if (!(error instanceof Error)) return undefined;
  return knownReason(error, undefined);
}
