import { randomUUID } from 'node:crypto';
import type { Message } from '../../core/messages.js';
import type { Messenger } from '../../core/ports.js';
import type { DirectMessenger } from '../../core/reminders.js';

/** Terminal mode's "channel": announcements are printed. */
export class TerminalMessenger implements Messenger {
  readonly target = 'terminal';

  constructor(readonly output: NodeJS.WritableStream) {}

  post(message: Message): Promise<{ id: string }> {
    this.output.write(`\n📣 ${message.text}\n\n`);
    return Promise.resolve({ id: randomUUID() });
  }

  /** A printed message cannot change: the new version is printed, marked as an update. */
  edit(_id: string, message: Message): Promise<void> {
    this.output.write(`\n✏️ Updated announcement:\n${message.text}\n\n`);
    return Promise.resolve();
  }

  /** What was printed cannot be read back: a crash between printing and recording may print twice. */
  findPosted(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  report(text: string): Promise<void> {
    this.output.write(`\n⚠ ${text}\n\n`);
    return Promise.resolve();
  }

  /**
   * What the bot tells instructors (a course file refused or accepted again, a state database lost), printed
   * in the chat: whoever runs the terminal is the course's instructor.
   */
  tell(text: string): Promise<void> {
    this.output.write(`\n🔔 ${text}\n\n`);
    return Promise.resolve();
  }
}

/** Terminal mode's direct messages: the reminder is printed for whoever runs the terminal. */
export class TerminalDirectMessenger implements DirectMessenger {
  readonly platform = 'terminal';

  constructor(readonly output: NodeJS.WritableStream) {}

  send(_userId: string, message: Message): Promise<{ id: string }> {
    this.output.write(`\n⏰ Reminder: ${message.text}\n\n`);
    return Promise.resolve({ id: randomUUID() });
  }

  /** What was printed cannot be read back. */
  findSent(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
}
