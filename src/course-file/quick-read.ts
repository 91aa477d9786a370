import { FAILSAFE_SCHEMA, type LoadOptions, Type, load } from 'js-yaml';
import { YAML_LIMITS, ownText } from './yaml-guard.js';

/**
 * The quick reader of a course file: the plain data of YAML text that uses nothing but mappings, lists and
 * scalars, read with js-yaml, which reads a large file about ten times faster than the `yaml` library (a
 * course of 10,000 sessions: 0.1–0.2 s against 1.5 s; the `yaml` library's lexer alone takes 0.4 s).
 *
 * It is only ever a shortcut to the same answer: when it returns data, the full reader of `read.ts` (the
 * `yaml` library, with its guards and every problem located at its line) would return exactly that data.
 * Whatever could make the two differ is left to the full reader, which decides:
 *  - text with what the two read differently or the full reader guards on its own terms (`SCREEN` lists it:
 *    anchors, aliases, tags, merge keys, directives, explicit keys, tabs …); the screen is by characters,
 *    so a topic like `Say *hello*` goes the full way too (it costs time, not truth);
 *  - anything js-yaml refuses or warns about, more than one document, or a document that is not a mapping;
 *  - a key that is empty or null (`~:`), since js-yaml names it "null" where the full reader names it "";
 *  - nesting near the depth limit, a mapping with more keys than the limit, more values than the limit.
 * Scalars are resolved as the full reader resolves them (YAML 1.2's core schema, the `yaml` library's own
 * patterns, in its order). A differential test (`test/course-file/quick-read.test.ts`) holds the two readers
 * to the same data on thousands of mutated course files.
 *
 * One limit is the full reader's alone: `YAML_LIMITS.tokens` bounds what locating problems costs (the
 * `yaml` library's tree). A file the quick reader reads whole has no problem to locate, so it is not
 * counted; see `read.ts` for what is said of a file over it that has a problem.
 */

/** What the quick reader made of a text. */
export type QuickRead =
  /** The plain data, exactly as the full reader would have it. */
  | { readonly ok: true; readonly data: unknown }
  /** Not read: the full reader decides. */
  | { readonly ok: false };

const NAN_OR_INFINITY = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** The `yaml` library's core schema tags (src/schema/core), pattern for pattern and in its order. */
const CORE_SCALARS = [
  new Type('tag:yaml.org,2002:null', { kind: 'scalar', resolve: matches(/^(?:~|[Nn]ull|NULL)?$/), construct: () => null }),
  new Type('tag:yaml.org,2002:bool', {
    kind: 'scalar',
    resolve: matches(/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/),
    construct: (text: string) => text[0] === 't' || text[0] === 'T',
  }),
  new Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    // intOct, int, intHex.
    resolve: matches(/^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/),
    construct: (text: string) =>
      text.startsWith('0o') ? parseInt(text.slice(2), 8) : text.startsWith('0x') ? parseInt(text.slice(2), 16) : parseInt(text, 10),
  }),
  new Type('tag:yaml.org,2002:float', {
    kind: 'scalar',
    // floatNaN, floatExp, float.
    resolve: matches(/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/),
    construct: (text: string) =>
      NAN_OR_INFINITY.test(text)
        ? text.slice(-3).toLowerCase() === 'nan'
          ? NaN
          : text[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY
        : parseFloat(text),
  }),
];

function matches(pattern: RegExp): (text: string) => boolean {
  return (text) => typeof text === 'string' && pattern.test(text);
}

const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: CORE_SCALARS });

/**
 * What sends a text to the full reader (see above), wherever it is (in a quoted text too): after the start
 * of a line, a space, `:` or a flow indicator, an anchor or alias with its name (`&a`, `*a`: `Weights &
 * Biases` is read quickly), a tag (`!`), an explicit key (`? `); a directive (`%` starting a line); `<<`;
 * a list or mapping as a key (`[a, b]: 1`), and a list or mapping inside a flow one (`{[a]}` is a key
 * too, and only a tree tells the two apart: JSON-style files go the full way); a list item that is a list
 * (`- -`: js-yaml reads `- -` and the next item as one) or an item with nothing after its dash on the
 * line (js-yaml takes a less indented `-` below it as the same list's); a comment not set apart by a
 * space where the full reader wants one (`"a"#`, `[]#`); a block scalar's indentation indicator (`|2`:
 * the readers differ on a line of spaces after it); tabs, a CR that is not part of a CRLF, and the
 * characters YAML reads as line breaks or refuses (controls, U+2028, U+2029, a byte order mark inside).
 */
const SCREEN =
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  /(?:^|[\s,[\]{}:])(?:[&*][^\s,[\]{}]|!|\?(?:\s|$))|<<|^%|[\]}] *:|["'\]}[{,]#|[|>][-+]?[1-9]|[[{,][ \r\n]*[[{]|(?:^|\s)-[ ]+-(?:\s|$)|(?:^|\s)-[ ]*(?:#.*)?\r?$|\r(?!\n)|[\t\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF]/m;

/** Below the full reader's depth limit with room to spare: js-yaml counts every node, scalars too. */
const MAX_DEPTH = YAML_LIMITS.depth - 2;

/** Reads `source` (a course file's text, its byte order mark removed) if the quick reader may. */
export function quickRead(source: string): QuickRead {
  if (SCREEN.test(source) || longLine(source)) return { ok: false };
  let warned = false;
  let data: unknown;
  try {
    const options: LoadOptions & { maxDepth: number } = {
      schema: SCHEMA,
      maxDepth: MAX_DEPTH,
      onWarning: () => {
        warned = true;
      },
    };
    data = load(source, options);
  } catch {
    // A syntax error, a limit of js-yaml's own, anything: the full reader says what it is.
    return { ok: false };
  }
  if (warned || typeof data !== 'object' || data === null || Array.isArray(data) || !plain(data)) return { ok: false };
  return { ok: true, data };
}

/**
 * Whether a line is longer than the full reader lets a key be (1,024 characters from its start to its `:`;
 * js-yaml has no such bound): only there can a key be that long, since a key is on one line.
 */
function longLine(source: string): boolean {
  let start = 0;
  while (start < source.length) {
    const end = source.indexOf('\n', start);
    if ((end < 0 ? source.length : end) - start > 1024) return true;
    if (end < 0) break;
    start = end + 1;
  }
  return false;
}

/**
 * Whether data read by js-yaml is within the full reader's limits and names every key as it does: walks it
 * once, without recursion (the depth is bounded, but a stack of its own costs nothing). Each text in it is
 * made its own (`ownText`: js-yaml's values are slices of its copy of the whole file).
 */
function plain(root: object): boolean {
  // The full reader's count (`checkAliases`), or more: 1 for each value, each collection, each key and each pair.
  let values = 1;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      values += node.length;
      for (let index = 0; index < node.length; index += 1) {
        const item: unknown = node[index];
        if (typeof item === 'string') node[index] = ownText(item);
        else stack.push(item);
      }
    } else {
      const map = node as Record<string, unknown>;
      const keys = Object.keys(map);
      if (keys.length > YAML_LIMITS.keys) return false;
      values += keys.length * 3;
      for (const key of keys) {
        if (key === 'null') return false;
        const value = map[key];
        if (typeof value === 'string') map[key] = ownText(value);
        else stack.push(value);
      }
    }
    if (values > YAML_LIMITS.nodes) return false;
  }
  return true;
}
