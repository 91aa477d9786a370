import {
  type APIGuildScheduledEvent,
  GatewayIntentBits,
  GuildScheduledEventEntityType,
  GuildScheduledEventPrivacyLevel,
  GuildScheduledEventStatus,
} from 'discord-api-types/v10';
import type { Guilds } from './guilds.js';
import { ApiError, type Context, type Reply } from './model.js';
import { FormErrors, isRecord } from './validate.js';

/** Discord's limits (https://discord.com/developers/docs/resources/guild-scheduled-event). */
export const SCHEDULED_EVENT_LIMITS = { name: 100, description: 1_000, location: 100, perGuild: 100 } as const;

type Add = (method: string, path: string, auth: 'bot', handle: (call: { params: readonly string[]; body: unknown }) => Reply) => void;

const { Scheduled, Active, Completed, Canceled } = GuildScheduledEventStatus;

/**
 * Guild scheduled events with Discord's rules: name 1–100, description up to 1,000, a start in the future, an
 * end after it, external events need an end and a location (1–100), at most 100 scheduled or active events per
 * guild (30038), status only forward (scheduled → active or cancelled, active → completed). `manageEvents`
 * false makes every write a 403 (50013 Missing Permissions), as for a bot without Manage Events.
 */
export class ScheduledEvents {
  readonly events = new Map<string, APIGuildScheduledEvent>();
  manageEvents = true;

  constructor(
    private readonly context: Context,
    private readonly guilds: Guilds,
  ) {}

  /** A guild's events, cancelled and completed ones included (Discord lists only scheduled and active ones). */
  all(guildId: string): APIGuildScheduledEvent[] {
    return [...this.events.values()].filter((event) => event.guild_id === guildId);
  }

  list(guildId: string): APIGuildScheduledEvent[] {
    this.guilds.guild(guildId);
    return this.all(guildId).filter((event) => event.status === Scheduled || event.status === Active);
  }

  /** Creates an event; `creatorId` another user's id for events the bot did not make. */
  create(guildId: string, body: unknown, creatorId = this.context.botUser.id): APIGuildScheduledEvent {
    this.guilds.guild(guildId);
    this.#mayWrite();
    const fields = this.#check(body, undefined);
    if (this.list(guildId).length >= SCHEDULED_EVENT_LIMITS.perGuild) {
      throw new ApiError(400, 30038, 'Maximum number of uncompleted guild scheduled events reached (100)');
    }
    const id = this.context.nextId();
    const event = {
      id,
      guild_id: guildId,
      channel_id: null,
      creator_id: creatorId,
      ...(creatorId === this.context.botUser.id && { creator: this.context.botUser }),
      name: fields.name as string,
      description: (fields.description as string | undefined) ?? null,
      scheduled_start_time: fields.scheduled_start_time as string,
      scheduled_end_time: fields.scheduled_end_time as string,
      privacy_level: GuildScheduledEventPrivacyLevel.GuildOnly,
      status: Scheduled,
      entity_type: GuildScheduledEventEntityType.External,
      entity_id: null,
      entity_metadata: fields.entity_metadata as { location: string },
      user_count: 0,
      image: null,
      recurrence_rule: null,
    } as APIGuildScheduledEvent;
    this.events.set(id, event);
    this.context.hooks.dispatch('GUILD_SCHEDULED_EVENT_CREATE', event, GatewayIntentBits.GuildScheduledEvents);
    this.context.hooks.changed();
    return event;
  }

  modify(guildId: string, id: string, body: unknown): APIGuildScheduledEvent {
    const event = this.#get(guildId, id);
    this.#mayWrite();
    const fields = this.#check(body, event);
    if (fields.status !== undefined) {
      const allowed = event.status === Scheduled ? [Active, Canceled] : event.status === Active ? [Completed] : [];
      if (!allowed.includes(fields.status as GuildScheduledEventStatus)) throw new ApiError(400, 180000, 'Cannot update event status');
    } else if (event.status !== Scheduled) {
      throw new ApiError(400, 180000, 'Cannot update an event that is not scheduled');
    }
    const next = { ...event, ...fields } as APIGuildScheduledEvent;
    this.events.set(id, next);
    this.context.hooks.dispatch('GUILD_SCHEDULED_EVENT_UPDATE', next, GatewayIntentBits.GuildScheduledEvents);
    this.context.hooks.changed();
    return next;
  }

  delete(guildId: string, id: string): void {
    const event = this.#get(guildId, id);
    this.#mayWrite();
    this.events.delete(id);
    this.context.hooks.dispatch('GUILD_SCHEDULED_EVENT_DELETE', event, GatewayIntentBits.GuildScheduledEvents);
    this.context.hooks.changed();
  }

  /** The routes, registered with the REST router's `add`. */
  routes(add: Add, id: string): void {
    const path = `/guilds/${id}/scheduled-events`;
    const at = (params: readonly string[], index: number) => params[index]!;
    add('GET', path, 'bot', (call) => ({ status: 200, body: this.list(at(call.params, 0)) }));
    add('POST', path, 'bot', (call) => ({ status: 200, body: this.create(at(call.params, 0), call.body) }));
    add('GET', `${path}/${id}`, 'bot', (call) => ({ status: 200, body: this.#get(at(call.params, 0), at(call.params, 1)) }));
    add('PATCH', `${path}/${id}`, 'bot', (call) => ({ status: 200, body: this.modify(at(call.params, 0), at(call.params, 1), call.body) }));
    add('DELETE', `${path}/${id}`, 'bot', (call) => {
      this.delete(at(call.params, 0), at(call.params, 1));
      return { status: 204 };
    });
  }

  #get(guildId: string, id: string): APIGuildScheduledEvent {
    this.guilds.guild(guildId);
    const event = this.events.get(id);
    if (!event || event.guild_id !== guildId) throw new ApiError(404, 10070, 'Unknown Guild Scheduled Event');
    return event;
  }

  #mayWrite(): void {
    if (!this.manageEvents) throw new ApiError(403, 50013, 'Missing Permissions');
  }

  /** The fields of a create (`current` undefined) or a modify, checked against what the event would become. */
  #check(body: unknown, current: APIGuildScheduledEvent | undefined): Record<string, unknown> {
    const errors = new FormErrors();
    if (!isRecord(body)) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    const fields = Object.fromEntries(
      ['name', 'description', 'scheduled_start_time', 'scheduled_end_time', 'privacy_level', 'entity_type', 'entity_metadata', 'status']
        .filter((key) => body[key] !== undefined)
        .map((key) => [key, body[key]]),
    );
    const merged = { ...current, ...fields } as Record<string, unknown>;
    if (!current || fields.name !== undefined) errors.lengthBetween(['name'], merged.name, 1, SCHEDULED_EVENT_LIMITS.name);
    if (merged.description !== undefined && merged.description !== null) errors.maxLength(['description'], merged.description, SCHEDULED_EVENT_LIMITS.description);
    if (!current && merged.privacy_level !== GuildScheduledEventPrivacyLevel.GuildOnly) {
      errors.add(['privacy_level'], 'BASE_TYPE_CHOICES', 'Value must be one of {2}.');
    }
    if (merged.entity_type !== GuildScheduledEventEntityType.External) {
      errors.add(['entity_type'], 'BASE_TYPE_CHOICES', 'Only external events are modelled by the fake.');
    }
    const start = typeof merged.scheduled_start_time === 'string' ? Date.parse(merged.scheduled_start_time) : Number.NaN;
    const end = typeof merged.scheduled_end_time === 'string' ? Date.parse(merged.scheduled_end_time) : Number.NaN;
    if (Number.isNaN(start)) errors.add(['scheduled_start_time'], 'BASE_TYPE_REQUIRED', 'This field is required');
    else if ((!current || fields.scheduled_start_time !== undefined) && start <= this.context.now()) {
      errors.add(['scheduled_start_time'], 'GUILD_SCHEDULED_EVENT_SCHEDULE_PAST', 'Cannot schedule event in the past.');
    }
    if (Number.isNaN(end)) errors.add(['scheduled_end_time'], 'BASE_TYPE_REQUIRED', 'External events require an end time.');
    else if (end <= start) errors.add(['scheduled_end_time'], 'GUILD_SCHEDULED_EVENT_END_BEFORE_START', 'Cannot schedule event to end before starting.');
    const location = isRecord(merged.entity_metadata) ? merged.entity_metadata.location : undefined;
    errors.lengthBetween(['entity_metadata', 'location'], location, 1, SCHEDULED_EVENT_LIMITS.location);
    if (!errors.empty) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    return fields;
  }
}
