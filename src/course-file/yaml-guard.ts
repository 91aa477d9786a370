import { type CST, type Document, type Node, isAlias, isCollection, isMap, isPair, isScalar, isSeq } from 'yaml';

/**
 * Bounds on what the YAML of a course file may be, checked before the document is built or
 * converted: the YAML library recurses once per level and copies each alias on conversion, so
 * without them a deep or alias-heavy file would overflow the stack or fill the memory.
 */
export const YAML_LIMITS = {
  /** Mappings and lists inside each other (a course file needs 6). */
  depth: 64,
  /** Values in the document once every alias (`*name`) is replaced by what it names. */
  nodes: 1_000_000,
} as const;

/** A problem found by the guard: where (an offset into the text) and what. */
export interface GuardIssue {
  /** Absent when the file as a whole is concerned. */
  readonly offset?: number;
  readonly message: string;
}

const DEPTH_MESSAGE =
  `mappings and lists are nested more than ${YAML_LIMITS.depth} levels deep here; ` +
  `a course file may nest at most ${YAML_LIMITS.depth} (it needs about 6)`;

/**
 * The first place the parsed text nests deeper than the limit, if any. Walks the parser's tokens
 * without recursion, so it is safe on any input.
 */
export function tooDeep(tokens: readonly CST.Token[]): GuardIssue | undefined {
  const stack: [CST.Token, number][] = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push([token.value, depth]);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > YAML_LIMITS.depth) return { offset: token.offset, message: DEPTH_MESSAGE };
      for (const item of token.items) {
        if ('key' in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

interface Size {
  /** Values once aliases are expanded (capped just above the limit). */
  readonly nodes: number;
  /** Collections inside each other once aliases are expanded. */
  readonly depth: number;
}

const LEAF: Size = { nodes: 1, depth: 0 };

/**
 * Checks a composed document before it is converted to plain data: what its aliases expand to
 * (count and depth), aliases used inside their own anchor, and merge keys (`<<`) whose value is
 * not a mapping. Walks the document once, in order, without recursion.
 */
export function checkAliases(doc: Document): GuardIssue[] {
  const issues: GuardIssue[] = [];
  const sizes = new Map<unknown, Size>();
  const open = new Set<unknown>();
  const anchors = new Map<string, Node>();
  type Frame = { readonly item: unknown; readonly exit: boolean };
  const stack: Frame[] = [{ item: doc.contents, exit: false }];
  let reported = false;
  while (stack.length > 0) {
    const { item, exit } = stack.pop()!;
    if (item === null || item === undefined) continue;
    if (!exit) {
      if (isAlias(item)) {
        const target = anchors.get(item.source);
        if (!target) {
          issues.push({
            offset: item.range?.[0] ?? 0,
            message: `the alias *${item.source} names no anchor: write &${item.source} on a value before it`,
          });
        } else if (open.has(target)) {
          issues.push({
            offset: item.range?.[0] ?? 0,
            message: `the alias *${item.source} is used inside its own anchor &${item.source}: a course file cannot contain itself`,
          });
          sizes.set(item, LEAF);
        } else {
          sizes.set(item, (target && sizes.get(target)) ?? LEAF);
        }
        continue;
      }
      const anchor = (item as { anchor?: unknown }).anchor;
      if (typeof anchor === 'string') anchors.set(anchor, item as Node);
      const children = isCollection(item) ? item.items : isPair(item) ? [item.key, item.value] : [];
      if (children.length === 0) {
        sizes.set(item, isCollection(item) ? { nodes: 1, depth: 1 } : LEAF);
        continue;
      }
      open.add(item);
      stack.push({ item, exit: true });
      for (let index = children.length - 1; index >= 0; index -= 1) stack.push({ item: children[index], exit: false });
      continue;
    }
    open.delete(item);
    const children = isCollection(item) ? item.items : isPair(item) ? [item.key, item.value] : [];
    let nodes = 1;
    let depth = 0;
    for (const child of children) {
      const size = child === null || child === undefined ? undefined : sizes.get(child);
      if (!size) continue;
      nodes = Math.min(nodes + size.nodes, YAML_LIMITS.nodes + 1);
      depth = Math.max(depth, size.depth);
    }
    const size = { nodes, depth: isCollection(item) ? depth + 1 : depth };
    sizes.set(item, size);
    if (isPair(item) && isMergeKey(item.key) && !mergeable(item.value, anchors)) {
      issues.push({
        offset: rangeStart(item.key) ?? 0,
        message: 'a merge key (<<) takes a mapping, an alias of one (<<: *name) or a list of them',
      });
    }
    if (!reported && (size.nodes > YAML_LIMITS.nodes || size.depth > YAML_LIMITS.depth)) {
      reported = true;
      // Over the limit only as a whole: no one place to point at.
      const offset = item === doc.contents ? undefined : rangeStart(isPair(item) ? item.key : item);
      issues.push({
        ...(offset !== undefined && { offset }),
        message:
          size.nodes > YAML_LIMITS.nodes
            ? `with its aliases (*name) expanded, the file holds more than ${YAML_LIMITS.nodes.toLocaleString('en-US')} values; ` +
              'a course file may hold at most that many (repeat fewer aliases, or nest them less)'
            : `with its aliases (*name) expanded, mappings and lists nest more than ${YAML_LIMITS.depth} levels deep; ` +
              `a course file may nest at most ${YAML_LIMITS.depth}`,
      });
    }
  }
  return issues;
}

function isMergeKey(key: unknown): boolean {
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
