import { type REST, Routes } from 'discord.js';
import type { Command } from '../../core/commands/command.js';
import type { CourseTargets } from '../../core/course/schema.js';
import type { StateStore } from '../../core/ports.js';
import type { Logger } from '../../log.js';
import { type CommandJson, commandsHash, commandsJson } from './command-json.js';

/** Where commands are registered: `'global'` or a guild id. */
export type CommandScope = 'global' | (string & {});

/** One scope's registration as planned: put the definitions, clear the scope (nothing to serve there), or leave it. */
export interface RegistrationStep {
  readonly scope: CommandScope;
  readonly action: 'put' | 'clear' | 'unchanged';
  /** The definitions to put (empty for a clear). */
  readonly body: readonly CommandJson[];
  /** The store key of the scope's last registration, and the hash to record after it. */
  readonly key: string;
  readonly hash: string;
}

/** The store key of a scope's last registration: the same key the single-course `syncCommands` uses. */
export function registrationKey(applicationId: string, scope: CommandScope): string {
  return `discord:commands:${applicationId}:${scope}`;
}

/** The store key of the guilds commands were last registered in (so a guild no course names any more is cleared). */
export function registeredGuildsKey(applicationId: string): string {
  return `discord:commands:${applicationId}:guilds`;
}

/**
 * The scopes the courses need: each guild a course names (registration there is instant), and `global`
 * when a course on Discord names none. Sorted, each once.
 */
export function commandScopes(targets: readonly CourseTargets[]): CommandScope[] {
  const guilds = new Set<string>();
  let global = false;
  for (const { discord } of targets) {
    if (!discord) continue;
    if (discord.guildId === undefined) global = true;
    else guilds.add(discord.guildId);
  }
  return [...(global ? ['global'] : []), ...[...guilds].sort()];
}

/**
 * Whether the commands take the `course` option: where the deployment serves more than one course on Discord
 * (so that a place the courses share can name one). With one course, the definitions (and their hash) are
 * those of a single-course deployment.
 */
export function courseOptionWanted(targets: readonly CourseTargets[]): boolean {
  return targets.filter((target) => target.discord !== undefined).length > 1;
}

/**
 * What to register where (pure): in every needed scope, the definitions unless exactly these were
 * registered there last time (`force`: always); in a scope registered before that no course needs any
 * more (a guild no course names, or global once every course names its guild), an empty list, so that
 * users do not see the commands twice or in a server without a course. `previous` reads the store.
 */
export function planRegistrations(input: {
  readonly applicationId: string;
  readonly scopes: readonly CommandScope[];
  /** The definitions for a scope (the same everywhere, or per scope where they differ). */
  readonly body: (scope: CommandScope) => readonly CommandJson[];
  /** What the store holds for a key. */
  readonly previous: (key: string) => string | undefined;
  /** The guilds registered last time (`registeredGuildsKey`). */
  readonly registeredGuilds: readonly string[];
  readonly force?: boolean;
}): RegistrationStep[] {
  const steps: RegistrationStep[] = [];
  const needed = new Set(input.scopes);
  for (const scope of input.scopes) {
    const key = registrationKey(input.applicationId, scope);
    const body = input.body(scope);
    const hash = commandsHash(body, key);
    const unchanged = !input.force && input.previous(key) === hash;
    steps.push({ scope, action: unchanged ? 'unchanged' : 'put', body, key, hash });
  }
  const stale = [...new Set(['global', ...input.registeredGuilds])].filter((scope) => !needed.has(scope));
  for (const scope of stale) {
    const key = registrationKey(input.applicationId, scope);
    const hash = commandsHash([], key);
    const previous = input.previous(key);
    // Never registered there (no hash), or already cleared: nothing to do.
    if (previous === undefined || previous === hash) continue;
    steps.push({ scope, action: 'clear', body: [], key, hash });
  }
  return steps;
}

/** What registering did, per scope: done, unchanged, or failed with one line saying what to fix. */
export interface GuildRegistrationReport {
  readonly registered: readonly CommandScope[];
  readonly cleared: readonly CommandScope[];
  readonly unchanged: readonly CommandScope[];
  readonly failed: ReadonlyArray<{ readonly scope: CommandScope; readonly problem: string }>;
}

/**
 * Registers the commands where the courses need them (see `planRegistrations`), with the `course` option
 * where there are several courses: one bulk overwrite per changed scope, one after another (a second
 * course added, or removed again, changes the definitions, so every scope is registered again). A scope that fails (the bot is not in that server) is reported and
 * tried again next time; the others go on. Records each scope's hash only after Discord took it.
 */
export async function registerGuildCommands(input: {
  readonly rest: Pick<REST, 'put'>;
  readonly applicationId: string;
  readonly targets: readonly CourseTargets[];
  readonly commands: readonly Command[] | ((scope: CommandScope) => readonly Command[]);
  readonly store: Pick<StateStore, 'getValue' | 'setValue'>;
  readonly logger: Logger;
  readonly force?: boolean;
  /** Add the `course` option to every command; default: where the targets name several Discord courses (`courseOptionWanted`). */
  readonly courseOption?: boolean;
}): Promise<GuildRegistrationReport> {
  const { rest, store, logger, applicationId } = input;
  const commandsFor = typeof input.commands === 'function' ? input.commands : () => input.commands as readonly Command[];
  const courseOption = input.courseOption ?? courseOptionWanted(input.targets);
  const steps = planRegistrations({
    applicationId,
    scopes: commandScopes(input.targets),
    body: (scope) => commandsJson(commandsFor(scope), { courseOption }),
    previous: (key) => store.getValue(key),
    registeredGuilds: registeredGuilds(store.getValue(registeredGuildsKey(applicationId))),
    ...(input.force !== undefined && { force: input.force }),
  });
  const report = { registered: [] as CommandScope[], cleared: [] as CommandScope[], unchanged: [] as CommandScope[], failed: [] as { scope: CommandScope; problem: string }[] };
  const kept = new Set<string>();
  for (const step of steps) {
    if (step.action === 'unchanged') {
      report.unchanged.push(step.scope);
      if (step.scope !== 'global') kept.add(step.scope);
      continue;
    }
    const route = step.scope === 'global' ? Routes.applicationCommands(applicationId) : Routes.applicationGuildCommands(applicationId, step.scope);
    try {
      await rest.put(route, { body: step.body });
    } catch (error) {
      const problem = registrationProblem(step.scope, error);
      report.failed.push({ scope: step.scope, problem });
      // A guild not cleared stays listed, so that the clear is tried again next time.
      if (step.scope !== 'global') kept.add(step.scope);
      logger.error({ err: error, scope: step.scope }, problem);
      continue;
    }
    store.setValue(step.key, step.hash);
    if (step.action === 'put') {
      report.registered.push(step.scope);
      if (step.scope !== 'global') kept.add(step.scope);
      logger.info({ scope: step.scope, commands: step.body.length }, 'slash commands registered');
    } else {
      report.cleared.push(step.scope);
      logger.info({ scope: step.scope }, 'slash commands removed where no course needs them');
    }
  }
  store.setValue(registeredGuildsKey(applicationId), JSON.stringify([...kept].sort()));
  if (report.unchanged.length > 0) logger.info({ scopes: report.unchanged.length }, 'slash commands unchanged; not registering');
  return report;
}

function registeredGuilds(stored: string | undefined): string[] {
  if (stored === undefined) return [];
  try {
    const value: unknown = JSON.parse(stored);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** One line saying what to fix for a scope whose registration Discord refused. */
export function registrationProblem(scope: CommandScope, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const where = scope === 'global' ? 'globally' : `in server ${scope}`;
  if (code === 50001 || code === 10004) {
    return `could not register slash commands ${where}: the bot is not in that server, or was invited without the applications.commands scope (course-bot invite-url gives the link)`;
  }
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `could not register slash commands ${where} (${reason}); tried again at the next start`;
}
