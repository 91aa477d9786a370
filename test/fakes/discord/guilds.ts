import {
  type APIChannel,
  type APIDMChannel,
  type APIGuildMember,
  type APIRole,
  type APITextChannel,
  type APIUser,
  type ApplicationFlags,
  type ChannelFlags,
  type GatewayGuildCreateDispatchData,
  type GatewayReadyDispatchData,
  type GuildMemberFlags,
  type GuildSystemChannelFlags,
  ChannelType,
  PermissionFlagsBits,
  type RoleFlags,
} from 'discord-api-types/v10';
import { ApiError, type Context, type FakeGuildSpec, isoAt } from './model.js';

function bits(...flags: bigint[]): string {
  return flags.reduce((all, flag) => all | flag, 0n).toString();
}

/** What @everyone may do in a fresh community server. */
export const EVERYONE_PERMISSIONS = bits(
  PermissionFlagsBits.CreateInstantInvite,
  PermissionFlagsBits.AddReactions,
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.EmbedLinks,
  PermissionFlagsBits.AttachFiles,
  PermissionFlagsBits.ReadMessageHistory,
  PermissionFlagsBits.UseExternalEmojis,
  PermissionFlagsBits.Connect,
  PermissionFlagsBits.Speak,
  PermissionFlagsBits.ChangeNickname,
  PermissionFlagsBits.UseApplicationCommands,
  PermissionFlagsBits.SendMessagesInThreads,
);

/** The bot's permissions in interaction payloads (`app_permissions`). */
export const BOT_PERMISSIONS = bits(
  BigInt(EVERYONE_PERMISSIONS),
  PermissionFlagsBits.MentionEveryone,
  PermissionFlagsBits.ManageMessages,
);

/** The guild owner: a person, not the bot. */
export const OWNER_ID = '1000000000000000001';

export interface GuildState {
  readonly id: string;
  readonly name: string;
  readonly channelIds: string[];
  readonly roles: APIRole[];
  readonly joinedAt: string;
}

function role(id: string, name: string, permissions: string, position: number): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions,
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

/** The guilds, their channels and roles, DM channels, and the READY / GUILD_CREATE payloads describing them. */
export class Guilds {
  readonly guilds = new Map<string, GuildState>();
  readonly channels = new Map<string, APITextChannel | APIDMChannel>();
  readonly #dmChannels = new Map<string, string>();

  constructor(
    private readonly context: Context,
    specs: readonly FakeGuildSpec[],
  ) {
    for (const spec of specs) this.#add(spec);
  }

  /** The bot joins another guild while running (a course naming a new server). */
  join(spec: FakeGuildSpec): void {
    if (this.guilds.has(spec.id)) throw new Error(`addGuild: the fake already serves guild ${spec.id}`);
    this.#add(spec);
  }

  #add(spec: FakeGuildSpec): void {
    const channelIds: string[] = [];
    (spec.channels ?? [this.context.nextId()]).forEach((entry, position) => {
      const { id, name } = typeof entry === 'string' ? { id: entry, name: undefined } : entry;
      channelIds.push(id);
      this.channels.set(id, {
        id,
        type: ChannelType.GuildText,
        guild_id: spec.id,
        name: name ?? (position === 0 ? 'general' : `channel-${position + 1}`),
        position,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
        topic: null,
        last_message_id: null,
        rate_limit_per_user: 0,
        flags: 0 as ChannelFlags,
      });
    });
    const roles = [role(spec.id, '@everyone', EVERYONE_PERMISSIONS, 0)];
    (spec.roles ?? []).forEach((entry, index) => {
      const { id, name, permissions } = typeof entry === 'string' ? { id: entry } : entry;
      roles.push(role(id, name ?? `role-${index + 1}`, String(permissions ?? '0'), index + 1));
    });
    const name = spec.name ?? 'Course Server';
    this.guilds.set(spec.id, { id: spec.id, name, channelIds, roles, joinedAt: isoAt(this.context.now()) });
  }

  guild(id: string): GuildState {
    const guild = this.guilds.get(id);
    if (!guild) throw new ApiError(404, 10004, 'Unknown Guild');
    return guild;
  }

  /** The first guild, the default for interactions. */
  defaultGuildId(): string {
    const first = this.guilds.keys().next();
    if (first.done === true) throw new Error('interact: the fake has no guild; pass dm: true or start with a guild');
    return first.value;
  }

  channel(id: string): APIChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new ApiError(404, 10003, 'Unknown Channel');
    return channel;
  }

  #textChannel(id: string): APITextChannel {
    const channel = this.channels.get(id);
    if (channel?.type !== ChannelType.GuildText) throw new ApiError(404, 10003, 'Unknown Channel');
    return channel;
  }

  /** The guild id of a guild channel; `undefined` for a DM or an unknown channel. */
  guildIdOf(channelId: string): string | undefined {
    const channel = this.channels.get(channelId);
    return channel && 'guild_id' in channel ? channel.guild_id : undefined;
  }

  guildChannels(id: string): APIChannel[] {
    return this.guild(id).channelIds.map((channelId) => this.#textChannel(channelId));
  }

  /** The DM channel between the bot and `user`, made on first use. */
  dmChannel(user: APIUser): APIDMChannel {
    let id = this.#dmChannels.get(user.id);
    if (id === undefined) {
      id = this.context.nextId();
      this.#dmChannels.set(user.id, id);
      const channel: APIDMChannel = {
        id,
        type: ChannelType.DM,
        name: null,
        last_message_id: null,
        recipients: [user],
        flags: 0 as ChannelFlags,
      };
      this.channels.set(id, channel);
    }
    const channel = this.channels.get(id);
    if (channel?.type !== ChannelType.DM) throw new Error(`DM channel ${id} vanished`);
    return channel;
  }

  ready(sessionId: string, resumeUrl: string): GatewayReadyDispatchData {
    const application = { id: this.context.applicationId, flags: 0 as ApplicationFlags };
    return {
      v: 10,
      user: { ...this.context.botUser, verified: true, mfa_enabled: false, email: null },
      guilds: [...this.guilds.keys()].map((id) => ({ id, unavailable: true })),
      session_id: sessionId,
      resume_gateway_url: resumeUrl,
      shard: [0, 1],
      application: application as GatewayReadyDispatchData['application'],
    };
  }

  guildCreate(guildId: string): GatewayGuildCreateDispatchData {
    const guild = this.guild(guildId);
    const botMember: APIGuildMember = {
      user: this.context.botUser,
      nick: null,
      avatar: null,
      banner: null,
      roles: [],
      joined_at: guild.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      pending: false,
      communication_disabled_until: null,
    };
    return {
      ...this.#guildObject(guild),
      joined_at: guild.joinedAt,
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      // Discord always includes the bot's own member.
      members: [botMember],
      // Discord leaves guild_id out of the channels inside GUILD_CREATE.
      channels: guild.channelIds.map((id) => {
        const { guild_id: _guildId, ...channel } = this.#textChannel(id);
        return channel;
      }),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** GET /guilds/{id}. */
  guildObject(id: string): Omit<GatewayGuildCreateDispatchData, keyof GuildCreateExtras> {
    return this.#guildObject(this.guild(id));
  }

  #guildObject(guild: GuildState): Omit<GatewayGuildCreateDispatchData, keyof GuildCreateExtras> {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      owner_id: OWNER_ID,
      region: null,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 1,
      default_message_notifications: 1,
      explicit_content_filter: 2,
      roles: guild.roles,
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: guild.channelIds[0] ?? null,
      system_channel_flags: 0 as GuildSystemChannelFlags,
      rules_channel_id: null,
      max_presences: null,
      max_members: 500_000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US' as GatewayGuildCreateDispatchData['preferred_locale'],
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      hub_type: null,
      safety_alerts_channel_id: null,
      incidents_data: null,
    };
  }
}

/** The fields GUILD_CREATE has on top of the guild object. */
type GuildCreateExtras = Pick<
  GatewayGuildCreateDispatchData,
  | 'joined_at'
  | 'large'
  | 'unavailable'
  | 'member_count'
  | 'voice_states'
  | 'members'
  | 'channels'
  | 'threads'
  | 'presences'
  | 'stage_instances'
  | 'guild_scheduled_events'
  | 'soundboard_sounds'
>;
