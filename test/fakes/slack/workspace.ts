import {
  type FakeChannelSpec,
  type FakeUserSpec,
  type MessageMetadata,
  type RecordedMessage,
  SlackApiError,
  type StoredMessage,
} from './model.js';

/** Who the bot is: the ids stamped on every message it posts. */
export interface BotIdentity {
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
}

/** A channel's state: membership and its messages, oldest first. */
export interface Channel {
  readonly id: string;
  readonly name: string;
  botIsMember: boolean;
  readonly members: ReadonlySet<string>;
  readonly messages: RecordedMessage[];
}

/** What a new channel message carries besides its text. */
export interface NewMessage {
  readonly text: string;
  readonly blocks?: unknown[];
  readonly metadata?: MessageMetadata;
  readonly threadTs?: string;
  readonly via: RecordedMessage['via'];
  readonly flags?: Readonly<Record<string, boolean | string>>;
}

/** `conversations.history` arguments after parsing. */
export interface HistoryQuery {
  readonly oldest?: string;
  readonly latest?: string;
  readonly inclusive: boolean;
  readonly limit: number;
  readonly cursor?: string;
  readonly includeMetadata: boolean;
}

/** One page of history, newest first. */
export interface HistoryPage {
  readonly messages: StoredMessage[];
  readonly has_more: boolean;
  readonly next_cursor?: string;
}

/** A Slack ts ("1700000000.000100") as integer microseconds, so comparisons are exact. */
export function tsToMicros(ts: string): number {
  const [seconds = '', fraction = ''] = ts.split('.');
  if (!/^\d+$/.test(seconds) || !/^\d*$/.test(fraction)) return Number.NaN;
  return Number(seconds) * 1_000_000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

function microsToTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** The message without the fake's own bookkeeping, as the API returns it. */
export function view(message: RecordedMessage, includeMetadata = true): StoredMessage {
  const { channel: _channel, via: _via, flags: _flags, metadata, ...stored } = message;
  return includeMetadata && metadata ? { ...stored, metadata } : stored;
}

/** The workspace's state: channels with their messages, users, user groups, and the clock that issues `ts`. */
export class Workspace {
  readonly channels = new Map<string, Channel>();
  readonly users = new Map<string, FakeUserSpec>();
  readonly usergroups = new Map<string, readonly string[]>();
  #lastMicros = 0;

  constructor(
    readonly bot: BotIdentity,
    channels: readonly FakeChannelSpec[],
    users: readonly FakeUserSpec[],
    usergroups: Readonly<Record<string, readonly string[]>>,
    private readonly now: () => number,
  ) {
    for (const user of users) this.users.set(user.id, user);
    for (const spec of channels) {
      this.channels.set(spec.id, {
        id: spec.id,
        name: spec.name,
        botIsMember: spec.botIsMember ?? true,
        members: new Set(spec.members ?? users.map((user) => user.id)),
        messages: [],
      });
    }
    for (const [id, members] of Object.entries(usergroups)) this.usergroups.set(id, [...members]);
  }

  /** A new, strictly increasing ts from the clock (microseconds bumped when two land in the same one). */
  nextTs(): string {
    this.#lastMicros = Math.max(Math.floor(this.now() * 1000), this.#lastMicros + 1);
    return microsToTs(this.#lastMicros);
  }

  /** A channel by id, or by name with or without `#`, as Slack's `channel` argument accepts. */
  channel(idOrName: unknown): Channel {
    if (typeof idOrName !== 'string' || idOrName === '') throw new SlackApiError('channel_not_found');
    const byId = this.channels.get(idOrName);
    if (byId) return byId;
    const name = idOrName.replace(/^#/, '');
    const byName = [...this.channels.values()].find((channel) => channel.name === name);
    if (!byName) throw new SlackApiError('channel_not_found');
    return byName;
  }

  /** A channel the bot is in; `not_in_channel` otherwise. */
  joinedChannel(idOrName: unknown): Channel {
    const channel = this.channel(idOrName);
    if (!channel.botIsMember) throw new SlackApiError('not_in_channel');
    return channel;
  }

  post(channel: Channel, message: NewMessage): RecordedMessage {
    const { bot } = this;
    const recorded: RecordedMessage = {
      type: 'message',
      ts: this.nextTs(),
      user: bot.botUserId,
      bot_id: bot.botId,
      app_id: bot.appId,
      team: bot.teamId,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      ...(message.metadata ? { metadata: message.metadata } : {}),
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      channel: channel.id,
      via: message.via,
      flags: message.flags ?? {},
    };
    channel.messages.push(recorded);
    return recorded;
  }

  message(channel: Channel, ts: unknown): RecordedMessage {
    const found = channel.messages.find((message) => message.ts === ts);
    if (!found) throw new SlackApiError('message_not_found');
    return found;
  }

  delete(channel: Channel, ts: string): void {
    const index = channel.messages.findIndex((message) => message.ts === ts);
    if (index >= 0) channel.messages.splice(index, 1);
  }

  /** `conversations.history`: newest first, thread replies left out, `oldest`/`latest` exclusive unless `inclusive`. */
  history(channel: Channel, query: HistoryQuery): HistoryPage {
    const oldest = query.oldest === undefined ? 0 : tsToMicros(query.oldest);
    const latest = query.latest === undefined ? Number.POSITIVE_INFINITY : tsToMicros(query.latest);
    if (Number.isNaN(oldest)) throw new SlackApiError('invalid_ts_oldest');
    if (Number.isNaN(latest)) throw new SlackApiError('invalid_ts_latest');
    let from = Number.POSITIVE_INFINITY;
    if (query.cursor !== undefined) {
      const decoded = Buffer.from(query.cursor, 'base64').toString('utf8');
      const match = /^next_ts:(\d+\.\d+)$/.exec(decoded);
      if (!match?.[1]) throw new SlackApiError('invalid_cursor');
      from = tsToMicros(match[1]);
    }
    const inRange = (micros: number): boolean =>
      micros <= from &&
      (query.inclusive ? micros >= oldest && micros <= latest : micros > oldest && micros < latest);
    const matching = channel.messages
      .filter((message) => message.thread_ts === undefined || message.thread_ts === message.ts)
      .filter((message) => inRange(tsToMicros(message.ts)))
      .reverse();
    const page = matching.slice(0, query.limit);
    const next = matching[query.limit];
    return {
      messages: page.map((message) => view(message, query.includeMetadata)),
      has_more: next !== undefined,
      ...(next ? { next_cursor: Buffer.from(`next_ts:${next.ts}`).toString('base64') } : {}),
    };
  }
}
