import {
  type APIGuildScheduledEvent,
  DiscordAPIError,
  GuildScheduledEventEntityType,
  GuildScheduledEventPrivacyLevel,
  GuildScheduledEventStatus,
  type REST,
  Routes,
} from 'discord.js';
import type { EventSpec, RemoteEvent } from '../../events/plan.js';
import { type EventPort, EventsDenied } from '../../events/sync.js';

export interface DiscordEventPortOptions {
  /** Requests go through discord.js's queue, which waits out rate limits per route. */
  readonly rest: REST;
  readonly guildId: string;
  /** The bot's user id: only events it created are its own. */
  readonly botUserId: () => string | undefined;
}

/** Discord: Missing Access (50001) and Missing Permissions (50013) come as 403. */
function refused(error: unknown): never {
  if (error instanceof DiscordAPIError && error.status === 403) throw new EventsDenied(`Discord ${error.status} ${error.code}: ${error.message}`);
  throw error;
}

function body(spec: EventSpec) {
  return {
    name: spec.name,
    description: spec.description,
    scheduled_start_time: new Date(spec.start).toISOString(),
    scheduled_end_time: new Date(spec.end).toISOString(),
    privacy_level: GuildScheduledEventPrivacyLevel.GuildOnly,
    entity_type: GuildScheduledEventEntityType.External,
    entity_metadata: { location: spec.location },
  };
}

/** A guild's scheduled events as an `EventPort`: external events with a location, made and changed over REST. */
export class DiscordEventPort implements EventPort {
  readonly scope: string;
  readonly #options: DiscordEventPortOptions;

  constructor(options: DiscordEventPortOptions) {
    this.#options = options;
    this.scope = `discord:${options.guildId}`;
  }

  async list(): Promise<RemoteEvent[]> {
    const events = (await this.#options.rest.get(Routes.guildScheduledEvents(this.#options.guildId)).catch(refused)) as APIGuildScheduledEvent[];
    const bot = this.#options.botUserId();
    return events
      .filter((event) => event.status === GuildScheduledEventStatus.Scheduled || event.status === GuildScheduledEventStatus.Active)
      .map((event) => ({
        id: event.id,
        name: event.name,
        description: event.description ?? '',
        location: event.entity_metadata?.location ?? '',
        start: Date.parse(event.scheduled_start_time),
        ...(event.scheduled_end_time && { end: Date.parse(event.scheduled_end_time) }),
        status: event.status === GuildScheduledEventStatus.Scheduled ? 'scheduled' : 'active',
        mine: bot !== undefined && event.creator_id === bot,
      }));
  }

  async create(spec: EventSpec): Promise<string> {
    const created = (await this.#options.rest
      .post(Routes.guildScheduledEvents(this.#options.guildId), { body: body(spec) })
      .catch(refused)) as APIGuildScheduledEvent;
    return created.id;
  }

  async edit(id: string, spec: EventSpec): Promise<void> {
    await this.#options.rest.patch(Routes.guildScheduledEvent(this.#options.guildId, id), { body: body(spec) }).catch(refused);
  }

  async cancel(id: string): Promise<void> {
    await this.#options.rest
      .patch(Routes.guildScheduledEvent(this.#options.guildId, id), { body: { status: GuildScheduledEventStatus.Canceled } })
      .catch(refused);
  }
}
