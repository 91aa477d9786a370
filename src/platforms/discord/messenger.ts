import { type APIMessage, DiscordAPIError, type REST, Routes } from 'discord.js';
import type { Message } from '../../core/messages.js';
import { type FindOptions, type Messenger, type PostOptions, PostError } from '../../core/ports.js';
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

/** Messages per page, and pages at most, when searching for an earlier post of a key. */
const PAGE = 100;
const MAX_PAGES = 10;
const DISCORD_EPOCH = 1_420_070_400_000n;

/** The smallest Discord id of a message created at `instant`: the start of a search with `after`. */
export function snowflakeAt(instant: Date): string {
  const ms = BigInt(Math.max(instant.getTime(), Number(DISCORD_EPOCH)));
  return ((ms - DISCORD_EPOCH) << 22n).toString();
}

/** Whether trying again may help: rate limits, server errors, timeouts and lost connections may; 4xx may not. */
export function toPostError(error: unknown): PostError {
  if (error instanceof PostError) return error;
  if (error instanceof DiscordAPIError) {
    return new PostError(`Discord ${error.status} ${error.code}: ${error.message}`, error.status === 429 || error.status >= 500);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PostError(message, true);
}

/** A plain text notice in a channel (instructors' reports): cut to Discord's limit, pinging nobody. */
export async function postNotice(rest: REST, channelId: string, text: string): Promise<void> {
  await rest.post(Routes.channelMessages(channelId), {
    body: { content: cut(text, LIMITS.content), allowed_mentions: { parse: [] } },
  });
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
      const created = (await this.#options.rest.post(Routes.channelMessages(this.#options.channelId), {
        body,
        ...(options.signal && { signal: options.signal }),
      })) as APIMessage;
      return { id: created.id };
    } catch (error) {
      throw toPostError(error);
    }
  }

  /** Edits an announcement in place; the role stays written but is not pinged again. */
  async edit(id: string, message: Message, options: Omit<PostOptions, 'nonce'>): Promise<void> {
    const role = options.mention ? this.#options.mentionRoleId : undefined;
    const payload = renderMessage(message, { marker: options.key, ...(role && { content: `<@&${role}>` }) });
    try {
      await this.#options.rest.patch(Routes.channelMessage(this.#options.channelId, id), {
        body: {
          ...(payload.content && { content: payload.content }),
          embeds: payload.embeds,
          components: payload.components,
          allowed_mentions: { parse: [] },
        },
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      throw toPostError(error);
    }
  }

  /**
   * Searches the channel for the post of `key`, page by page from `since` (else the latest 100).
   * Listed messages do not reliably carry the nonce: the key in the embed footer is the marker.
   */
  async findPosted(key: string, options: FindOptions = {}): Promise<{ id: string } | undefined> {
    const mine = (candidate: APIMessage) =>
      (!this.#options.botUserId || candidate.author.id === this.#options.botUserId) &&
      candidate.embeds.some((embed) => embed.footer?.text.split(' · ').includes(key));
    try {
      let after = options.since ? snowflakeAt(options.since) : undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const query = new URLSearchParams({ limit: String(PAGE), ...(after && { after }) });
        const messages = (await this.#options.rest.get(Routes.channelMessages(this.#options.channelId), {
          query,
          ...(options.signal && { signal: options.signal }),
        })) as APIMessage[];
        const found = messages.find(mine);
        if (found) return { id: found.id };
        if (!after || messages.length < PAGE) return undefined;
        // Newest first: the next page starts after the newest message of this one.
        after = messages.reduce((max, message) => (BigInt(message.id) > BigInt(max) ? message.id : max), after);
      }
      throw new PostError(`more than ${PAGE * MAX_PAGES} messages since the claim; not sure whether it was posted`, false);
    } catch (error) {
      throw toPostError(error);
    }
  }

  async report(text: string): Promise<void> {
    if (!this.#options.instructorChannelId) return;
    await postNotice(this.#options.rest, this.#options.instructorChannelId, text);
  }
}
