import type { Nodes, Root } from 'mdast';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { toString } from 'mdast-util-to-string';

/** A Markdown document as a CommonMark + GFM tree, with YAML/TOML front matter as a node. */
export function parseMarkdown(markdown: string): Root {
  return fromMarkdown(markdown, {
    extensions: [gfm(), frontmatter(['yaml', 'toml'])],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml', 'toml'])],
  });
}

/** A link found in a piece of text: its plain label and its URL as written. */
export interface FoundLink {
  readonly label: string;
  readonly url: string;
}

export interface PlainText {
  readonly text: string;
  readonly links: readonly FoundLink[];
}

// Pictographs and their joiners/selectors/skin tones: the slide and video markers (📝 🎥) instructors put in cells.
const EMOJI = /\p{Extended_Pictographic}|\u{FE0F}|\u{200D}|\u{20E3}|[\u{1F3FB}-\u{1F3FF}]/gu;
// GitHub emoji shortcodes (`:tada:`); a letter first, so that `9:00:` is never one.
const SHORTCODE = /:[a-z][a-z0-9_+-]*:/g;
const NONE = new Set(['-', '–', '—', '--', '---', 'n/a', 'none', 'tba', 'tbd', '']);

/** Text without emoji and shortcodes, spaces collapsed. */
export function cleanText(text: string): string {
  return text
    .replace(SHORTCODE, ' ')
    .replace(EMOJI, '')
    .replace(/\s+/g, ' ')
    .replace(/([([]) | ([)\],.;:!?])/g, '$1$2')
    .trim()
    .replace(/^[-•*] (?=\S)/, '');
}

/** A cell's cleaned text, or '' when it says "none" ("-", "—", "n/a", "TBA"). */
export function valueOf(text: string): string {
  // "[ ]" and "[x]": a checkbox an instructor ticks off, not a value.
  return NONE.has(text.toLowerCase()) || /^\[[ xX]?\]$/.test(text) ? '' : text;
}

// 📝 marks slides and 🎥 a recording in the DTU time plans.
function markerOf(raw: string): string {
  if (/🎥|📹|🎬|📺/u.test(raw)) return 'Recording';
  if (/📝|📄|📑|🖼/u.test(raw)) return 'Slides';
  return '';
}

/**
 * The plain text a student should read from a piece of Markdown (emphasis, code, HTML, `<br>` and emoji
 * stripped; a link keeps its text), and the links it held.
 */
export function plainText(nodes: readonly Nodes[]): PlainText {
  const links: FoundLink[] = [];
  const parts: string[] = [];
  const walk = (node: Nodes): void => {
    switch (node.type) {
      case 'text':
      case 'inlineCode':
        parts.push(node.value);
        return;
      case 'html':
        // Inline HTML comes tag by tag; the text between tags is a text node of its own.
        parts.push(/^<br\b|^<\/?(p|div|li|ul|ol|tr|td)\b/i.test(node.value) ? ' ' : node.value.startsWith('<') ? '' : node.value);
        return;
      case 'break':
        parts.push(' ');
        return;
      // Struck-out text is what the instructor withdrew: "~~jQuery~~ React" now means React.
      case 'delete':
      case 'image':
      case 'imageReference':
      case 'footnoteReference':
      case 'yaml':
      case 'definition':
        return;
      case 'link': {
        const inner = plainText(node.children);
        const label = [markerOf(toString(node)), inner.text].filter(Boolean).join(': ') || inner.text;
        links.push({ label, url: node.url }, ...inner.links);
        parts.push(' ', inner.text, ' ');
        return;
      }
      default:
        if ('children' in node) {
          for (const child of node.children) walk(child);
          if (node.type === 'paragraph' || node.type === 'heading' || node.type === 'listItem') parts.push(' ');
        }
    }
  };
  for (const node of nodes) walk(node);
  return { text: cleanText(parts.join('')), links };
}
