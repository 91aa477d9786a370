/** Text cut to `max` characters at a word or line boundary where one is near, ending in `…`. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never split a surrogate pair (an emoji) in two.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
  const head = text.slice(0, end);
  const boundary = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
  return `${(boundary > max * 0.6 ? head.slice(0, boundary) : head).trimEnd()}…`;
}

/** Lines (each cut to `max`) packed into as few texts of at most `max` characters as fit. */
export function pack(lines: readonly string[], max: number): string[] {
  const texts: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = cut(raw, max);
    if (current && current.length + 1 + line.length > max) {
      texts.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) texts.push(current);
  return texts;
}
