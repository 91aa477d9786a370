import { randomBytes } from 'node:crypto';
import {
  type APIInteraction,
  type APIInteractionGuildMember,
  type APIInteractionResponse,
  type APIMessage,
  type APIUser,
  ApplicationCommandType,
  ChannelType,
  type GuildMemberFlags,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  type UserFlags,
} from 'discord-api-types/v10';
import type { InteractionInput } from './builders.js';
import type { Commands } from './commands.js';
import { BOT_PERMISSIONS, type Guilds } from './guilds.js';
import type { Messages } from './messages.js';
import { ApiError, type Context, type RecordedFile, type Reply, type StoredMessage, isoAt } from './model.js';
import { FormErrors, isRecord, validateAutocomplete } from './validate.js';

// Discord: an interaction token lets the app edit its response and send follow-ups for 15 minutes.
const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;

/** The acting user when a test does not say. */
export const DEFAULT_ACTOR = { id: '1300000000000000001', username: 'student', globalName: 'Student' } as const;

/** Which callback types Discord accepts for which interaction type. */
const ALLOWED_CALLBACKS: Readonly<Record<InteractionType, readonly InteractionResponseType[]>> = {
  [InteractionType.Ping]: [InteractionResponseType.Pong],
  [InteractionType.ApplicationCommand]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.Modal,
    InteractionResponseType.LaunchActivity,
  ],
  [InteractionType.MessageComponent]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
    InteractionResponseType.Modal,
  ],
  [InteractionType.ApplicationCommandAutocomplete]: [InteractionResponseType.ApplicationCommandAutocompleteResult],
  [InteractionType.ModalSubmit]: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
  ],
};

interface InteractionRecord {
  readonly interaction: APIInteraction;
  readonly createdAt: number;
  acknowledged: boolean;
}

function hasFlag(message: APIMessage, flag: MessageFlags): boolean {
  return ((message.flags ?? 0) & flag) !== 0;
}

function invalid(path: string, code: string, message: string): ApiError {
  const errors = new FormErrors();
  errors.add([path], code, message);
  return new ApiError(400, 50035, 'Invalid Form Body', errors);
}

/**
 * Interactions: building what Discord dispatches, the callback (once, within the window, with the right token),
 * the original response and follow-ups through the interaction webhook.
 */
export class Interactions {
  readonly #records = new Map<string, InteractionRecord>();
  /** Accepted callbacks by interaction id. */
  readonly callbacks = new Map<string, APIInteractionResponse[]>();
  /** Original responses by interaction id. */
  readonly originals = new Map<string, StoredMessage>();
  /** Follow-up messages by interaction id. */
  readonly followUps = new Map<string, StoredMessage[]>();

  constructor(
    private readonly context: Context,
    private readonly guilds: Guilds,
    private readonly messages: Messages,
    private readonly commands: Commands,
    private readonly callbackWindowMs: number,
  ) {}

  /** Fills in everything Discord sends with an interaction, and registers it for its callback. */
  build(input: InteractionInput): APIInteraction {
    const { actor = {}, dm = false, data: rawData, ...raw } = input;
    const user: APIUser = {
      id: actor.id ?? DEFAULT_ACTOR.id,
      username: actor.username ?? DEFAULT_ACTOR.username,
      global_name: actor.globalName === undefined ? DEFAULT_ACTOR.globalName : actor.globalName,
      discriminator: '0',
      avatar: null,
      public_flags: 0 as UserFlags,
      ...(raw.user ?? raw.member?.user ?? {}),
    };
    const id = raw.id ?? this.context.nextId();
    const guildId = dm ? undefined : (raw.guild_id ?? this.guilds.defaultGuildId());
    const data = this.#data(raw.type, rawData, guildId);
    const base = {
      id,
      application_id: this.context.applicationId,
      type: raw.type,
      // Shaped like Discord's: base64 of "interaction:<id>", a colon, then random.
      token: raw.token ?? `aW50ZXJhY3Rpb246${id}:${randomBytes(24).toString('base64url')}`,
      version: 1,
      app_permissions: BOT_PERMISSIONS,
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: 10_485_760,
      ...(data === undefined ? {} : { data }),
    };
    let interaction: Record<string, unknown>;
    if (guildId === undefined) {
      const channel = raw.channel ?? this.guilds.dmChannel(user);
      interaction = {
        ...base,
        user,
        channel,
        channel_id: channel.id,
        context: InteractionContextType.BotDM,
        // Discord: in a DM with a guild-installed app, the guild install's key holds "0".
        authorizing_integration_owners: { '0': '0' },
        ...raw,
      };
    } else {
      const channelId = raw.channel_id ?? raw.channel?.id ?? this.guilds.guilds.get(guildId)?.channelIds[0];
      if (channelId === undefined) throw new Error(`interact: guild ${guildId} has no channel; pass channel_id`);
      const channel = raw.channel ??
        this.guilds.channels.get(channelId) ?? { id: channelId, type: ChannelType.GuildText, guild_id: guildId };
      const member: APIInteractionGuildMember = {
        user,
        nick: actor.nick ?? null,
        avatar: null,
        banner: null,
        roles: [...(actor.roles ?? [])],
        joined_at: isoAt(this.context.now()),
        premium_since: null,
        deaf: false,
        mute: false,
        flags: 0 as GuildMemberFlags,
        pending: false,
        communication_disabled_until: null,
        permissions: String(actor.permissions ?? '0'),
        ...(raw.member ?? {}),
      };
      interaction = {
        ...base,
        guild_id: guildId,
        guild: { id: guildId, locale: 'en-US', features: [] },
        guild_locale: 'en-US',
        channel,
        channel_id: channelId,
        member,
        context: InteractionContextType.Guild,
        authorizing_integration_owners: { '0': guildId },
        ...raw,
      };
      // A guild interaction carries `member`, never `user`.
      delete interaction.user;
    }
    const full = interaction as unknown as APIInteraction;
    this.#records.set(full.id, { interaction: full, createdAt: this.context.now(), acknowledged: false });
    return full;
  }

  /** Command data gets its type and the registered command's id (and guild), as Discord sends them. */
  #data(type: InteractionType, data: InteractionInput['data'], guildId: string | undefined): unknown {
    if (data === undefined) return undefined;
    const copy: Record<string, unknown> = { ...data };
    if (type === InteractionType.ApplicationCommand || type === InteractionType.ApplicationCommandAutocomplete) {
      copy.type ??= ApplicationCommandType.ChatInput;
      if (copy.id === undefined) {
        const registered = this.commands.find(copy.name, copy.type, guildId);
        copy.id = registered?.id ?? this.context.nextId();
        if (registered?.guild_id !== undefined) copy.guild_id = registered.guild_id;
      }
    }
    return copy;
  }

  #messageTypeFor(interaction: APIInteraction): MessageType {
    if (interaction.type !== InteractionType.ApplicationCommand) return MessageType.Default;
    // A malformed interaction a test sent (no data) still gets an answer recorded.
    return (interaction.data as { type?: unknown } | undefined)?.type === ApplicationCommandType.ChatInput
      ? MessageType.ChatInputCommand
      : MessageType.ContextMenuCommand;
  }

  /** A message sent through the interaction; stored in its channel unless ephemeral. */
  #respond(
    record: InteractionRecord,
    body: Record<string, unknown>,
    files: readonly RecordedFile[],
    flags = 0,
  ): StoredMessage {
    const { interaction } = record;
    const user = interaction.member?.user ?? interaction.user;
    const channelId = interaction.channel?.id ?? interaction.channel_id ?? '0';
    const metadata = user && {
      id: interaction.id,
      type: interaction.type,
      user,
      authorizing_integration_owners: interaction.authorizing_integration_owners,
    };
    const message = this.messages.make(channelId, body, files, {
      type: this.#messageTypeFor(interaction),
      webhook_id: this.context.applicationId,
      application_id: this.context.applicationId,
      ...(metadata ? { interaction_metadata: metadata as APIMessage['interaction_metadata'] } : {}),
    });
    message.flags = (message.flags ?? 0) | flags;
    if (!hasFlag(message, MessageFlags.Ephemeral)) this.messages.store(message);
    return message;
  }

  /** POST /interactions/{id}/{token}/callback. */
  callback(id: string, token: string, rawBody: unknown, files: readonly RecordedFile[], withResponse: boolean): Reply {
    const record = this.#records.get(id);
    if (!record) throw new ApiError(404, 10062, 'Unknown interaction');
    if (record.interaction.token !== token) throw new ApiError(401, 50027, 'Invalid Webhook Token');
    // Discord: the first response must come within 3 s; after that the interaction is gone.
    if (this.context.now() - record.createdAt > this.callbackWindowMs) {
      throw new ApiError(404, 10062, 'Unknown interaction');
    }
    if (record.acknowledged) throw new ApiError(400, 40060, 'Interaction has already been acknowledged.');
    if (!isRecord(rawBody) || typeof rawBody.type !== 'number') {
      throw invalid('type', 'BASE_TYPE_REQUIRED', 'This field is required');
    }
    const type = rawBody.type as InteractionResponseType;
    const data = isRecord(rawBody.data) ? rawBody.data : {};
    const { interaction } = record;
    if (!ALLOWED_CALLBACKS[interaction.type].includes(type)) {
      throw invalid('type', 'INTERACTION_RESPONSE_TYPE_INVALID', `Not valid for interaction type ${interaction.type}`);
    }
    let original: StoredMessage | undefined;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource:
        original = this.#respond(record, this.messages.check(data, true, files), files);
        break;
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        // Discord shows a "thinking…" placeholder (the Loading flag) until the response is edited.
        const ephemeral = typeof data.flags === 'number' ? data.flags & MessageFlags.Ephemeral : 0;
        original = this.#respond(record, {}, [], ephemeral | MessageFlags.Loading);
        break;
      }
      case InteractionResponseType.UpdateMessage:
      case InteractionResponseType.DeferredMessageUpdate: {
        const checked = type === InteractionResponseType.UpdateMessage ? this.messages.check(data, false, files) : {};
        original = this.#sourceMessage(interaction);
        if (original && type === InteractionResponseType.UpdateMessage) {
          this.messages.patch(original, checked, files);
          original.edited_timestamp = isoAt(this.context.now());
        }
        break;
      }
      case InteractionResponseType.ApplicationCommandAutocompleteResult: {
        const errors = validateAutocomplete(data);
        if (!errors.empty) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
        break;
      }
      default:
        break;
    }
    record.acknowledged = true;
    const entry = structuredClone(isRecord(rawBody.data) ? { type, data: rawBody.data } : { type });
    this.callbacks.set(id, [...(this.callbacks.get(id) ?? []), entry as APIInteractionResponse]);
    if (original) this.originals.set(id, original);
    this.context.hooks.changed();
    if (!withResponse) return { status: 204 };
    const response = original && {
      response_message_id: original.id,
      response_message_loading: hasFlag(original, MessageFlags.Loading),
      response_message_ephemeral: hasFlag(original, MessageFlags.Ephemeral),
    };
    return {
      status: 200,
      body: {
        interaction: { id: interaction.id, type: interaction.type, ...response },
        resource: { type, ...(original ? { message: this.messages.view(original) } : {}) },
      },
    };
  }

  /** The message a component interaction came from: the stored one if the fake holds it. */
  #sourceMessage(interaction: APIInteraction): StoredMessage | undefined {
    const source = interaction.message;
    if (!source) return undefined;
    return this.messages.list(source.channel_id).find((message) => message.id === source.id) ?? { ...source };
  }

  #webhook(applicationId: string, token: string): InteractionRecord {
    if (applicationId !== this.context.applicationId) throw new ApiError(404, 10015, 'Unknown Webhook');
    const record = [...this.#records.values()].find((candidate) => candidate.interaction.token === token);
    if (!record || this.context.now() - record.createdAt > INTERACTION_TOKEN_LIFETIME_MS) {
      throw new ApiError(401, 50027, 'Invalid Webhook Token');
    }
    // Discord: the interaction's webhook exists only once the interaction has been acknowledged.
    if (!record.acknowledged) throw new ApiError(404, 10015, 'Unknown Webhook');
    return record;
  }

  #webhookMessage(record: InteractionRecord, messageId: string): StoredMessage {
    const id = record.interaction.id;
    const message =
      messageId === '@original'
        ? this.originals.get(id)
        : this.followUps.get(id)?.find((candidate) => candidate.id === messageId);
    if (!message) throw new ApiError(404, 10008, 'Unknown Message');
    return message;
  }

  /** GET /webhooks/{app}/{token}/messages/{@original|id}. */
  getMessage(applicationId: string, token: string, messageId: string): StoredMessage {
    return this.#webhookMessage(this.#webhook(applicationId, token), messageId);
  }

  /** PATCH /webhooks/{app}/{token}/messages/{@original|id}; the first edit of a deferred reply ends "thinking…". */
  editMessage(
    applicationId: string,
    token: string,
    messageId: string,
    rawBody: unknown,
    files: readonly RecordedFile[],
  ): StoredMessage {
    const message = this.#webhookMessage(this.#webhook(applicationId, token), messageId);
    const body = this.messages.check(rawBody, false, files);
    const wasLoading = hasFlag(message, MessageFlags.Loading);
    this.messages.patch(message, body, files);
    if (wasLoading) message.flags = (message.flags ?? 0) & ~MessageFlags.Loading;
    else message.edited_timestamp = isoAt(this.context.now());
    this.context.hooks.changed();
    return message;
  }

  /** DELETE /webhooks/{app}/{token}/messages/{@original|id}. */
  deleteMessage(applicationId: string, token: string, messageId: string): void {
    const record = this.#webhook(applicationId, token);
    const message = this.#webhookMessage(record, messageId);
    const id = record.interaction.id;
    if (messageId === '@original') this.originals.delete(id);
    else this.followUps.set(id, (this.followUps.get(id) ?? []).filter((candidate) => candidate !== message));
    this.messages.unstore(message);
    this.context.hooks.changed();
  }

  /** POST /webhooks/{app}/{token}: a follow-up message. */
  followUp(applicationId: string, token: string, rawBody: unknown, files: readonly RecordedFile[]): StoredMessage {
    const record = this.#webhook(applicationId, token);
    const message = this.#respond(record, this.messages.check(rawBody, true, files), files);
    const id = record.interaction.id;
    this.followUps.set(id, [...(this.followUps.get(id) ?? []), message]);
    this.context.hooks.changed();
    return message;
  }
}
