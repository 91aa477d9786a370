import {
  type APIApplicationCommandInteractionDataOption,
  type APIBaseInteraction,
  type APIInteraction,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionType,
} from 'discord-api-types/v10';

/** Who triggers an interaction; every field has a default (see `FakeDiscord.defaultActor`). */
export interface InteractionActor {
  readonly id?: string;
  readonly username?: string;
  readonly globalName?: string | null;
  readonly nick?: string | null;
  /** Role ids the member holds (the @everyone role is implicit, as on Discord). */
  readonly roles?: readonly string[];
  /** The member's computed permissions in the channel, as Discord sends them (a decimal string). Default '0'. */
  readonly permissions?: string | bigint;
}

/**
 * What `FakeDiscord.interact` takes: the interaction's `type` and `data`, plus any raw fields to override.
 * Everything left out (id, token, application_id, guild, channel, member, locale…) gets a realistic default.
 */
export type InteractionInput = Partial<Omit<APIBaseInteraction<InteractionType, unknown>, 'type' | 'data'>> & {
  readonly type: InteractionType;
  readonly data?: Partial<NonNullable<APIInteraction['data']>>;
  /** Shorthand for the acting member or user. */
  readonly actor?: InteractionActor;
  /** A DM with the bot instead of a guild channel: `user` instead of `member`, no guild. */
  readonly dm?: boolean;
};

/** Overrides accepted by the builders: anything but `type` and `data`. */
export type InteractionOverrides = Omit<InteractionInput, 'type' | 'data'>;

export type ChatInputOption = APIApplicationCommandInteractionDataOption<InteractionType.ApplicationCommand>;
export type AutocompleteOption =
  APIApplicationCommandInteractionDataOption<InteractionType.ApplicationCommandAutocomplete>;

/**
 * A slash command invocation (interaction type 2, command type 1), e.g.
 * `chatInput('week', [{ name: 'number', type: ApplicationCommandOptionType.Integer, value: 2 }])`.
 * The command id is filled in from the registered commands when `interact` sends it.
 */
export function chatInput(
  name: string,
  options: readonly ChatInputOption[] = [],
  overrides: InteractionOverrides = {},
): InteractionInput {
  return {
    ...overrides,
    type: InteractionType.ApplicationCommand,
    data: { name, type: ApplicationCommandType.ChatInput, ...(options.length > 0 ? { options: [...options] } : {}) },
  };
}

/**
 * An autocomplete request (interaction type 4). Exactly one option is focused: the one marked `focused: true`, else
 * the last basic option (inside a subcommand, if the options hold one).
 */
export function autocomplete(
  name: string,
  options: readonly AutocompleteOption[],
  overrides: InteractionOverrides = {},
): InteractionInput {
  return {
    ...overrides,
    type: InteractionType.ApplicationCommandAutocomplete,
    data: { name, type: ApplicationCommandType.ChatInput, options: focusOne(options) },
  };
}

function isContainer(option: AutocompleteOption): boolean {
  const { Subcommand, SubcommandGroup } = ApplicationCommandOptionType;
  return option.type === Subcommand || option.type === SubcommandGroup;
}

function hasFocus(options: readonly AutocompleteOption[]): boolean {
  return options.some((option) =>
    'options' in option && option.options ? hasFocus(option.options) : 'focused' in option && option.focused === true,
  );
}

function focusOne(options: readonly AutocompleteOption[]): AutocompleteOption[] {
  const copy = options.map((option): AutocompleteOption => ({ ...option }));
  if (hasFocus(copy)) return copy;
  const last = copy.at(-1);
  if (!last) throw new Error('autocomplete needs at least one option to focus');
  if (isContainer(last)) {
    const nested = 'options' in last && last.options ? last.options : [];
    copy[copy.length - 1] = { ...last, options: focusOne(nested) } as AutocompleteOption;
  } else {
    copy[copy.length - 1] = { ...last, focused: true } as AutocompleteOption;
  }
  return copy;
}
