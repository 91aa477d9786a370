/** A channel the fake serves. The bot is a member unless `botIsMember` is false. */
export interface FakeChannelSpec {
  readonly id: string;
  readonly name: string;
  /** Default true. When false, posting answers `not_in_channel`, as for a bot that was never invited. */
  readonly botIsMember?: boolean;
  /** User ids in the channel (the bot aside). Default: every user. */
  readonly members?: readonly string[];
}

/** A human in the workspace. */
export interface FakeUserSpec {
  readonly id: string;
  readonly name: string;
  readonly realName?: string;
  /** IANA zone, as `users.info` reports it. Default `Europe/Berlin`. */
  readonly tz?: string;
}

/** Slack message metadata, as `chat.postMessage` takes it and `include_all_metadata` returns it. */
export interface MessageMetadata {
  readonly event_type: string;
  readonly event_payload: Record<string, unknown>;
}

/** A message as Slack stores it (and `conversations.history` returns it, `metadata` only when asked for). */
export interface StoredMessage {
  type: 'message';
  ts: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  text: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
  thread_ts?: string;
  edited?: { user: string; ts: string };
}

/** A message as recorded by the fake: the stored message plus where it lives and how it got there. */
export interface RecordedMessage extends StoredMessage {
  readonly channel: string;
  /** `chat.postMessage`, or `response_url` / `ack` for an in_channel slash command response. */
  readonly via: 'chat.postMessage' | 'response_url' | 'ack';
  /** The unfurl and parse flags as sent (`unfurl_links`, `unfurl_media`, `mrkdwn`, `parse`, `link_names`). */
  readonly flags: Readonly<Record<string, boolean | string>>;
}

/** A `chat.postEphemeral` that Slack accepted. */
export interface RecordedEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly message_ts: string;
  readonly text: string;
  readonly blocks?: unknown[];
  readonly thread_ts?: string;
}

/** One Web API call as the fake received it. The token itself is never recorded, only what kind it was. */
export interface RecordedCall {
  readonly method: string;
  /** Query and body parameters; `blocks`, `attachments` and `metadata` JSON-decoded when they are strings. */
  readonly body: Record<string, unknown>;
  readonly encoding: 'form' | 'json' | 'multipart' | 'none';
  readonly tokenType: 'bot' | 'app' | 'unknown' | 'none';
  readonly at: number;
  /** What the fake answered: `{ ok: true }` or `{ ok: false, error }`; absent when no answer was sent. */
  result?: { readonly ok: boolean; readonly error?: string };
  /** HTTP status sent; absent when the connection was destroyed. */
  status?: number;
  /** The fault that was applied, if any. */
  fault?: string;
}

/** A slash command response: a POST to the response URL, or an ack over Socket Mode that carried a message. */
export interface RecordedResponse {
  /** The response URL's id (its last path segment). */
  readonly responseId: string;
  readonly via: 'response_url' | 'ack';
  readonly command: string;
  readonly channel: string;
  readonly user: string;
  /** The JSON body as sent: text, blocks, response_type, replace_original, delete_original … */
  readonly body: Record<string, unknown>;
  readonly at: number;
  /** The `ts` of the channel message it created or replaced (in_channel responses only). */
  readonly ts?: string;
}

/** Thrown by a Web API handler: answered as `{ ok: false, error, ...extra }`. */
export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}
