/**
 * The subset of Discord's request validation that a bot is likely to trip over: length limits on messages,
 * embeds, components, autocomplete choices and slash command definitions. Errors use Discord's "Invalid Form Body"
 * shape (code 50035) so the real client turns them into a `DiscordAPIError` with the same `rawError`.
 */

/** One entry of Discord's `_errors` lists. */
export interface FieldError {
  readonly code: string;
  readonly message: string;
}

/** Discord's nested error tree: keys follow the JSON path, leaves are `_errors` lists. */
export interface ErrorTree {
  _errors?: FieldError[];
  [key: string]: ErrorTree | FieldError[] | undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects field errors under their JSON path. */
export class FormErrors {
  readonly tree: ErrorTree = {};
  #count = 0;

  get empty(): boolean {
    return this.#count === 0;
  }

  add(path: ReadonlyArray<string | number>, code: string, message: string): void {
    let node = this.tree;
    for (const key of path) {
      const existing = node[String(key)];
      if (existing === undefined || Array.isArray(existing)) {
        const child: ErrorTree = {};
        node[String(key)] = child;
        node = child;
      } else {
        node = existing;
      }
    }
    (node._errors ??= []).push({ code, message });
    this.#count += 1;
  }

  maxLength(path: ReadonlyArray<string | number>, value: unknown, max: number): void {
    if (typeof value === 'string' && [...value].length > max) {
      this.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
  }

  lengthBetween(path: ReadonlyArray<string | number>, value: unknown, min: number, max: number): void {
    if (typeof value !== 'string') {
      this.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
      return;
    }
    const length = [...value].length;
    if (length < min || length > max) {
      this.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`);
    }
  }

  maxItems(path: ReadonlyArray<string | number>, value: unknown, max: number): void {
    if (Array.isArray(value) && value.length > max) {
      this.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
  }
}

const MESSAGE_FLAG_IS_COMPONENTS_V2 = 1 << 15;

/** Discord's limits on one message (https://discord.com/developers/docs/resources/message#create-message). */
export function validateMessage(body: Record<string, unknown>, errors = new FormErrors()): FormErrors {
  const flags = typeof body.flags === 'number' ? body.flags : 0;
  const componentsV2 = (flags & MESSAGE_FLAG_IS_COMPONENTS_V2) !== 0;
  if (body.content !== undefined && body.content !== null) {
    if (typeof body.content !== 'string') {
      errors.add(['content'], 'STRING_TYPE_CONVERT', 'Could not interpret value as string.');
    } else if (componentsV2 && body.content !== '') {
      const message = "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2";
      errors.add(['content'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', message);
    } else {
      errors.maxLength(['content'], body.content, 2000);
    }
  }
  if (typeof body.nonce === 'string') errors.maxLength(['nonce'], body.nonce, 25);
  validateEmbeds(body.embeds, errors);
  if (!componentsV2) validateActionRows(body.components, errors);
  validateAllowedMentions(body.allowed_mentions, errors);
  return errors;
}

function validateEmbeds(embeds: unknown, errors: FormErrors): void {
  if (embeds === undefined || embeds === null) return;
  if (!Array.isArray(embeds)) {
    errors.add(['embeds'], 'LIST_TYPE_CONVERT', 'Must be an array.');
    return;
  }
  errors.maxItems(['embeds'], embeds, 10);
  let total = 0;
  const count = (value: unknown): void => {
    if (typeof value === 'string') total += [...value].length;
  };
  embeds.forEach((embed: unknown, index) => {
    if (!isRecord(embed)) return;
    const at = (...rest: Array<string | number>): Array<string | number> => ['embeds', index, ...rest];
    errors.maxLength(at('title'), embed.title, 256);
    errors.maxLength(at('description'), embed.description, 4096);
    count(embed.title);
    count(embed.description);
    if (isRecord(embed.footer)) {
      errors.maxLength(at('footer', 'text'), embed.footer.text, 2048);
      count(embed.footer.text);
    }
    if (isRecord(embed.author)) {
      errors.maxLength(at('author', 'name'), embed.author.name, 256);
      count(embed.author.name);
    }
    if (Array.isArray(embed.fields)) {
      errors.maxItems(at('fields'), embed.fields, 25);
      embed.fields.forEach((field: unknown, fieldIndex) => {
        if (!isRecord(field)) return;
        errors.lengthBetween(at('fields', fieldIndex, 'name'), field.name, 1, 256);
        errors.lengthBetween(at('fields', fieldIndex, 'value'), field.value, 1, 1024);
        count(field.name);
        count(field.value);
      });
    }
  });
  if (total > 6000) errors.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

function validateActionRows(components: unknown, errors: FormErrors): void {
  if (!Array.isArray(components)) return;
  errors.maxItems(['components'], components, 5);
  components.forEach((row: unknown, rowIndex) => {
    if (!isRecord(row) || !Array.isArray(row.components)) return;
    errors.maxItems(['components', rowIndex, 'components'], row.components, 5);
    row.components.forEach((component: unknown, index) => {
      if (!isRecord(component)) return;
      const at = (key: string): Array<string | number> => ['components', rowIndex, 'components', index, key];
      errors.maxLength(at('custom_id'), component.custom_id, 100);
      errors.maxLength(at('label'), component.label, 80);
      errors.maxLength(at('placeholder'), component.placeholder, 150);
      errors.maxItems(at('options'), component.options, 25);
    });
  });
}

function validateAllowedMentions(allowed: unknown, errors: FormErrors): void {
  if (!isRecord(allowed)) return;
  const parse = Array.isArray(allowed.parse) ? allowed.parse : [];
  for (const [index, kind] of parse.entries()) {
    if (kind !== 'users' && kind !== 'roles' && kind !== 'everyone') {
      const message = "Value must be one of {'users', 'roles', 'everyone'}.";
      errors.add(['allowed_mentions', 'parse', index], 'BASE_TYPE_CHOICES', message);
    }
  }
  for (const kind of ['users', 'roles'] as const) {
    const ids = allowed[kind];
    if (Array.isArray(ids) && ids.length > 0 && parse.includes(kind)) {
      const message = `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`;
      errors.add(['allowed_mentions'], 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE', message);
    }
    errors.maxItems(['allowed_mentions', kind], ids, 100);
  }
}

/** Discord refuses a new message with nothing to show (code 50006). */
export function isEmptyMessage(body: Record<string, unknown>, fileCount: number): boolean {
  const nonEmptyList = (value: unknown): boolean => Array.isArray(value) && value.length > 0;
  return (
    (typeof body.content !== 'string' || body.content.length === 0) &&
    !nonEmptyList(body.embeds) &&
    !nonEmptyList(body.components) &&
    !nonEmptyList(body.sticker_ids) &&
    !nonEmptyList(body.attachments) &&
    body.poll === undefined &&
    fileCount === 0
  );
}

/** Autocomplete results: at most 25 choices, names 1–100, string values at most 100. */
export function validateAutocomplete(data: unknown, errors = new FormErrors()): FormErrors {
  if (!isRecord(data) || !Array.isArray(data.choices)) {
    errors.add(['data', 'choices'], 'BASE_TYPE_REQUIRED', 'This field is required');
    return errors;
  }
  errors.maxItems(['data', 'choices'], data.choices, 25);
  data.choices.forEach((choice: unknown, index) => {
    if (!isRecord(choice)) return;
    errors.lengthBetween(['data', 'choices', index, 'name'], choice.name, 1, 100);
    errors.maxLength(['data', 'choices', index, 'value'], choice.value, 100);
  });
  return errors;
}

// Discord: chat input command and option names are lower case, 1–32 of these characters.
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Slash command definitions as sent to a bulk overwrite. */
export function validateCommands(commands: readonly unknown[]): FormErrors {
  const errors = new FormErrors();
  const seen = new Set<string>();
  let chatInputs = 0;
  commands.forEach((command: unknown, index) => {
    if (!isRecord(command)) {
      errors.add([index], 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
      return;
    }
    const type = typeof command.type === 'number' ? command.type : 1;
    if (type === 1) {
      chatInputs += 1;
      validateChatInputName(errors, [index, 'name'], command.name);
      errors.lengthBetween([index, 'description'], command.description, 1, 100);
      validateOptions(errors, [index], command.options);
    } else {
      errors.lengthBetween([index, 'name'], command.name, 1, 32);
    }
    const key = `${type}:${String(command.name)}`;
    if (seen.has(key)) {
      errors.add([index, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
    }
    seen.add(key);
  });
  if (chatInputs > 100) errors.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  return errors;
}

function validateChatInputName(errors: FormErrors, path: Array<string | number>, name: unknown): void {
  if (typeof name !== 'string') {
    errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
  } else if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
    errors.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
}

function validateOptions(errors: FormErrors, path: Array<string | number>, options: unknown): void {
  if (!Array.isArray(options)) return;
  errors.maxItems([...path, 'options'], options, 25);
  let sawOptional = false;
  options.forEach((option: unknown, index) => {
    if (!isRecord(option)) return;
    const at = [...path, 'options', index];
    validateChatInputName(errors, [...at, 'name'], option.name);
    errors.lengthBetween([...at, 'description'], option.description, 1, 100);
    if (option.required === true && sawOptional) {
      const message = 'Required options must be placed before non-required options';
      errors.add(at, 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', message);
    }
    if (option.required !== true) sawOptional = true;
    if (Array.isArray(option.choices)) {
      errors.maxItems([...at, 'choices'], option.choices, 25);
      option.choices.forEach((choice: unknown, choiceIndex) => {
        if (!isRecord(choice)) return;
        errors.lengthBetween([...at, 'choices', choiceIndex, 'name'], choice.name, 1, 100);
        errors.maxLength([...at, 'choices', choiceIndex, 'value'], choice.value, 100);
      });
    }
    // Subcommands and groups carry their own options.
    if (option.type === 1 || option.type === 2) validateOptions(errors, at, option.options);
  });
}
