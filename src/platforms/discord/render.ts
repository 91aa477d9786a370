import {
  type APIActionRowComponent,
  type APIButtonComponentWithURL,
  type APIEmbed,
  type APIEmbedField,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
import type { Link, Message } from '../../core/messages.js';
import { cut, pack } from '../text.js';

/** Discord's limits on a message and its embeds. */
export const LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
  buttonsPerRow: 5,
  buttonLabel: 80,
  url: 512,
} as const;

const COLOR = 0x2b6cb0;

export { cut };

/** Markdown link text: brackets in a label would end the link early. */
function linkText(link: Link): string {
  return `[${link.label.replace(/[[\]]/g, '')}](${link.url})`;
}


/** Everything Discord needs to post a message (a reply, an edit or a channel message). */
export interface DiscordPayload {
  content?: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponentWithURL>[];
  /** discord.js's name for `allowed_mentions`. */
  allowedMentions: { parse: []; roles?: string[] };
}

export interface RenderOptions {
  /** Text above the embed, e.g. a role mention in announcements. */
  readonly content?: string;
  /** The one role the content may ping (the configured announcement role). */
  readonly mentionRole?: string;
  /** A marker the bot can find its own message by later (the embed footer). */
  readonly marker?: string;
}

/**
 * A neutral message as one embed within Discord's limits: sections become fields, the lecture time
 * a Discord timestamp (each reader sees their own local time), up to five links as link buttons and
 * more as markdown links. Mentions never ping, except the one role passed in the options.
 */
export function renderMessage(message: Message, options: RenderOptions = {}): DiscordPayload {
  const fields: APIEmbedField[] = [];
  if (message.time) {
    const unix = Math.floor(Date.parse(message.time.at) / 1000);
    fields.push({ name: message.time.label, value: `<t:${unix}:t> (<t:${unix}:R>)`, inline: false });
  }
  for (const section of message.sections) {
    pack(section.lines, LIMITS.fieldValue).forEach((value, index) => {
      fields.push({
        name: cut(index === 0 ? section.heading : `${section.heading} (continued)`, LIMITS.fieldName),
        value,
        inline: section.inline ?? false,
      });
    });
  }
  const buttons = message.links.length <= LIMITS.buttonsPerRow && message.links.every((link) => link.url.length <= LIMITS.url);
  if (!buttons) {
    pack(message.links.map(linkText), LIMITS.fieldValue).forEach((value, index) => {
      fields.push({ name: index === 0 ? 'Links' : 'Links (continued)', value, inline: false });
    });
  }
  const footerText = [message.footer, options.marker].filter(Boolean).join(' · ');
  const embed: APIEmbed = {
    title: cut(message.title, LIMITS.title),
    color: COLOR,
    ...(message.description && { description: cut(message.description, LIMITS.description) }),
    ...(footerText && { footer: { text: cut(footerText, LIMITS.footer) } }),
  };
  const room = LIMITS.embedTotal - embedSize({ ...embed, description: '' }, []) - 200;
  if (embed.description && embed.description.length > room) embed.description = cut(embed.description, room);
  embed.fields = fitFields(embed, fields);
  const components: DiscordPayload['components'] = buttons && message.links.length
    ? [
        {
          type: ComponentType.ActionRow,
          components: message.links.map((link) => ({
            type: ComponentType.Button,
            style: ButtonStyle.Link,
            label: cut(link.label, LIMITS.buttonLabel),
            url: link.url,
          })),
        },
      ]
    : [];
  return {
    ...(options.content && { content: cut(options.content, LIMITS.content) }),
    embeds: [embed],
    components,
    allowedMentions: { parse: [], ...(options.mentionRole && { roles: [options.mentionRole] }) },
  };
}

/** A plain error or notice: content only, no pings. */
export function renderText(text: string): DiscordPayload {
  return { content: cut(text, LIMITS.content), embeds: [], components: [], allowedMentions: { parse: [] } };
}

function embedSize(embed: APIEmbed, fields: readonly APIEmbedField[]): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/** The fields that fit in the 25-field and 6000-character limits; the last one says what was left out. */
function fitFields(embed: APIEmbed, fields: readonly APIEmbedField[]): APIEmbedField[] {
  if (fields.length <= LIMITS.fields && embedSize(embed, fields) <= LIMITS.embedTotal) return [...fields];
  const kept = fields.slice(0, LIMITS.fields - 1);
  const note = (left: number): APIEmbedField => ({ name: '…', value: `${left} more not shown`, inline: false });
  while (kept.length > 0 && embedSize(embed, [...kept, note(fields.length - kept.length)]) > LIMITS.embedTotal) kept.pop();
  return [...kept, note(fields.length - kept.length)];
}
