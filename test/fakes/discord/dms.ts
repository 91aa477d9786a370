import { type APIDMChannel, type APIGuildMember, type APIUser, ChannelType, type UserFlags } from 'discord-api-types/v10';
import type { Guilds } from './guilds.js';
import { ApiError, type Reply } from './model.js';
import { FormErrors, isRecord } from './validate.js';

/**
 * Direct messages as Discord has them for a bot: `POST /users/@me/channels` opens (or returns) the DM channel with
 * a user; posting there is refused with 50007 when the user closed DMs or shares no server with the bot any more;
 * `GET /guilds/{id}/members/{user}` says 10007 (Unknown Member) for a user who left. Any other user id is a member.
 */
export class DirectMessages {
  /** Users who do not accept DMs from server members. */
  readonly closed = new Set<string>();
  /** Users who left every server the bot is in. */
  readonly left = new Set<string>();
  /** DM channels opened through the API, by user id. */
  readonly opened = new Map<string, string>();

  constructor(private readonly guilds: Guilds) {}

  /** POST /users/@me/channels `{ recipient_id }`. */
  open(body: unknown): APIDMChannel {
    const recipient = isRecord(body) ? body.recipient_id : undefined;
    if (typeof recipient !== 'string' || !/^\d{17,20}$/.test(recipient)) {
      const errors = new FormErrors();
      errors.add(['recipient_id'], 'NUMBER_TYPE_COERCE', `Value "${String(recipient)}" is not snowflake.`);
      throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    }
    const user: APIUser = {
      id: recipient,
      username: `user${recipient.slice(-4)}`,
      discriminator: '0',
      global_name: null,
      avatar: null,
      public_flags: 0 as UserFlags,
    };
    const channel = this.guilds.dmChannel(user);
    this.opened.set(recipient, channel.id);
    return channel;
  }

  /** Throws Discord's 50007 when a post to this channel (a DM) cannot reach its user. */
  checkSend(channelId: string): void {
    const channel = this.guilds.channels.get(channelId);
    if (channel?.type !== ChannelType.DM) return;
    const user = channel.recipients?.[0]?.id;
    if (user !== undefined && (this.closed.has(user) || this.left.has(user))) {
      throw new ApiError(403, 50007, 'Cannot send messages to this user');
    }
  }

  /** GET /guilds/{guild}/members/{user}. */
  member(guildId: string, userId: string): APIGuildMember {
    this.guilds.guild(guildId);
    if (this.left.has(userId)) throw new ApiError(404, 10007, 'Unknown Member');
    return {
      user: { id: userId, username: `user${userId.slice(-4)}`, discriminator: '0', global_name: null, avatar: null },
      roles: [],
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0 as APIGuildMember['flags'],
    };
  }
}

/**
 * Discord's global rate limit: `perSecond` requests a second for a bot token, over all routes but interaction
 * responses. Beyond it: 429 with `global: true`, the precise `retry_after` in seconds in the body, and, as Discord
 * sends them, `Retry-After` in whole seconds and `X-RateLimit-Global`. Counted as the requests *arrive*, in a
 * window of one second that opens with the first request after the last window closed: Discord sees arrivals, not
 * when a client sent them, so a client whose own window starts when it sends (discord.js's) is a few milliseconds
 * to a few hundred (its burst's travel and queueing) out of step with it. Discord does not document its
 * algorithm; observed clients (discord/discord-api-docs#5144) meet the same 429s with a send-time window.
 */
export class GlobalRateLimit {
  /** Requests answered 429 by this limit. */
  limited = 0;
  #windowStart = -Infinity;
  #count = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  /** A 429 reply when this request is over the limit, else undefined (and it is counted). */
  take(): Reply | undefined {
    const now = this.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#count = 0;
    }
    if (this.#count < this.perSecond) {
      this.#count += 1;
      return undefined;
    }
    this.limited += 1;
    const retryAfter = Math.max(this.#windowStart + 1000 - now, 1) / 1000;
    return {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: retryAfter, global: true },
      headers: { 'retry-after': String(Math.ceil(retryAfter)), 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
    };
  }
}
