import { type APIApplicationCommand, ApplicationCommandType } from 'discord-api-types/v10';
import type { Guilds } from './guilds.js';
import { ApiError, type Context, type Registration, asString } from './model.js';
import { FormErrors, isRecord, validateCommands } from './validate.js';

function typeOf(raw: Record<string, unknown>): ApplicationCommandType {
  return typeof raw.type === 'number' ? raw.type : ApplicationCommandType.ChatInput;
}

/** Application commands per scope (`'global'` or a guild id), as bulk overwrites and single creates leave them. */
export class Commands {
  readonly byScope = new Map<string, APIApplicationCommand[]>();
  readonly registrations: Registration[] = [];

  constructor(
    private readonly context: Context,
    private readonly guilds: Guilds,
  ) {}

  #scope(applicationId: string, guildId: string | undefined): string {
    if (applicationId !== this.context.applicationId) throw new ApiError(403, 50001, 'Missing Access');
    if (guildId === undefined) return 'global';
    if (!this.guilds.guilds.has(guildId)) throw new ApiError(403, 50001, 'Missing Access');
    return guildId;
  }

  #toCommand(scope: string, raw: Record<string, unknown>, previous?: APIApplicationCommand): APIApplicationCommand {
    const { id: _id, application_id: _app, version: _version, guild_id: _guild, ...definition } = raw;
    const command: APIApplicationCommand = {
      default_member_permissions: null,
      nsfw: false,
      integration_types: [0],
      contexts: null,
      ...definition,
      id: previous?.id ?? this.context.nextId(),
      application_id: this.context.applicationId,
      type: typeOf(raw),
      name: String(raw.name),
      description: asString(raw.description) ?? '',
      version: '',
      ...(scope === 'global' ? {} : { guild_id: scope }),
    };
    if (!Array.isArray(raw.options)) delete command.options;
    // Discord keeps the id of a command with the same name and type, and its version if nothing changed.
    const unchanged =
      previous !== undefined && JSON.stringify({ ...previous, version: '' }) === JSON.stringify(command);
    command.version = unchanged ? previous.version : this.context.nextId();
    return command;
  }

  #previous(scope: string, raw: Record<string, unknown>): APIApplicationCommand | undefined {
    const type = typeOf(raw);
    return this.byScope.get(scope)?.find((command) => command.name === raw.name && command.type === type);
  }

  list(applicationId: string, guildId?: string): APIApplicationCommand[] {
    return this.byScope.get(this.#scope(applicationId, guildId)) ?? [];
  }

  /** PUT …/commands: replaces the scope's commands. Recorded in `registrations` even when invalid. */
  bulkOverwrite(applicationId: string, guildId: string | undefined, body: unknown): APIApplicationCommand[] {
    const scope = this.#scope(applicationId, guildId);
    if (!Array.isArray(body)) {
      const errors = new FormErrors();
      errors.add([], 'LIST_TYPE_CONVERT', 'Must be an array.');
      throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    }
    const list = body as unknown[];
    this.registrations.push({ scope, body: structuredClone(list) });
    const errors = validateCommands(list);
    if (!errors.empty) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    const next = list.filter(isRecord).map((raw) => this.#toCommand(scope, raw, this.#previous(scope, raw)));
    this.byScope.set(scope, next);
    this.context.hooks.changed();
    return next;
  }

  /** POST …/commands: creates, or replaces the command with the same name and type. */
  create(
    applicationId: string,
    guildId: string | undefined,
    body: unknown,
  ): { command: APIApplicationCommand; created: boolean } {
    const scope = this.#scope(applicationId, guildId);
    const errors = validateCommands([body]);
    if (!isRecord(body) || !errors.empty) throw new ApiError(400, 50035, 'Invalid Form Body', errors);
    const previous = this.#previous(scope, body);
    const command = this.#toCommand(scope, body, previous);
    this.byScope.set(scope, [...(this.byScope.get(scope) ?? []).filter((entry) => entry !== previous), command]);
    this.context.hooks.changed();
    return { command, created: previous === undefined };
  }

  get(applicationId: string, guildId: string | undefined, commandId: string): APIApplicationCommand {
    const command = this.list(applicationId, guildId).find((entry) => entry.id === commandId);
    if (!command) throw new ApiError(404, 10063, 'Unknown application command');
    return command;
  }

  delete(applicationId: string, guildId: string | undefined, commandId: string): void {
    const scope = this.#scope(applicationId, guildId);
    const command = this.get(applicationId, guildId, commandId);
    this.byScope.set(scope, (this.byScope.get(scope) ?? []).filter((entry) => entry !== command));
    this.context.hooks.changed();
  }

  /** The registered command an interaction names: the guild's first, then the global one. */
  find(name: unknown, type: unknown, guildId: string | undefined): APIApplicationCommand | undefined {
    const matches = (command: APIApplicationCommand): boolean => command.name === name && command.type === type;
    const inGuild = guildId === undefined ? undefined : this.byScope.get(guildId)?.find(matches);
    return inGuild ?? this.byScope.get('global')?.find(matches);
  }
}
