import * as z from 'zod';

/** An option as a slash command or autocomplete interaction carries it (subcommands hold their own). */
export interface RawOption {
  readonly name: string;
  readonly type: number;
  readonly value?: string | number | boolean;
  readonly options?: readonly RawOption[];
  readonly focused?: boolean;
}

const optionSchema: z.ZodType<RawOption> = z.lazy(() =>
  z
    .object({
      name: z.string().min(1).max(100),
      type: z.number().int(),
      value: z.union([z.string().max(6_000), z.number(), z.boolean()]).optional(),
      options: z.array(optionSchema).max(25).optional(),
      focused: z.boolean().optional(),
    })
    .loose(),
);

/** Permission bits: discord.js reads them with `BigInt`, which throws on anything but digits. */
const permissions = z.string().regex(/^\d{1,40}$/, 'permissions are not a number');
const user = z.object({ id: z.string().min(1) }).loose();
const objects = z.record(z.string(), z.object({}).loose());

/** Discord's interaction types this bot answers, with the payload checked in full. */
const APPLICATION_COMMAND = 2;
const AUTOCOMPLETE = 4;
/** The application command type of a slash command. */
const CHAT_INPUT = 1;

/**
 * The fields discord.js reads while it builds an interaction, inside its gateway handler where a throw
 * is uncaught and ends the process: only what it would throw on is required. Anything Discord may add
 * besides them passes.
 */
const interactionSchema = z
  .object({
    id: z.string().min(1),
    token: z.string().min(1),
    type: z.number().int(),
    channel: z.object({ id: z.string() }).loose().optional(),
    user: user.optional(),
    member: z.object({ user, permissions: permissions.optional(), roles: z.array(z.string()).optional() }).loose().optional(),
    app_permissions: permissions.optional(),
    entitlements: z.array(z.object({}).loose()),
    authorizing_integration_owners: z.record(z.string(), z.string()),
    data: z
      .object({
        id: z.string().optional(),
        name: z.string().optional(),
        type: z.number().int().optional(),
        options: z.array(optionSchema).max(25).optional(),
        resolved: z.record(z.string(), objects).optional(),
      })
      .loose()
      .optional(),
  })
  .loose()
  .refine((interaction) => interaction.user !== undefined || interaction.member !== undefined, 'no user or member')
  .refine(
    (interaction) =>
      (interaction.type !== APPLICATION_COMMAND && interaction.type !== AUTOCOMPLETE) ||
      (typeof interaction.data?.name === 'string' && typeof interaction.data.type === 'number'),
    'a command interaction without a command name and type',
  );

/** Names of Discord's interaction types, for the log. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'ping',
  2: 'application command',
  3: 'message component',
  4: 'autocomplete',
  5: 'modal submit',
};

/** Names of Discord's application command types other than slash commands (1), for the log. */
const COMMAND_TYPE_NAMES: Readonly<Record<number, string>> = { 2: 'user context menu', 3: 'message context menu', 4: 'activity entry point' };

/**
 * What the bot makes of an `INTERACTION_CREATE` payload before discord.js sees it: a slash `command` or an
 * `autocomplete` of one (checked in full by {@link interactionProblem}), or `unhandled` with what it is, for
 * the log: a button, a modal, a context menu command, a type Discord may add later, or no interaction at all.
 * The bot registers only slash commands and sends only link buttons, which Discord opens itself: none of
 * those is its to answer, and discord.js would build each before any listener could refuse it.
 */
export type InteractionKind =
  | { readonly kind: 'command' | 'autocomplete' }
  | { readonly kind: 'unhandled'; readonly what: string };

export function interactionKind(payload: unknown): InteractionKind {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { kind: 'unhandled', what: `not an interaction (${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload})` };
  }
  const { type, data } = payload as { type?: unknown; data?: unknown };
  const commandType = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
  if (type === APPLICATION_COMMAND || type === AUTOCOMPLETE) {
    // A missing or garbled command type is a malformed slash command, refused with a message; a well-formed
    // other type is a command this bot never registered.
    if (typeof commandType === 'number' && commandType !== CHAT_INPUT) {
      return { kind: 'unhandled', what: COMMAND_TYPE_NAMES[commandType] ?? `application command type ${commandType}` };
    }
    return { kind: type === AUTOCOMPLETE ? 'autocomplete' : 'command' };
  }
  const name = typeof type === 'number' ? TYPE_NAMES[type] : undefined;
  return { kind: 'unhandled', what: name ?? `interaction type ${JSON.stringify(type)?.slice(0, 20) ?? 'missing'}` };
}

/** An interaction's id and token, where they can be used to answer it. */
export interface Answerable {
  readonly id: string;
  readonly token: string;
  readonly type: number;
}

/**
 * Why an `INTERACTION_CREATE` payload cannot be handed to discord.js (one line, for the log), or undefined
 * when it can. Checked before discord.js sees it: a malformed one would throw inside its gateway handler.
 */
export function interactionProblem(payload: unknown): string | undefined {
  // Every interaction passes here: the plain check answers for the well-formed ones (zod's parse was 5 % of the
  // bot's CPU per interaction), and zod, which says what is wrong, looks at the rest. The plain check accepts
  // nothing zod refuses (test/platforms/discord/payload-check.test.ts compares them).
  return wellFormed(payload) ? undefined : problemByZod(payload);
}

/** {@link interactionProblem} as zod alone finds it (exported for the test that compares the two checks). */
export function problemByZod(payload: unknown): string | undefined {
  const result = interactionSchema.safeParse(payload);
  if (result.success) return undefined;
  return result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'interaction'}: ${issue.message}`)
    .join('; ');
}

/**
 * The id, token and type of a payload, when they have shapes that are safe to put in an API path
 * (Discord's are digits, and base64url with `:` and `.`).
 */
export function answerable(payload: unknown): Answerable | undefined {
  // Plain code: it runs for every interaction (the bot's own check of Discord's fields, nothing a user wrote).
  if (!isFields(payload)) return undefined;
  const { id, token, type } = payload;
  if (typeof id !== 'string' || !/^\d{1,25}$/.test(id) || typeof token !== 'string' || !/^[\w.:-]{1,500}$/.test(token) || !isInteger(type)) return undefined;
  return { id, token, type: type as number };
}

// The plain check of `interactionSchema`: true only where zod accepts too (any doubt: false, and zod decides).

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown, min = 0, max = Number.POSITIVE_INFINITY): boolean =>
  typeof value === 'string' && value.length >= min && value.length <= max;
const isInteger = (value: unknown): boolean => Number.isSafeInteger(value);
const isPermissions = (value: unknown): boolean => value === undefined || (typeof value === 'string' && /^\d{1,40}$/.test(value));
const isUser = (value: unknown): boolean => isFields(value) && isText(value.id, 1);

function isOption(value: unknown, depth: number): boolean {
  if (!isFields(value) || depth > 3) return false;
  const given = value.value;
  return (
    isText(value.name, 1, 100) &&
    isInteger(value.type) &&
    (given === undefined || isText(given, 0, 6_000) || Number.isFinite(given) || typeof given === 'boolean') &&
    (value.options === undefined || isOptions(value.options, depth + 1)) &&
    (value.focused === undefined || typeof value.focused === 'boolean')
  );
}

const isOptions = (value: unknown, depth: number): boolean =>
  Array.isArray(value) && value.length <= 25 && value.every((option) => isOption(option, depth));

/** Whether the plain check finds the payload well-formed (exported for the test that compares it with zod). */
export function wellFormed(payload: unknown): boolean {
  if (!isFields(payload) || !isText(payload.id, 1) || !isText(payload.token, 1) || !isInteger(payload.type)) return false;
  const { channel, user, member, data } = payload;
  if (channel !== undefined && !(isFields(channel) && isText(channel.id))) return false;
  if (user !== undefined && !isUser(user)) return false;
  if (member !== undefined) {
    if (!isFields(member) || !isUser(member.user) || !isPermissions(member.permissions)) return false;
    if (member.roles !== undefined && !(Array.isArray(member.roles) && member.roles.every((role) => typeof role === 'string'))) return false;
  }
  if (user === undefined && member === undefined) return false;
  if (!isPermissions(payload.app_permissions)) return false;
  if (!Array.isArray(payload.entitlements) || !payload.entitlements.every(isFields)) return false;
  const owners = payload.authorizing_integration_owners;
  if (!isFields(owners) || !Object.values(owners).every((owner) => typeof owner === 'string')) return false;
  if (data !== undefined) {
    if (!isFields(data)) return false;
    if (data.id !== undefined && !isText(data.id)) return false;
    if (data.name !== undefined && !isText(data.name)) return false;
    if (data.type !== undefined && !isInteger(data.type)) return false;
    if (data.options !== undefined && !isOptions(data.options, 0)) return false;
    const resolved = data.resolved;
    if (resolved !== undefined && !(isFields(resolved) && Object.values(resolved).every((kind) => isFields(kind) && Object.values(kind).every(isFields)))) {
      return false;
    }
  }
  if (payload.type === APPLICATION_COMMAND || payload.type === AUTOCOMPLETE) {
    if (!isFields(data) || typeof data.name !== 'string' || typeof data.type !== 'number') return false;
  }
  return true;
}
