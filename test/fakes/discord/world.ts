import type { APIUser, UserFlags } from 'discord-api-types/v10';
import { Commands } from './commands.js';
import { DirectMessages } from './dms.js';
import { Guilds } from './guilds.js';
import { Interactions } from './interactions.js';
import { Messages } from './messages.js';
import { ScheduledEvents } from './scheduled-events.js';
import type { Context, FakeGuildSpec, Hooks } from './model.js';
import { Snowflakes } from './snowflake.js';

export interface WorldOptions {
  readonly applicationId: string;
  readonly botUserId: string;
  readonly botUsername: string;
  readonly guilds: readonly FakeGuildSpec[];
  readonly now: () => number;
  readonly callbackWindowMs: number;
  readonly nonceWindowMs: number;
  /** `http://127.0.0.1:<port>`, for attachment urls. */
  readonly baseUrl: () => string;
}

/**
 * The fake's model of Discord — guilds, messages, commands, interactions — with the rules a bot meets (ids, nonces,
 * acknowledgement, token lifetimes, validation). Transport (HTTP, WebSocket) lives in rest.ts and gateway.ts.
 */
export class World {
  readonly botUser: APIUser;
  readonly guilds: Guilds;
  readonly messages: Messages;
  readonly commands: Commands;
  readonly interactions: Interactions;
  readonly scheduledEvents: ScheduledEvents;
  readonly dms: DirectMessages;

  constructor(options: WorldOptions, hooks: Hooks) {
    const snowflakes = new Snowflakes(options.now);
    this.botUser = {
      id: options.botUserId,
      username: options.botUsername,
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: true,
      flags: 0 as UserFlags,
      public_flags: 0 as UserFlags,
    };
    const context: Context = {
      applicationId: options.applicationId,
      botUser: this.botUser,
      now: options.now,
      nextId: () => snowflakes.next(),
      baseUrl: options.baseUrl,
      hooks,
    };
    this.guilds = new Guilds(context, options.guilds);
    this.messages = new Messages(context, this.guilds, options.nonceWindowMs);
    this.commands = new Commands(context, this.guilds);
    this.scheduledEvents = new ScheduledEvents(context, this.guilds);
    this.dms = new DirectMessages(this.guilds);
    this.interactions = new Interactions(context, this.guilds, this.messages, this.commands, options.callbackWindowMs);
  }
}
