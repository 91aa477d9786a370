import { type APIChannel, type APIMessage, DiscordAPIError, type REST, Routes } from 'discord.js';
import type { Message } from '../../core/messages.js';
import { type DirectMessenger, type DirectOptions, RecipientError } from '../../core/reminders.js';
import type { ReminderBook } from '../../store/reminders.js';
import { DiscordMessenger, toPostError } from './messenger.js';
import { renderMessage } from './render.js';

export interface DiscordDirectOptions {
  readonly rest: REST;
  /** Where DM channel ids are cached, and read back. */
  readonly book: ReminderBook;
  /** The server whose members get reminders: a refused DM is checked against its member list. */
  readonly guildId?: string;
  readonly botUserId?: string;
}

// Discord's JSON error codes.
const CANNOT_DM = 50007;
const UNKNOWN_MEMBER = 10007;
const UNKNOWN_USER = 10013;
const UNKNOWN_CHANNEL = 10003;

function codeOf(error: unknown): number | string | undefined {
  return error instanceof DiscordAPIError ? error.code : undefined;
}

/**
 * Direct messages on Discord: the DM channel is opened once (`POST /users/@me/channels`, a request that
 * counts against the rate limit) and its id cached in the store. Every request goes through discord.js's
 * REST queue, which keeps to Discord's global and per-route limits.
 */
export class DiscordDirectMessenger implements DirectMessenger {
  readonly platform = 'discord';
  readonly #options: DiscordDirectOptions;

  constructor(options: DiscordDirectOptions) {
    this.#options = options;
  }

  async send(userId: string, message: Message, options: DirectOptions): Promise<{ id: string }> {
    // The key names the user: the nonce is the marker the DM is found by again.
    const payload = renderMessage(message, { marker: options.nonce });
    const body = { embeds: payload.embeds, components: payload.components, allowed_mentions: { parse: [] }, nonce: options.nonce, enforce_nonce: true };
    for (let attempt = 0; ; attempt += 1) {
      const channelId = await this.#channel(userId, options.signal);
      try {
        const created = (await this.#options.rest.post(Routes.channelMessages(channelId), { body, ...(options.signal && { signal: options.signal }) })) as APIMessage;
        return { id: created.id };
      } catch (error) {
        if (codeOf(error) === UNKNOWN_CHANNEL && attempt === 0) {
          // A cached DM channel that is gone: open a new one.
          this.#options.book.forgetDmChannel(this.platform, userId);
          continue;
        }
        throw await this.#refusal(error, userId, options.signal);
      }
    }
  }

  async findSent(userId: string, options: DirectOptions & { readonly since?: Date }): Promise<{ id: string } | undefined> {
    const channelId = this.#options.book.dmChannel(this.platform, userId);
    // No DM channel was ever opened for them, so nothing was sent.
    if (!channelId) return undefined;
    const channel = new DiscordMessenger({ rest: this.#options.rest, channelId, ...(this.#options.botUserId && { botUserId: this.#options.botUserId }) });
    return channel.findPosted(options.nonce, { ...(options.since && { since: options.since }), ...(options.signal && { signal: options.signal }) });
  }

  async #channel(userId: string, signal: AbortSignal | undefined): Promise<string> {
    const cached = this.#options.book.dmChannel(this.platform, userId);
    if (cached) return cached;
    try {
      const channel = (await this.#options.rest.post(Routes.userChannels(), { body: { recipient_id: userId }, ...(signal && { signal }) })) as APIChannel;
      this.#options.book.rememberDmChannel(this.platform, userId, channel.id);
      return channel.id;
    } catch (error) {
      throw await this.#refusal(error, userId, signal);
    }
  }

  /** What a refused request means: DMs closed, the user gone (asked of the member list), or a post error. */
  async #refusal(error: unknown, userId: string, signal: AbortSignal | undefined): Promise<Error> {
    const code = codeOf(error);
    if (code === UNKNOWN_USER) return new RecipientError('gone', 'the user no longer exists');
    if (code !== CANNOT_DM) return toPostError(error);
    // Discord refuses DMs both to members who closed them and to users who share no server with the bot.
    if (this.#options.guildId) {
      try {
        await this.#options.rest.get(Routes.guildMember(this.#options.guildId, userId), { ...(signal && { signal }) });
      } catch (lookup) {
        if (codeOf(lookup) === UNKNOWN_MEMBER) return new RecipientError('gone', 'the user left the server');
      }
    }
    return new RecipientError('closed', 'the user does not accept direct messages');
  }
}
