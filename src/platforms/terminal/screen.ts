import type { Interface } from 'node:readline';
import { clearLine, cursorTo } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * The interactive terminal chat's screen. Text that arrives while the `> ` prompt is shown (a log line, an
 * announcement) is written above it: the prompt line is cleared, the text written, and the prompt drawn
 * again with what was typed so far. Without a prompt shown, text is written as it comes.
 */
export class PromptScreen {
  readonly #output: NodeJS.WritableStream;
  #rl: Interface | undefined;
  #showing = false;

  /** `output` is where readline draws the prompt (stdout). */
  constructor(output: NodeJS.WritableStream) {
    this.#output = output;
  }

  /** Readline draws the prompt from now on; `undefined` when the chat ends. */
  attach(rl: Interface | undefined): void {
    this.#rl = rl;
    this.#showing = false;
  }

  /** Draws the prompt: the user may type. */
  prompt(): void {
    if (!this.#rl) return;
    this.#showing = true;
    this.#rl.prompt();
  }

  /** The user sent a line: the prompt is no longer shown until `prompt()`. */
  submitted(): void {
    this.#showing = false;
  }

  /** Writes `text` to `stream` above the prompt. */
  write(stream: NodeJS.WritableStream, text: string | Uint8Array): void {
    const rl = this.#rl;
    if (!rl || !this.#showing) {
      stream.write(text);
      return;
    }
    clearLine(this.#output, 0);
    cursorTo(this.#output, 0);
    stream.write(text);
    rl.prompt(true);
  }

  /** A stream that writes to `target` through the screen (logs to stderr, announcements to stdout). */
  stream(target: NodeJS.WritableStream): Writable & { isTTY?: boolean } {
    const through = new Writable({
      write: (chunk: string | Uint8Array, _encoding, done) => {
        this.write(target, chunk);
        done();
      },
    }) as Writable & { isTTY?: boolean };
    // Log formatting asks the destination whether it is a terminal (pretty, coloured lines).
    through.isTTY = Boolean((target as { isTTY?: boolean }).isTTY);
    return through;
  }
}
