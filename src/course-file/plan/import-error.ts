// Apart from the importer: the command line recognises it without loading the Markdown parser.

/** A time plan that cannot be imported, with every problem found (`file:line: …`). */
export class ImportError extends Error {
  override readonly name = 'ImportError';

  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}\n${problems.join('\n')}`);
  }
}
