import { webApi } from '@slack/bolt';
import { type Message, mapText } from '../../core/messages.js';
import { type FindOptions, type Messenger, type PostOptions, PostError } from '../../core/ports.js';
import { escapeText, renderMessage } from './render.js';

type WebClient = webApi.WebClient;

/** The `metadata.event_type` of every post the bot may need to find again; its payload holds the key. */
export const POST_EVENT_TYPE = 'course_bot_post';

export interface SlackMessengerOptions {
  /** A client that does not retry on its own: the announcer looks for an earlier attempt before posting again. */
  readonly client: WebClient;
  readonly channel: string;
  /** Where failures are reported (`SLACK_INSTRUCTOR_CHANNEL`). */
  readonly instructorChannel?: string;
  /** Names the bot's commands as they are registered (`/mlops-week`): `commandNamer`. */
  readonly nameCommands?: (text: string) => string;
}

/** Messages per page, and pages at most, when searching the channel for an earlier post of a key. */
const PAGE = 200;
const MAX_PAGES = 10;

/** Slack errors that may pass when tried again; anything else (no access, no channel, bad token) will not. */
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Whether trying again may help: rate limits, 5xx, lost connections may; Slack's own refusals may not. */
export function toPostError(error: unknown): PostError {
  if (error instanceof PostError) return error;
  const coded = error as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  const message = error instanceof Error ? error.message : String(error);
  switch (coded.code) {
    case webApi.ErrorCode.PlatformError:
      return new PostError(`Slack: ${coded.data?.error ?? message}`, TRANSIENT.has(coded.data?.error ?? ''));
    case webApi.ErrorCode.HTTPError:
      return new PostError(`Slack HTTP ${coded.statusCode ?? '?'}: ${message}`, (coded.statusCode ?? 500) >= 500 || coded.statusCode === 429);
    default:
      return new PostError(message, true);
  }
}

/** The key in a message's metadata payload (typed `{}` by the Web API client). */
function keyOf(payload: object | undefined): unknown {
  return payload && 'key' in payload ? payload.key : undefined;
}

/**
 * Posts announcements to one Slack channel. Slack has no nonce: every post carries its key in the
 * message `metadata`, and `findPosted` searches the channel's history for it.
 */
export class SlackMessenger implements Messenger {
  readonly target: string;
  readonly #options: SlackMessengerOptions;

  constructor(options: SlackMessengerOptions) {
    this.#options = options;
    this.target = `slack:${options.channel}`;
  }

  #render(message: Message, key: string) {
    const { nameCommands } = this.#options;
    return renderMessage(nameCommands ? mapText(message, nameCommands) : message, { marker: key });
  }

  async post(message: Message, options: PostOptions): Promise<{ id: string }> {
    const rendered = this.#render(message, options.key);
    try {
      const result = await this.#options.client.chat.postMessage({
        channel: this.#options.channel,
        text: rendered.text,
        blocks: rendered.blocks,
        metadata: { event_type: POST_EVENT_TYPE, event_payload: { key: options.key } },
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!result.ts) throw new PostError('Slack answered without a message ts', true);
      return { id: result.ts };
    } catch (error) {
      throw toPostError(error);
    }
  }

  async edit(id: string, message: Message, options: Omit<PostOptions, 'nonce'>): Promise<void> {
    const rendered = this.#render(message, options.key);
    try {
      await this.#options.client.chat.update({
        channel: this.#options.channel,
        ts: id,
        text: rendered.text,
        blocks: rendered.blocks,
        metadata: { event_type: POST_EVENT_TYPE, event_payload: { key: options.key } },
      });
    } catch (error) {
      throw toPostError(error);
    }
  }

  /** Searches the channel's history (from `since`, else the latest page) for the post carrying `key` in its metadata. */
  async findPosted(key: string, options: FindOptions = {}): Promise<{ id: string } | undefined> {
    try {
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const result = await this.#options.client.conversations.history({
          channel: this.#options.channel,
          limit: PAGE,
          include_all_metadata: true,
          ...(options.since && { oldest: (options.since.getTime() / 1000).toFixed(6) }),
          ...(cursor && { cursor }),
        });
        const found = result.messages?.find(
          (candidate) => candidate.metadata?.event_type === POST_EVENT_TYPE && keyOf(candidate.metadata.event_payload) === key,
        );
        if (found?.ts) return { id: found.ts };
        cursor = result.response_metadata?.next_cursor || undefined;
        if (!options.since || !cursor) return undefined;
      }
      throw new PostError(`more than ${PAGE * MAX_PAGES} messages since the claim; not sure whether it was posted`, false);
    } catch (error) {
      throw toPostError(error);
    }
  }

  async report(text: string): Promise<void> {
    if (!this.#options.instructorChannel) return;
    await this.#options.client.chat.postMessage({ channel: this.#options.instructorChannel, text: escapeText(text), unfurl_links: false });
  }
}
