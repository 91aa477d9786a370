import { type APIMessage, DiscordAPIError, type REST, Routes } from 'discord.js';
import type { Message } from '../../core/messages.js';
import { type Messenger, type PostOptions, PostError } from '../../core/ports.js';
import { cut, LIMITS, renderMessage } from './render.js';

export interface DiscordMessengerOptions {
  readonly rest: REST;
  readonly channelId: string;
  /** The bot's user id: only its own messages count when looking for a post. */
  readonly botUserId?: string;
  /** The one role announcements mention (`DISCORD_ANNOUNCE_ROLE_ID`). */
  readonly mentionRoleId?: string;
  /** Where failures are reported (`DISCORD_INSTRUCTOR_CHANNEL_ID`). */
  readonly instructorChannelId?: string;
}

/** How many recent messages are searched for an earlier post of a key. */
const RECENT = 50;

/** Whether trying again may help: rate limits, server errors, timeouts and lost connections may; 4xx may not. */
export function toPostError(error: unknown): PostError {
  if (error instanceof PostError) return error;
  if (error instanceof DiscordAPIError) {
    return new PostError(`Discord ${error.status} ${error.code}: ${error.message}`, error.status === 429 || error.status >= 500);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PostError(message, true);
}

/** Posts announcements to one Discord channel through the REST API. */
export class DiscordMessenger implements Messenger {
  readonly target: string;
  readonly #options: DiscordMessengerOptions;

  constructor(options: DiscordMessengerOptions) {
    this.#options = options;
    this.target = `discord:${options.channelId}`;
  }

  async post(message: Message, options: PostOptions): Promise<{ id: string }> {
    const role = options.mention ? this.#options.mentionRoleId : undefined;
    const payload = renderMessage(message, {
      marker: options.key,
      ...(role && { content: `<@&${role}>`, mentionRole: role }),
    });
    const body = {
      ...(payload.content && { content: payload.content }),
      embeds: payload.embeds,
      components: payload.components,
      allowed_mentions: payload.allowedMentions,
      // Discord drops a second message with the same nonce in this channel for a few minutes.
      nonce: options.nonce,
      enforce_nonce: true,
    };
    try {
      const created = (await this.#options.rest.post(Routes.channelMessages(this.#options.channelId), { body })) as APIMessage;
      return { id: created.id };
    } catch (error) {
      throw toPostError(error);
    }
  }

  async findPosted(key: string): Promise<{ id: string } | undefined> {
    try {
      const recent = (await this.#options.rest.get(Routes.channelMessages(this.#options.channelId), {
        query: new URLSearchParams({ limit: String(RECENT) }),
      })) as APIMessage[];
      // Listed messages do not reliably carry the nonce: the key in the embed footer is the marker.
      const found = recent.find(
        (candidate) =>
          (!this.#options.botUserId || candidate.author.id === this.#options.botUserId) &&
          candidate.embeds.some((embed) => embed.footer?.text.split(' · ').includes(key)),
      );
      return found && { id: found.id };
    } catch (error) {
      throw toPostError(error);
    }
  }

  async report(text: string): Promise<void> {
    if (!this.#options.instructorChannelId) return;
    await this.#options.rest.post(Routes.channelMessages(this.#options.instructorChannelId), {
      body: { content: cut(text, LIMITS.content), allowed_mentions: { parse: [] } },
    });
  }
}
