import type { APIAllowedMentions, APIMessage, APIUser } from 'discord-api-types/v10';
import type { FormErrors } from './validate.js';

/** A guild the fake serves, as given to `FakeDiscord.start`. Ids are snowflake strings. */
export interface FakeGuildSpec {
  readonly id: string;
  readonly name?: string;
  /**
   * Text channel ids (or `{ id, name }`); the first is the system channel and the default for interactions.
   * Left out: one channel with a generated id.
   */
  readonly channels?: ReadonlyArray<string | { readonly id: string; readonly name?: string }>;
  /** Extra role ids (or `{ id, name, permissions }`); the @everyone role (id = guild id) is always there. */
  readonly roles?: ReadonlyArray<
    string | { readonly id: string; readonly name?: string; readonly permissions?: string | bigint }
  >;
}

/** A file part of a multipart request. */
export interface RecordedFile {
  readonly field: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
}

/** A message as the fake stores it: the API object plus what the bot asked for in `allowed_mentions`. */
export type StoredMessage = APIMessage & { allowed_mentions?: APIAllowedMentions };

/** A bulk overwrite of application commands, as received (before validation). */
export interface Registration {
  /** `'global'` or the guild id. */
  readonly scope: 'global' | (string & {});
  readonly body: unknown[];
}

/** A REST answer: a status, a JSON body (none for 204) and extra headers. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An HTTP error in Discord's JSON shape: `{ message, code }`, plus `errors` for an invalid form body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: FormErrors,
  ) {
    super(message);
  }

  get body(): Record<string, unknown> {
    const base = { message: this.message, code: this.code };
    return this.errors ? { ...base, errors: this.errors.tree } : base;
  }
}

/** What the model needs from its owner. */
export interface Hooks {
  /** Something changed that a test may be waiting for. */
  readonly changed: () => void;
  /** Sends a gateway dispatch to the sessions whose intents include `intent` (none given: all sessions). */
  readonly dispatch: (event: string, data: unknown, intent?: number) => void;
}

/** What every part of the model shares. */
export interface Context {
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly now: () => number;
  readonly nextId: () => string;
  readonly baseUrl: () => string;
  readonly hooks: Hooks;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asList(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
