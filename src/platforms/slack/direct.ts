import { webApi } from '@slack/bolt';
import { type Message, mapText } from '../../core/messages.js';
import { PostError } from '../../core/ports.js';
import { type DirectMessenger, type DirectOptions, RecipientError } from '../../core/reminders.js';
import type { ReminderBook } from '../../store/reminders.js';
import { POST_EVENT_TYPE, SlackMessenger, toPostError } from './messenger.js';
import { renderMessage } from './render.js';

type WebClient = webApi.WebClient;

export interface SlackDirectOptions {
  readonly client: WebClient;
  /** Where DM channel ids are cached, and read back. */
  readonly book: ReminderBook;
  /** Names the bot's commands as they are registered (`/mlops-remind`): `commandNamer`. */
  readonly nameCommands?: (text: string) => string;
}

/** Slack errors meaning the user does not take DMs from the bot. */
const CLOSED = new Set(['cannot_dm_bot', 'channel_not_found', 'messages_tab_disabled']);
/** Slack errors meaning the user is gone from the workspace. */
const GONE = new Set(['user_not_found', 'account_inactive', 'user_disabled']);

function slackError(error: unknown): string | undefined {
  const coded = error as { code?: string; data?: { error?: string } };
  return coded.code === webApi.ErrorCode.PlatformError ? coded.data?.error : undefined;
}

function refusal(error: unknown): Error {
  const code = slackError(error);
  if (code && CLOSED.has(code)) return new RecipientError('closed', `Slack: ${code}`);
  if (code && GONE.has(code)) return new RecipientError('gone', `Slack: ${code}`);
  return toPostError(error);
}

/**
 * Direct messages on Slack: `conversations.open` once per user (the channel id cached in the store), then
 * `chat.postMessage` with the reminder's nonce in the metadata, so that it can be found again.
 */
export class SlackDirectMessenger implements DirectMessenger {
  readonly platform = 'slack';
  readonly #options: SlackDirectOptions;

  constructor(options: SlackDirectOptions) {
    this.#options = options;
  }

  async send(userId: string, message: Message, options: DirectOptions): Promise<{ id: string }> {
    const channel = await this.#channel(userId);
    const { nameCommands } = this.#options;
    const rendered = renderMessage(nameCommands ? mapText(message, nameCommands) : message, { marker: options.nonce });
    try {
      const result = await this.#options.client.chat.postMessage({
        channel,
        text: rendered.text,
        blocks: rendered.blocks,
        metadata: { event_type: POST_EVENT_TYPE, event_payload: { key: options.nonce } },
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!result.ts) throw new PostError('Slack answered without a message ts', true);
      return { id: result.ts };
    } catch (error) {
      throw refusal(error);
    }
  }

  async findSent(userId: string, options: DirectOptions & { readonly since?: Date }): Promise<{ id: string } | undefined> {
    const channel = this.#options.book.dmChannel(this.platform, userId);
    if (!channel) return undefined;
    return new SlackMessenger({ client: this.#options.client, channel }).findPosted(options.nonce, {
      ...(options.since && { since: options.since }),
      ...(options.signal && { signal: options.signal }),
    });
  }

  async #channel(userId: string): Promise<string> {
    const cached = this.#options.book.dmChannel(this.platform, userId);
    if (cached) return cached;
    try {
      const opened = await this.#options.client.conversations.open({ users: userId });
      const id = opened.channel?.id;
      if (!id) throw new PostError('Slack opened a DM without a channel id', true);
      this.#options.book.rememberDmChannel(this.platform, userId, id);
      return id;
    } catch (error) {
      throw refusal(error);
    }
  }
}
