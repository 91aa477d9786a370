import type { Command } from '../../core/commands/command.js';
import type { types } from '@slack/bolt';
import type { Link, Message, MessageTime, Section } from '../../core/messages.js';
import { cut, pack } from '../text.js';

// Bolt re-exports @slack/types only as a namespace; it is not a dependency of its own here.
type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;
type MrkdwnElement = types.MrkdwnElement;

/**
 * Slack's limits on what a bot posts (docs.slack.dev Block Kit reference, as written in `@slack/types`:
 * header 150, section text 3000, 10 fields of 2000, text objects 3000, button text 75 and url 3000, 50 blocks;
 * `chat.postMessage` text 40 000).
 */
export const LIMITS = {
  text: 40_000,
  /** Our choice: with blocks, `text` only shows in notifications and where blocks cannot be shown. */
  fallbackText: 3000,
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextText: 3000,
  buttonText: 75,
  buttonUrl: 3000,
  /** Our choice, as on Discord: an actions block allows 25 elements. */
  buttons: 5,
  /** Our choice: a bold heading above a section's lines. */
  heading: 150,
  /** Our choice: a link whose target is longer is shown as its label only. */
  linkUrl: 1000,
} as const;

/** The `action_id` of the link buttons: Slack sends a `block_actions` payload for them when interactivity is on. */
export const LINK_ACTION = /^link-\d+$/;

export { cut };

/**
 * Text as Slack shows it literally: `&`, `<` and `>` become entities, so `<!channel>`, `<!here>`, `<@U123>` or
 * `<#C1>` in course data never notify or link anyone.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `raw` cut, then turned into Slack text by `render`, so that the result is at most `max` characters. Cutting
 * before rendering keeps entities (`&amp;`) and links whole; rendering may lengthen the text, so the cut shrinks
 * until it fits.
 */
function fit(raw: string, max: number, render: (text: string) => string = escapeText): string {
  if (max < 1) return '';
  let limit = max;
  for (;;) {
    const rendered = render(cut(raw, limit));
    if (rendered.length <= max || limit <= 1) return rendered;
    limit = Math.max(1, Math.min(limit - 1, Math.floor((limit * max) / rendered.length)));
  }
}

// A URL in escaped text: it ends at whitespace, an escaped < or >, `|` or the `…` of a cut.
const BARE_URL = /https?:\/\/(?:(?!&lt;|&gt;)[^\s<>|…])+/g;

/**
 * Bare URLs as Slack links. Every mrkdwn text is sent `verbatim` (Slack would otherwise parse mentions such as
 * `@here` in it), and verbatim text is not auto-linked, so course text gets its links here.
 */
function linkify(escaped: string): string {
  return escaped.replace(BARE_URL, (match, offset: number) => {
    let url = match.replace(/[.,;:!?\]'"*_~]+$/, '');
    // A closing bracket ends the URL unless the URL opened it: `(see https://x.org)`, `https://w.org/A_(b)`.
    while (url.endsWith(')') && (url.match(/\)/g) ?? []).length > (url.match(/\(/g) ?? []).length) {
      url = url.slice(0, -1).replace(/[.,;:!?\]'"*_~]+$/, '');
    }
    // A URL the cut ran into would link somewhere else.
    if (escaped.endsWith('…') && offset + match.length === escaped.length - 1) return match;
    return `<${url}>${match.slice(url.length)}`;
  });
}

/** Course text as safe mrkdwn of at most `max` characters: escaped, its URLs linked. */
function mrkdwn(raw: string, max: number): string {
  return fit(raw, max, (text) => linkify(escapeText(text)));
}

/** The target of a `<url|label>` link: `|` and `>` would end it early, a bare `&` could start an entity. */
function linkTarget(url: string): string {
  return escapeText(url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E'));
}

function text(value: string): MrkdwnElement {
  return { type: 'mrkdwn', text: value, verbatim: true };
}

function section(value: string): SectionBlock {
  return { type: 'section', text: text(value) };
}


/** `*Heading*`, or nothing for an empty heading. */
function bold(heading: string): string {
  const trimmed = heading.trim();
  return trimmed ? `*${mrkdwn(trimmed, LIMITS.heading)}*` : '';
}

// The longest line under a heading: a section's text holds the heading, `(continued)` and one such line.
const LINE = LIMITS.sectionText - LIMITS.heading - 20;

/**
 * A bold heading over lines (mrkdwn already, each at most {@link LINE} long) as section blocks, the lines
 * continuing under `Heading (continued)` where they overflow one.
 */
function headedBlocks(rawHeading: string, lines: readonly string[]): SectionBlock[] {
  const heading = bold(rawHeading);
  const continued = heading && `${heading.slice(0, -1)} (continued)*`;
  const chunks = pack(lines, LIMITS.sectionText - continued.length - 1);
  if (chunks.length === 0) return heading ? [section(heading)] : [];
  return chunks.map((chunk, index) => {
    const top = index === 0 ? heading : continued;
    return section(top ? `${top}\n${chunk}` : chunk);
  });
}

/** A section as one or more section blocks: its bold heading, then its lines. */
function sectionBlocks(part: Section): SectionBlock[] {
  return headedBlocks(part.heading, part.lines.map((line) => mrkdwn(line, LINE)));
}

/** An inline section as one field, when it fits in one. */
function field(part: Section): MrkdwnElement | undefined {
  const value = [bold(part.heading), ...part.lines.map((line) => mrkdwn(line, LIMITS.fieldText))].filter(Boolean).join('\n');
  return value && value.length <= LIMITS.fieldText ? text(value) : undefined;
}

/** Sections in order: runs of inline ones side by side as fields (ten to a block), the others as text. */
function bodyBlocks(sections: readonly Section[]): SectionBlock[] {
  const blocks: SectionBlock[] = [];
  let fields: MrkdwnElement[] = [];
  const flush = () => {
    if (fields.length) blocks.push({ type: 'section', fields });
    fields = [];
  };
  for (const part of sections) {
    const inline = part.inline ? field(part) : undefined;
    if (inline) {
      fields.push(inline);
      if (fields.length === LIMITS.sectionFields) flush();
      continue;
    }
    flush();
    blocks.push(...sectionBlocks(part));
  }
  flush();
  return blocks;
}

/**
 * The instant in each reader's own zone and clock: Slack's date token, with the course-zone text as the
 * fallback for clients that cannot format it. The one `<!…>` sequence this renderer writes itself.
 */
function timeBlock(time: MessageTime): SectionBlock {
  const label = bold(time.label);
  const room = LIMITS.sectionText - label.length - 80;
  const local = fit(time.local, room);
  const ms = Date.parse(time.at);
  const when = Number.isNaN(ms) ? local : `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${local}>`;
  return section(label ? `${label}\n${when}` : when);
}

/** `• <url|label> — description`, at most 1720 characters: well within {@link LINE}. */
function linkLine(link: Link): string {
  const label = fit(link.label.replace(/\s+/g, ' ').trim() || link.url, 200);
  const target = linkTarget(link.url);
  const shown = target.length <= LIMITS.linkUrl ? `<${target}|${label}>` : label;
  const description = link.description ? ` — ${mrkdwn(link.description, 500)}` : '';
  return `• ${shown}${description}`;
}

/** Up to five links as url buttons, more (or over-long ones) as sections of mrkdwn links. */
function linkBlocks(links: readonly Link[]): KnownBlock[] {
  if (links.length === 0) return [];
  if (links.length <= LIMITS.buttons && links.every((link) => link.url.length <= LIMITS.buttonUrl)) {
    const actions: types.ActionsBlock = {
      type: 'actions',
      elements: links.map(
        (link, index): types.Button => ({
          type: 'button',
          action_id: `link-${index}`,
          text: { type: 'plain_text', text: fit(link.label.trim() || link.url, LIMITS.buttonText), emoji: true },
          url: link.url,
        }),
      ),
    };
    return [actions];
  }
  return headedBlocks('Links', links.map(linkLine));
}

/** What Slack needs to post a message: blocks, and the plain-text fallback for notifications. */
export interface SlackPayload {
  text: string;
  blocks: KnownBlock[];
}

export interface RenderOptions {
  /** A marker the bot can find its own message by later (in the context block, after the footer). */
  readonly marker?: string;
}

/**
 * What turns `/week` into `/mlops-week` in the bot's texts, when its commands are registered with a prefix
 * (Slack's slash commands are not namespaced): students read the commands as they must type them. Only the
 * bot's own command names, as words of their own (not inside a URL or a path); no prefix: texts unchanged.
 */
export function commandNamer(commands: readonly Command[], prefix: string): (text: string) => string {
  if (!prefix) return (text) => text;
  const names = [...new Set(commands.map((command) => command.group ?? command.name))]
    .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
  const mention = new RegExp(`(^|[\\s(\`'"“‘])/(${names})(?![\\w/-])`, 'g');
  return (text) => text.replace(mention, (_whole, before: string, name: string) => `${before}/${prefix}${name}`);
}

/** `footer · marker`: the marker whole, the footer cut to what is left. */
function footerBlock(footer: string | undefined, marker: string | undefined): types.ContextBlock | undefined {
  const tail = marker ? fit(marker, LIMITS.contextText) : '';
  const room = LIMITS.contextText - (tail ? tail.length + 3 : 0);
  const head = footer?.trim() ? mrkdwn(footer, room) : '';
  const value = [head, tail].filter(Boolean).join(' · ');
  return value ? { type: 'context', elements: [text(value)] } : undefined;
}

/**
 * A neutral message as Block Kit within Slack's limits: the title as a header, the description, the lecture
 * time as a Slack date (each reader sees their own local time), sections (short inline ones side by side), up
 * to five links as url buttons and more as mrkdwn links, and the footer with the marker. Course text is escaped
 * and sent verbatim, so nothing in it notifies anyone; past 50 blocks the last sections give way to a note.
 */
export function renderMessage(message: Message, options: RenderOptions = {}): SlackPayload {
  const head: KnownBlock[] = [];
  if (message.title.trim()) {
    const header: types.HeaderBlock = { type: 'header', text: { type: 'plain_text', text: fit(message.title, LIMITS.headerText), emoji: true } };
    head.push(header);
  }
  if (message.description?.trim()) head.push(section(mrkdwn(message.description, LIMITS.sectionText)));
  if (message.time) head.push(timeBlock(message.time));
  const body: KnownBlock[] = [...bodyBlocks(message.sections), ...linkBlocks(message.links)];
  const footer = footerBlock(message.footer, options.marker);
  const tail: KnownBlock[] = footer ? [footer] : [];
  const room = LIMITS.blocks - head.length - tail.length;
  const kept = body.length <= room ? body : body.slice(0, room - 1);
  if (kept.length < body.length) {
    kept.push({ type: 'context', elements: [text(`… ${body.length - kept.length} more not shown`)] });
  }
  return { text: fit(message.text, LIMITS.fallbackText), blocks: [...head, ...kept, ...tail] };
}

/** A plain error or notice: one verbatim section, escaped, so nothing in it notifies anyone. */
export function renderText(value: string): SlackPayload {
  const shown = mrkdwn(value, LIMITS.sectionText);
  return { text: fit(value, LIMITS.fallbackText), blocks: shown.trim() ? [section(shown)] : [] };
}
