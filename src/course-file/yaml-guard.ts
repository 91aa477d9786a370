import { withPlainEnv } from '../config.js';
import { type CST, type Document, Lexer, type Node, type Pair, Parser, isAlias, isCollection, isMap, isPair, isScalar, isSeq } from 'yaml';
import { thousands } from '../core/text.js';

/**
 * Bounds on what the YAML of a course file may be, checked before the document is built or
 * converted, each in one pass: the YAML library builds about 300 bytes of objects per token and
 * recurses once per level, and aliases (`*name`) repeat what they name, so without them a long, deep
 * or alias-heavy file would take minutes or fill the memory. A course of 20,000 short sessions fits.
 */
export const YAML_LIMITS = {
  /**
   * Tokens the YAML text is made of (each key, value, dash, bracket, comma, comment, indent and line
   * break counts): what parsing costs, about 2 µs and up to 700 bytes each. A course of 10,000 sessions,
   * one field a line, has about 530,000. The full reader's alone: a file the quick reader reads whole
   * (`quick-read.ts`) has nothing to locate and is not counted.
   */
  tokens: 1_000_000,
  /** Mappings and lists inside each other (a course file needs 6). */
  depth: 64,
  /** Keys in one mapping (a course file's largest has 8). */
  keys: 10_000,
  /** Aliases (`*name`) in the file. */
  aliases: 100_000,
  /** Values in the document once every alias is replaced by what it names. */
  nodes: 500_000,
  /**
   * Characters of text (keys and values) once every alias is replaced by what it names: as many as a
   * file of the largest size can hold without aliases.
   */
  characters: 10 * 1024 * 1024,
} as const;

/** A problem found by the guard: where (an offset into the text) and what. */
export interface GuardIssue {
  /** Absent when the file as a whole is concerned. */
  readonly offset?: number;
  readonly message: string;
}

const count = thousands;

const TOO_MANY_TOKENS =
  `is too long to be a course file: it has more than ${count(YAML_LIMITS.tokens)} YAML tokens (keys, values, dashes, ` +
  'commas, comments, line breaks); a course file may have at most that many (a course of 10,000 sessions has about 530,000)';

/** What `parseTokens` makes of a text: the parser's tree, or the file as a whole refused for its length. */
export type ParsedTokens =
  | { readonly tokens: CST.Token[]; readonly tooMany?: undefined }
  | { readonly tokens?: undefined; readonly tooMany: GuardIssue };

/**
 * The YAML parser's tree (its CST) of `source`, lexing it once: the tokens are counted as the lexer hands
 * them to the parser, which stops at the first token past the limit (a 10 MB file of tiny values would
 * take the parser minutes and gigabytes), so what is built is never more than a file at the limit builds.
 * `onNewLine` gets the offset of each line start, as `Parser`'s own does.
 */
export function parseTokens(source: string, onNewLine?: (offset: number) => void): ParsedTokens {
  const parser = new Parser(onNewLine);
  const tokens: CST.Token[] = [];
  let lexemes = 0;
  return withPlainEnv(() => {
    onNewLine?.(0);
    for (const lexeme of new Lexer().lex(source)) {
      lexemes += 1;
      if (lexemes > YAML_LIMITS.tokens) return { tooMany: { message: TOO_MANY_TOKENS } };
      for (const token of parser.next(lexeme)) tokens.push(token);
    }
    for (const token of parser.end()) tokens.push(token);
    return { tokens };
  });
}

const DEPTH_MESSAGE =
  `mappings and lists are nested more than ${YAML_LIMITS.depth} levels deep here; ` +
  `a course file may nest at most ${YAML_LIMITS.depth} (it needs about 6)`;

/**
 * The first place the parsed text nests deeper than the limit, if any. Walks the parser's tokens
 * without recursion, so it is safe on any input.
 */
export function tooDeep(tokens: readonly CST.Token[]): GuardIssue | undefined {
  // Two stacks side by side (no pair made per token): a tree of half a million tokens is walked here.
  const stack: CST.Token[] = [];
  const depths: number[] = [];
  for (const token of tokens) {
    stack.push(token);
    depths.push(0);
  }
  while (stack.length > 0) {
    const token = stack.pop()!;
    const depth = depths.pop()!;
    if (token.type === 'document') {
      if (token.value) {
        stack.push(token.value);
        depths.push(depth);
      }
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > YAML_LIMITS.depth) return { offset: token.offset, message: DEPTH_MESSAGE };
      for (const item of token.items) {
        if ('key' in item && item.key) {
          stack.push(item.key);
          depths.push(depth + 1);
        }
        if (item.value) {
          stack.push(item.value);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}

/** A key written twice in one mapping. */
export interface DuplicateKey {
  /** Where the second one starts. */
  readonly offset: number;
  readonly key: string;
  /** The path of the key, such as `['course', 'name']`. */
  readonly path: readonly (string | number)[];
  /** Where the first one starts. */
  readonly first: number;
}

/** What `checkKeys` found: keys written twice, and the other key problems at their place. */
export interface KeyIssues {
  readonly duplicates: readonly DuplicateKey[];
  readonly issues: readonly GuardIssue[];
}

interface Visit {
  readonly node: unknown;
  readonly parent: Visit | undefined;
  /** This node's place in its parent: a key or an index. */
  readonly part: string | number | undefined;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at; at = at.parent) if (at.part !== undefined) path.push(at.part);
  return path.reverse();
}

/**
 * Checks the keys of every mapping in one pass, each mapping with a set (the YAML library's own check
 * compares every key with every other, which takes minutes on a large mapping): keys written twice,
 * mappings with more keys than the limit, and keys that are a list or a mapping (`? [a, b]`), which
 * have no place in a course file (and which plain data can only hold as text).
 */
export function checkKeys(doc: Document): KeyIssues {
  const duplicates: DuplicateKey[] = [];
  const issues: GuardIssue[] = [];
  const stack: Visit[] = [{ node: doc.contents, parent: undefined, part: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { node } = visit;
    if (isMap(node)) {
      if (node.items.length > YAML_LIMITS.keys) {
        issues.push({
          offset: rangeStart(node.items[YAML_LIMITS.keys]!.key) ?? rangeStart(node) ?? 0,
          message: `this mapping has ${count(node.items.length)} keys; a mapping in a course file may have at most ${count(YAML_LIMITS.keys)}`,
        });
      }
      const seen = new Map<unknown, Pair>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isCollection(key)) {
          issues.push({
            offset: rangeStart(key) ?? rangeStart(node) ?? 0,
            message: 'a key is a list or a mapping here; a key in a course file is a name (such as topic:)',
          });
          continue;
        }
        const name = isScalar(key) ? keyName(key.value) : undefined;
        if (isScalar(key)) {
          const first = seen.get(key.value);
          if (first) duplicates.push({ offset: rangeStart(key) ?? 0, key: name!, path: [...pathOf(visit), name!], first: rangeStart(first.key) ?? 0 });
          else seen.set(key.value, pair);
        }
        stack.push({ node: pair.value, parent: visit, part: name });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => stack.push({ node: isPair(item) ? item.value : item, parent: visit, part: index }));
    }
  }
  duplicates.sort((a, b) => a.offset - b.offset);
  return { duplicates, issues };
}

/** A scalar key as plain data names it: `~` is the empty name, `<<` (a merge key) is itself. */
export function keyName(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'symbol') return value.description ?? '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // A scalar holds text, a number or a boolean; a list or a mapping never reaches here as a key.
  return JSON.stringify(value) ?? '';
}

interface Size {
  /** Values once aliases are expanded (capped just above the limit). */
  readonly nodes: number;
  /** Collections inside each other once aliases are expanded. */
  readonly depth: number;
  /** Characters of text once aliases are expanded (capped just above the limit). */
  readonly characters: number;
}

const EMPTY: Size = { nodes: 1, depth: 0, characters: 0 };

function scalarSize(value: unknown): Size {
  return typeof value === 'string' ? { nodes: 1, depth: 0, characters: value.length } : EMPTY;
}

/**
 * Checks a composed document before it is converted to plain data: how many aliases it has, what
 * they expand to (values, characters and depth), aliases used inside their own anchor, and merge keys
 * (`<<`) whose value is not a mapping. Walks the document once, in order: an alias counts what its anchor
 * holds, computed once (only anchored values keep their size). Recursion is bounded by the nesting of
 * the document, which `tooDeep` has checked.
 */
export function checkAliases(doc: Document): GuardIssue[] {
  const issues: GuardIssue[] = [];
  const anchoredSizes = new Map<unknown, Size>();
  const open = new Set<unknown>();
  const anchors = new Map<string, Node>();
  let reported = false;
  let aliases = 0;
  const walk = (item: unknown): Size | undefined => {
    if (item === null || item === undefined) return undefined;
    if (isAlias(item)) {
      aliases += 1;
      if (aliases === YAML_LIMITS.aliases + 1) {
        issues.push({
          offset: item.range?.[0] ?? 0,
          message: `more than ${count(YAML_LIMITS.aliases)} aliases (*name) in the file; a course file may use at most that many`,
        });
      }
      const target = anchors.get(item.source);
      if (!target) {
        issues.push({
          offset: item.range?.[0] ?? 0,
          message: `the alias *${item.source} names no anchor: write &${item.source} on a value before it`,
        });
        return undefined;
      }
      if (open.has(target)) {
        issues.push({
          offset: item.range?.[0] ?? 0,
          message: `the alias *${item.source} is used inside its own anchor &${item.source}: a course file cannot contain itself`,
        });
        return EMPTY;
      }
      return anchoredSizes.get(target) ?? EMPTY;
    }
    const anchor = (item as { anchor?: unknown }).anchor;
    const anchored = typeof anchor === 'string';
    if (anchored) anchors.set(anchor, item as Node);
    const pair = isPair(item);
    const collection = !pair && isCollection(item);
    if (!pair && (!collection || item.items.length === 0)) {
      const size = collection ? { nodes: 1, depth: 1, characters: 0 } : isScalar(item) ? scalarSize(item.value) : EMPTY;
      if (anchored) anchoredSizes.set(item, size);
      return size;
    }
    if (anchored) open.add(item);
    let nodes = 1;
    let depth = 0;
    let characters = 0;
    const add = (child: unknown) => {
      const size = walk(child);
      if (!size) return;
      nodes = Math.min(nodes + size.nodes, YAML_LIMITS.nodes + 1);
      characters = Math.min(characters + size.characters, YAML_LIMITS.characters + 1);
      depth = Math.max(depth, size.depth);
    };
    if (pair) {
      add(item.key);
      add(item.value);
    } else {
      for (const child of (item as { items: unknown[] }).items) add(child);
    }
    if (anchored) open.delete(item);
    const size = { nodes, characters, depth: collection ? depth + 1 : depth };
    if (anchored) anchoredSizes.set(item, size);
    if (pair && isAlias(item.key) && isCollection(anchors.get(item.key.source))) {
      issues.push({
        offset: rangeStart(item.key) ?? 0,
        message: `the key *${item.key.source} names a list or a mapping; a key in a course file is a name (such as topic:)`,
      });
    }
    if (pair && isMergeKey(item.key) && !mergeable(item.value, anchors)) {
      issues.push({
        offset: rangeStart(item.key) ?? 0,
        message: 'a merge key (<<) takes a mapping, an alias of one (<<: *name) or a list of them',
      });
    }
    const over = tooMuch(size);
    if (!reported && over) {
      reported = true;
      // Over the limit only as a whole: no one place to point at.
      const offset = item === doc.contents ? undefined : rangeStart(pair ? item.key : item);
      issues.push({ ...(offset !== undefined && { offset }), message: over });
    }
    return size;
  };
  walk(doc.contents);
  return issues;
}

/** What an expanded size is over, in words, if anything. */
function tooMuch(size: Size): string | undefined {
  if (size.nodes > YAML_LIMITS.nodes) {
    return (
      `with its aliases (*name) expanded, the file holds more than ${count(YAML_LIMITS.nodes)} values; ` +
      'a course file may hold at most that many (repeat fewer aliases, or nest them less)'
    );
  }
  if (size.characters > YAML_LIMITS.characters) {
    return (
      `with its aliases (*name) expanded, the file holds more than ${count(YAML_LIMITS.characters)} characters of text ` +
      '(10 MB); a course file may hold at most that many (repeat a long text fewer times)'
    );
  }
  if (size.depth > YAML_LIMITS.depth) {
    return (
      `with its aliases (*name) expanded, mappings and lists nest more than ${YAML_LIMITS.depth} levels deep; ` +
      `a course file may nest at most ${YAML_LIMITS.depth}`
    );
  }
  return undefined;
}

/** A merge key: `<<` written plain (quoted, it is an ordinary key). */
export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value = key.value;
  return (typeof value === 'symbol' && value.description === '<<') || (value === '<<' && (!key.type || key.type === 'PLAIN'));
}

/** A mapping, an alias of one, or a list of those (after aliases): what a merge key can merge. */
function mergeable(value: unknown, anchors: ReadonlyMap<string, Node>): boolean {
  const resolved = isAlias(value) ? anchors.get(value.source) : value;
  if (isMap(resolved)) return true;
  if (!isSeq(resolved)) return false;
  return resolved.items.every((entry) => isMap(isAlias(entry) ? anchors.get(entry.source) : entry));
}

/** Where a YAML node (or pair key) starts in the text, when the parser recorded it. */
export function rangeStart(node: unknown): number | undefined {
  return (node as { range?: readonly number[] } | null | undefined)?.range?.[0];
}

/**
 * The plain data of a document that `checkKeys` and `checkAliases` found sound, in one pass: an alias
 * is the very value of its anchor (not a copy, and not looked up by walking the document again, as the
 * library's own conversion does for every alias), a merge key (`<<`) adds the keys its mappings have and
 * this one has not, and a key is the text of its scalar. Recursion is bounded by the nesting limit.
 */
export function toPlainData(doc: Document): unknown {
  const anchors = new Map<string, unknown>();
  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return anchors.has(node.source) ? anchors.get(node.source) : null;
    let value: unknown;
    if (isScalar(node)) {
      value = typeof node.value === 'symbol' ? keyName(node.value) : typeof node.value === 'string' ? ownText(node.value) : node.value;
    } else if (isMap(node)) {
      const map: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) {
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const source of sources.map(convert)) {
            if (typeof source !== 'object' || source === null) continue;
            for (const [key, field] of Object.entries(source)) if (!Object.hasOwn(map, key)) define(map, key, field);
          }
          continue;
        }
        const key = convert(pair.key);
        define(map, typeof key === 'object' && key !== null ? JSON.stringify(key) : keyName(key), convert(pair.value));
      }
      value = map;
    } else if (isSeq(node)) {
      // A pair written in a flow list (`[a: 1]`) is a mapping of its own: the library makes it one already.
      value = node.items.map((item) => (isPair(item) ? { [keyName(convert(item.key))]: convert(item.value) } : convert(item)));
    } else {
      value = null;
    }
    const anchor = (node as { anchor?: unknown }).anchor;
    if (typeof anchor === 'string') anchors.set(anchor, value);
    return value;
  };
  return convert(doc.contents);
}

/**
 * A text of its own. A YAML reader's values are slices of the file's text (V8 keeps a substring as a view of
 * the string it was cut from), so a course would keep the whole text alive as long as it lives: 1.9 MB for a
 * 10,000-session course. Joined to a space and cut again, the text is copied to a string of its own length.
 */
export function ownText(text: string): string {
  return ` ${text}`.slice(1);
}

/** Sets a field as data, never as the prototype (`__proto__`) or through an inherited setter. */
function define(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key in map) Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}
