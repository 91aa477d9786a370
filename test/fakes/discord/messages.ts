import { type APIAttachment, type APIMessage, MessageFlags, MessageType } from 'discord-api-types/v10';
import type { Guilds } from './guilds.js';
import { ApiError, type Context, type RecordedFile, type StoredMessage, asList, asString, isoAt } from './model.js';
import { compareSnowflakes } from './snowflake.js';
import { FormErrors, isEmptyMessage, isRecord, validateMessage } from './validate.js';

const GUILD_MESSAGES_INTENT = 1 << 9;

function embedsOf(value: unknown): APIMessage['embeds'] {
  // Discord fills in the embed type.
  const embeds = (asList(value) ?? []).map((embed) => ({ type: 'rich', ...(isRecord(embed) ? embed : {}) }));
  return embeds as APIMessage['embeds'];
}

/** Messages per channel: creation (with `enforce_nonce`), edits, deletion, paging, and validation. */
export class Messages {
  readonly #byChannel = new Map<string, StoredMessage[]>();

  constructor(
    private readonly context: Context,
    private readonly guilds: Guilds,
    private readonly nonceWindowMs: number,
  ) {}

  /** A channel's messages, oldest first (the live list). */
  list(channelId: string): StoredMessage[] {
    let list = this.#byChannel.get(channelId);
    if (!list) {
      list = [];
      this.#byChannel.set(channelId, list);
    }
    return list;
  }

  /**
   * The message as Discord returns it: never `allowed_mentions`, and `nonce` only where Discord reliably sends it
   * (the create response and MESSAGE_CREATE), so a bot cannot come to depend on it elsewhere.
   */
  view(message: StoredMessage, withNonce = false): APIMessage {
    const { allowed_mentions: _allowed, ...rest } = message;
    if (!withNonce) delete rest.nonce;
    return rest;
  }

  /** Validates a message body; `create` also refuses an empty message. Returns the body as a record. */
  check(body: unknown, create: boolean, files: readonly RecordedFile[]): Record<string, unknown> {
    if (!isRecord(body)) {
      if (!create && body === undefined) return {};
      throw new ApiError(400, 50109, 'The request body contains invalid JSON.');
    }
    const errors = validateMessage(body);
    if (!errors.empty) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    if (create && isEmptyMessage(body, files.length)) throw new ApiError(400, 50006, 'Cannot send an empty message');
    return body;
  }

  #attachments(body: Record<string, unknown>, files: readonly RecordedFile[]): APIAttachment[] {
    const declared = asList(body.attachments) ?? [];
    return files.map((file, index) => {
      const id = this.context.nextId();
      const meta = declared.find((entry) => isRecord(entry) && String(entry.id) === String(index));
      const filename = (isRecord(meta) ? asString(meta.filename) : undefined) ?? file.name;
      const url = `${this.context.baseUrl()}/attachments/${id}/${filename}`;
      return { id, filename, size: file.size, url, proxy_url: url, content_type: file.contentType };
    });
  }

  /** A new message by the bot, not yet stored. */
  make(
    channelId: string,
    body: Record<string, unknown>,
    files: readonly RecordedFile[],
    extra: Partial<StoredMessage> = {},
  ): StoredMessage {
    const message: StoredMessage = {
      id: this.context.nextId(),
      channel_id: channelId,
      author: this.context.botUser,
      content: asString(body.content) ?? '',
      timestamp: isoAt(this.context.now()),
      edited_timestamp: null,
      tts: body.tts === true,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: this.#attachments(body, files),
      embeds: embedsOf(body.embeds),
      pinned: false,
      type: MessageType.Default,
      flags: typeof body.flags === 'number' ? body.flags : 0,
      components: (asList(body.components) ?? []) as APIMessage['components'],
      ...extra,
    };
    if (typeof body.nonce === 'string' || typeof body.nonce === 'number') message.nonce = body.nonce;
    if (isRecord(body.allowed_mentions)) message.allowed_mentions = body.allowed_mentions;
    return message;
  }

  /** Applies an edit: only the fields present change. */
  patch(message: StoredMessage, body: Record<string, unknown>, files: readonly RecordedFile[]): void {
    if ('content' in body) message.content = asString(body.content) ?? '';
    if ('embeds' in body) message.embeds = embedsOf(body.embeds);
    if ('components' in body) message.components = (asList(body.components) ?? []) as APIMessage['components'];
    if (isRecord(body.allowed_mentions)) message.allowed_mentions = body.allowed_mentions;
    if (typeof body.flags === 'number') {
      // Only these flags can change on an edit; ephemeral and loading belong to the message.
      const editable = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;
      message.flags = ((message.flags ?? 0) & ~editable) | (body.flags & editable);
    }
    if (files.length > 0 || 'attachments' in body) {
      const kept = (asList(body.attachments) ?? []).flatMap((entry) =>
        isRecord(entry) ? message.attachments.filter((attachment) => attachment.id === String(entry.id)) : [],
      );
      message.attachments = [...kept, ...this.#attachments(body, files)];
    }
  }

  /** Adds a message to its channel (if the fake knows the channel) and sends MESSAGE_CREATE to who asked for it. */
  store(message: StoredMessage): void {
    const channel = this.guilds.channels.get(message.channel_id);
    if (!channel) return;
    this.list(message.channel_id).push(message);
    channel.last_message_id = message.id;
    const guildId = this.guilds.guildIdOf(message.channel_id);
    const event = { ...this.view(message, true), ...(guildId === undefined ? {} : { guild_id: guildId }) };
    this.context.hooks.dispatch('MESSAGE_CREATE', event, GUILD_MESSAGES_INTENT);
  }

  unstore(message: StoredMessage): void {
    const list = this.list(message.channel_id);
    const index = list.indexOf(message);
    if (index >= 0) list.splice(index, 1);
  }

  /** POST /channels/{id}/messages. */
  create(channelId: string, rawBody: unknown, files: readonly RecordedFile[]): StoredMessage {
    this.guilds.channel(channelId);
    const body = this.check(rawBody, true, files);
    if (body.enforce_nonce === true && body.nonce !== undefined) {
      // Discord: with enforce_nonce, a repeated nonce from the same author within a few minutes returns the first
      // message instead of creating another.
      const since = this.context.now() - this.nonceWindowMs;
      const earlier = this.list(channelId).find(
        (message) =>
          message.nonce !== undefined &&
          String(message.nonce) === String(body.nonce) &&
          message.author.id === this.context.botUser.id &&
          Date.parse(message.timestamp) >= since,
      );
      if (earlier) return earlier;
    }
    const reference = isRecord(body.message_reference) ? body.message_reference : undefined;
    const extra: Partial<StoredMessage> = reference
      ? { type: MessageType.Reply, message_reference: reference as unknown as APIMessage['message_reference'] }
      : {};
    const message = this.make(channelId, body, files, extra);
    this.store(message);
    this.context.hooks.changed();
    return message;
  }

  /** GET /channels/{id}/messages/{id}. */
  get(channelId: string, messageId: string): StoredMessage {
    this.guilds.channel(channelId);
    const message = this.list(channelId).find((candidate) => candidate.id === messageId);
    if (!message) throw new ApiError(404, 10008, 'Unknown Message');
    return message;
  }

  /** PATCH /channels/{id}/messages/{id}. */
  edit(channelId: string, messageId: string, rawBody: unknown, files: readonly RecordedFile[]): StoredMessage {
    const message = this.get(channelId, messageId);
    if (message.author.id !== this.context.botUser.id) {
      throw new ApiError(403, 50005, 'Cannot edit a message authored by another user');
    }
    const body = this.check(rawBody, false, files);
    this.patch(message, body, files);
    message.edited_timestamp = isoAt(this.context.now());
    this.context.hooks.changed();
    return message;
  }

  /** DELETE /channels/{id}/messages/{id}. */
  delete(channelId: string, messageId: string): void {
    this.unstore(this.get(channelId, messageId));
    this.context.hooks.changed();
  }

  /** GET /channels/{id}/messages: newest first, `limit` 1–100 (default 50), one of `before`, `after`, `around`. */
  page(channelId: string, query: URLSearchParams): APIMessage[] {
    this.guilds.channel(channelId);
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? 50 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      const errors = new FormErrors();
      errors.add(['limit'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
      throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    }
    const ascending = [...this.list(channelId)].sort((a, b) => compareSnowflakes(a.id, b.id));
    const newerThan = (id: string) => (message: StoredMessage) => compareSnowflakes(message.id, id) > 0;
    const olderThan = (id: string) => (message: StoredMessage) => compareSnowflakes(message.id, id) < 0;
    const before = query.get('before');
    const after = query.get('after');
    const around = query.get('around');
    let picked: StoredMessage[];
    if (after !== null) {
      // The `limit` messages right after `after`.
      picked = ascending.filter(newerThan(after)).slice(0, limit);
    } else if (around !== null) {
      const half = Math.floor(limit / 2);
      const older = ascending.filter((message) => !newerThan(around)(message));
      picked = [...older.slice(-Math.max(limit - half, 1)), ...ascending.filter(newerThan(around)).slice(0, half)];
    } else {
      picked = (before === null ? ascending : ascending.filter(olderThan(before))).slice(-limit);
    }
    // Discord's list does not reliably carry nonces, so a bot must not rely on them here.
    return picked.reverse().map((message) => this.view(message));
  }
}
