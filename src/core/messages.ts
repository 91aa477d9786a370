/** A link the platforms show as a markdown link or a button. */
export interface Link {
  readonly label: string;
  readonly url: string;
  /** A sentence about what is behind the link. */
  readonly description?: string;
}

/** A titled block of lines (an embed field on Discord, a section block on Slack). */
export interface Section {
  readonly heading: string;
  readonly lines: readonly string[];
  /** A hint that the section is short enough to sit beside others. */
  readonly inline?: boolean;
}

/** An instant worth showing in each reader's own time where the platform can (Discord timestamps). */
export interface MessageTime {
  readonly label: string;
  /** ISO 8601 instant with offset. */
  readonly at: string;
  /** The same instant written in the course's zone, for platforms that cannot localise. */
  readonly local: string;
}

/**
 * What every command and announcement returns. It knows no platform; each platform renders it,
 * and `text` is the plain-text fallback (terminal output, notifications, Slack's `text`).
 */
export interface Message {
  readonly title: string;
  readonly description?: string;
  readonly sections: readonly Section[];
  readonly links: readonly Link[];
  readonly time?: MessageTime;
  readonly footer?: string;
  readonly text: string;
}

export type MessageParts = Omit<Message, 'text' | 'sections' | 'links'> &
  Partial<Pick<Message, 'sections' | 'links'>>;

/** Builds a message and its plain-text fallback from its parts. */
export function message(parts: MessageParts): Message {
  const sections = parts.sections ?? [];
  // The first link of each URL (a Set: a search over the list per link grew with the square of its length).
  const seen = new Set<string>();
  const links = (parts.links ?? []).filter((link) => !seen.has(link.url) && seen.add(link.url));
  const built = { ...parts, sections, links };
  let text: string | undefined;
  return {
    ...built,
    // Built when a platform asks for it: Discord renders embeds and never does.
    get text() {
      return (text ??= plainText(built));
    },
  };
}

/** The same message with `rewrite` applied to every text in it (titles, lines, labels; not link URLs). */
export function mapText(original: Message, rewrite: (text: string) => string): Message {
  const optional = (text: string | undefined) => (text === undefined ? undefined : rewrite(text));
  const description = optional(original.description);
  const footer = optional(original.footer);
  return message({
    title: rewrite(original.title),
    ...(description !== undefined && { description }),
    ...(footer !== undefined && { footer }),
    ...(original.time && { time: { ...original.time, label: rewrite(original.time.label) } }),
    sections: original.sections.map((section) => ({ ...section, heading: rewrite(section.heading), lines: section.lines.map(rewrite) })),
    links: original.links.map((link) => {
      const about = optional(link.description);
      return { ...link, label: rewrite(link.label), ...(about !== undefined && { description: about }) };
    }),
  });
}

/**
 * The plain-text rendering: title and description, then the sections in order (runs of one-line
 * sections as `Heading: value` lines, longer ones as indented blocks), the links, and the footer.
 */
function plainText(parts: Omit<Message, 'text'>): string {
  const blocks: string[] = [[parts.title, parts.description].filter(Boolean).join('\n')];
  let facts: string[] = parts.time ? [`${parts.time.label}: ${parts.time.local}`] : [];
  for (const section of parts.sections) {
    if (section.lines.length === 1) {
      facts.push(`${section.heading}: ${section.lines[0]}`);
      continue;
    }
    if (facts.length) blocks.push(facts.join('\n'));
    facts = [];
    blocks.push([`${section.heading}:`, ...section.lines.map((line) => `  ${line}`)].join('\n'));
  }
  if (facts.length) blocks.push(facts.join('\n'));
  if (parts.links.length) {
    const lines = parts.links.flatMap((link) => [
      `  ${link.label}: ${link.url}`,
      ...(link.description ? [`    ${link.description}`] : []),
    ]);
    blocks.push(['Links:', ...lines].join('\n'));
  }
  if (parts.footer) blocks.push(`— ${parts.footer}`);
  return blocks.join('\n\n');
}
