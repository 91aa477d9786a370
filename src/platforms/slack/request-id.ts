/**
 * The id that makes a Slack request unique: the `trigger_id` of a slash command or an interaction, the
 * `event_id` of an event, else the Socket Mode envelope id. A replay, a retry (`X-Slack-Retry-Num`) or a
 * redelivered envelope carries the same one. Undefined when the request has none.
 */
export function requestId(body: unknown, envelopeId?: unknown): string | undefined {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const pick = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined);
  const trigger = pick(fields.trigger_id);
  if (trigger) return `trigger:${trigger}`;
  const event = pick(fields.event_id);
  if (event) return `event:${event}`;
  const envelope = pick(envelopeId);
  return envelope ? `envelope:${envelope}` : undefined;
}
