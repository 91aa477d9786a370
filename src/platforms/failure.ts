/** A one-line reason for a failure to reach or log in to a platform, or undefined for anything else. */
export function platformFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  if (code === 'TokenInvalid') return 'Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).';
  const slackError = (error as { data?: { error?: string } }).data?.error;
  if (code === 'slack_webapi_platform_error' && ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked'].includes(slackError ?? '')) {
    return `Slack refused the token (${slackError}): check SLACK_BOT_TOKEN and SLACK_APP_TOKEN (api.slack.com/apps → your app).`;
  }
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return `Cannot listen on that port (${String(code)}): check HTTP_PORT, SLACK_PORT and HTTP_HOST/SLACK_HOST.`;
  }
  if (code === 'slack_webapi_request_error') return `Could not reach Slack (${error.message}): check the network and SLACK_API_URL.`;
  if (error.name === 'HTTPError' || error.name === 'AbortError' || ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET'].includes(String(code))) {
    return `Could not reach Discord (${error.message}): check the network and DISCORD_API_URL.`;
  }
  return undefined;
}
