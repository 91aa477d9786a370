import { type MessageMetadata, SlackApiError } from './model.js';

/** Slack's documented limits for what a bot posts. */
export const LIMITS = {
  text: 40_000,
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  blockId: 255,
  markdownText: 12_000,
} as const;

const BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Form bodies carry JSON fields as strings, JSON bodies as values; both end up as values here. */
function decodeJson(value: unknown, error: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new SlackApiError(error);
  }
}

/** `true`, `'true'` and `'1'` are true, as Slack reads boolean arguments from forms and JSON alike. */
export function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** A parameter as a string (numbers and booleans as Slack would read them); `undefined` when absent. */
export function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** `invalid_blocks` the way Slack words it: one line per problem with a JSON pointer. */
function invalidBlocks(problems: string[]): SlackApiError {
  return new SlackApiError('invalid_blocks', {
    errors: problems,
    response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) },
  });
}

function checkTextObject(value: unknown, pointer: string, max: number, problems: string[], plainOnly = false): void {
  if (!isRecord(value) || typeof value.text !== 'string') {
    problems.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  const allowed = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    problems.push(`must be one of ${allowed.join(', ')} [json-pointer:${pointer}/type]`);
  }
  if (value.text.length === 0) problems.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
  if (value.text.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`);
}

function checkBlock(block: unknown, pointer: string, problems: string[]): void {
  if (!isRecord(block) || typeof block.type !== 'string') {
    problems.push(`missing required field: type [json-pointer:${pointer}]`);
    return;
  }
  if (!BLOCK_TYPES.has(block.type)) {
    problems.push(`unsupported type: ${block.type} [json-pointer:${pointer}/type]`);
    return;
  }
  if (typeof block.block_id === 'string' && block.block_id.length > LIMITS.blockId) {
    problems.push(`must be less than ${LIMITS.blockId + 1} characters [json-pointer:${pointer}/block_id]`);
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        problems.push(`must provide either text or fields [json-pointer:${pointer}]`);
      }
      if (block.text !== undefined) checkTextObject(block.text, `${pointer}/text`, LIMITS.sectionText, problems);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > LIMITS.sectionFields) {
          problems.push(`no more than ${LIMITS.sectionFields} items allowed [json-pointer:${pointer}/fields]`);
        } else {
          block.fields.forEach((field, index) => {
            checkTextObject(field, `${pointer}/fields/${index}`, LIMITS.sectionFieldText, problems);
          });
        }
      }
      return;
    }
    case 'header':
      checkTextObject(block.text, `${pointer}/text`, LIMITS.headerText, problems, true);
      return;
    case 'context':
    case 'actions': {
      const max = block.type === 'context' ? LIMITS.contextElements : LIMITS.actionsElements;
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > max) {
        problems.push(`must provide 1 to ${max} items [json-pointer:${pointer}/elements]`);
      }
      return;
    }
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length > LIMITS.markdownText) {
        problems.push(`must be a string of at most ${LIMITS.markdownText} characters [json-pointer:${pointer}/text]`);
      }
      return;
    default:
      return;
  }
}

/** Decodes and checks `blocks` the way Slack does; `undefined` when absent. */
export function parseBlocks(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const blocks = decodeJson(value, 'invalid_blocks_format');
  if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  if (blocks.length > LIMITS.blocks) {
    throw invalidBlocks([`no more than ${LIMITS.blocks} items allowed [json-pointer:/blocks]`]);
  }
  const problems: string[] = [];
  blocks.forEach((block, index) => checkBlock(block, `/blocks/${index}`, problems));
  if (problems.length > 0) throw invalidBlocks(problems);
  return blocks as unknown[];
}

/** Decodes `metadata` (`{ event_type, event_payload }`); `undefined` when absent. */
export function parseMetadata(value: unknown): MessageMetadata | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const metadata = decodeJson(value, 'invalid_metadata_format');
  if (!isRecord(metadata) || typeof metadata.event_type !== 'string' || !isRecord(metadata.event_payload)) {
    throw new SlackApiError('invalid_metadata_format');
  }
  return { event_type: metadata.event_type, event_payload: metadata.event_payload };
}

/** The text and blocks of a message after Slack's checks: one of them is required, text at most 40 000 chars. */
export function parseContent(args: Record<string, unknown>): { text: string; blocks?: unknown[] } {
  const text = optionalString(args.text) ?? '';
  const blocks = parseBlocks(args.blocks);
  const attachments = args.attachments === undefined ? undefined : decodeJson(args.attachments, 'invalid_attachments');
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (text.trim() === '' && (blocks === undefined || blocks.length === 0) && !hasAttachments) {
    throw new SlackApiError('no_text');
  }
  if (text.length > LIMITS.text) throw new SlackApiError('msg_too_long');
  return blocks === undefined ? { text } : { text, blocks };
}

/** The parameters as recorded: JSON-valued fields decoded when they decode, left as sent otherwise. */
export function decodeForRecord(params: Record<string, unknown>): Record<string, unknown> {
  const decoded = { ...params };
  delete decoded.token;
  for (const key of ['blocks', 'attachments', 'metadata']) {
    const value = decoded[key];
    if (typeof value !== 'string') continue;
    try {
      decoded[key] = JSON.parse(value) as unknown;
    } catch {
      // Left as sent; the method answers invalid_*_format.
    }
  }
  return decoded;
}
