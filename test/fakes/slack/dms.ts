import { SlackApiError } from './model.js';
import type { Workspace } from './workspace.js';

/**
 * Direct messages as Slack has them for a bot: `conversations.open` with `users` opens (or returns) the DM with a
 * user (`user_not_found` for anyone not in the workspace); `chat.postMessage` to it, or straight to the user id,
 * lands there, unless the user turned off messages from the app (`cannot_dm_bot`).
 */
export class SlackDms {
  /** Users who do not take messages from the app. */
  readonly closed = new Set<string>();
  /** DM channel ids by user id. */
  readonly opened = new Map<string, string>();
  #next = 1;

  constructor(private readonly workspace: Workspace) {}

  /** conversations.open `{ users }` (one user: the bot's DM with them). */
  open(args: Record<string, unknown>): Record<string, unknown> {
    const users = typeof args.users === 'string' ? args.users.split(',').filter(Boolean) : [];
    if (users.length !== 1) throw new SlackApiError(users.length === 0 ? 'users_list_not_supplied' : 'not_implemented');
    return { channel: { id: this.#channelOf(users[0]!) } };
  }

  /** The channel a `chat.postMessage` goes to: a user id means the DM with them. Throws `cannot_dm_bot` for a closed DM. */
  resolve(channel: unknown): unknown {
    const user = typeof channel === 'string' && this.workspace.users.has(channel) ? channel : [...this.opened].find(([, id]) => id === channel)?.[0];
    if (user === undefined) return channel;
    if (this.closed.has(user)) throw new SlackApiError('cannot_dm_bot');
    return this.#channelOf(user);
  }

  #channelOf(user: string): string {
    if (!this.workspace.users.has(user)) throw new SlackApiError('user_not_found');
    let id = this.opened.get(user);
    if (id === undefined) {
      id = `D0DM${String(this.#next++).padStart(6, '0')}`;
      this.opened.set(user, id);
      this.workspace.channels.set(id, { id, name: id, botIsMember: true, members: new Set([user]), messages: [] });
    }
    return id;
  }
}
