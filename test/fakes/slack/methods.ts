import { type FakeUserSpec, type RecordedEphemeral, SlackApiError } from './model.js';
import { flag, optionalString, parseBlocks, parseContent, parseMetadata } from './validate.js';
import { type Workspace, view } from './workspace.js';
import type { SlackDms } from './dms.js';

/** A Web API method: which token it takes and what it answers (without `ok`), or a thrown {@link SlackApiError}. */
export interface MethodSpec {
  readonly token: 'bot' | 'app';
  readonly handle: (args: Record<string, unknown>) => Record<string, unknown>;
}

/** The state and identity the methods work on. */
export interface MethodsContext {
  readonly workspace: Workspace;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly botName: string;
  readonly ephemerals: RecordedEphemeral[];
  /** Issues a one-time Socket Mode URL. */
  readonly openConnection: () => string;
  readonly now: () => number;
  /** Direct messages (`conversations.open`, posts to a user or DM). */
  readonly dms?: SlackDms;
}

// Slack: conversations.history's default and largest page.
const HISTORY_DEFAULT_LIMIT = 100;
const HISTORY_MAX_LIMIT = 999;

const FLAGS = ['unfurl_links', 'unfurl_media', 'mrkdwn', 'link_names', 'reply_broadcast'] as const;

function messageFlags(args: Record<string, unknown>): Record<string, boolean | string> {
  const flags: Record<string, boolean | string> = {};
  for (const name of FLAGS) if (args[name] !== undefined) flags[name] = flag(args[name]);
  if (typeof args.parse === 'string') flags.parse = args.parse;
  return flags;
}

function historyLimit(value: unknown): number {
  const limit = Number(value ?? HISTORY_DEFAULT_LIMIT);
  if (!Number.isFinite(limit) || limit < 1) return HISTORY_DEFAULT_LIMIT;
  return Math.min(Math.floor(limit), HISTORY_MAX_LIMIT);
}

function nonEmpty(value: unknown): string | undefined {
  const text = optionalString(value);
  return text === '' ? undefined : text;
}

/** Seconds east of UTC in `zone` at `instant`, as `users.info` reports `tz_offset`. */
function zoneOffsetSeconds(zone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const part = (type: string): number => Number(parts.find((candidate) => candidate.type === type)?.value);
  const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return Math.round((local - Math.floor(instant / 1000) * 1000) / 1000);
}

/** The Web API methods the fake implements, by name. */
export function buildMethods(context: MethodsContext): Map<string, MethodSpec> {
  const { workspace, ephemerals } = context;
  const { bot } = workspace;
  const methods = new Map<string, MethodSpec>();
  const add = (name: string, handle: MethodSpec['handle'], token: MethodSpec['token'] = 'bot'): void => {
    methods.set(name, { token, handle });
  };

  // Slack: only the app-level token (xapp-…, connections:write) may open a Socket Mode connection.
  add('apps.connections.open', () => ({ url: context.openConnection() }), 'app');

  add('auth.test', () => ({
    url: `https://${context.teamDomain}.slack.com/`,
    team: context.teamName,
    user: context.botName,
    team_id: bot.teamId,
    user_id: bot.botUserId,
    bot_id: bot.botId,
    is_enterprise_install: false,
  }));

  add('chat.postMessage', (args) => {
    const channel = workspace.joinedChannel(context.dms ? context.dms.resolve(args.channel) : args.channel);
    const content = parseContent(args);
    const metadata = parseMetadata(args.metadata);
    const threadTs = nonEmpty(args.thread_ts);
    const message = workspace.post(channel, {
      ...content,
      ...(metadata ? { metadata } : {}),
      ...(threadTs ? { threadTs } : {}),
      via: 'chat.postMessage',
      flags: messageFlags(args),
    });
    return { channel: channel.id, ts: message.ts, message: view(message) };
  });

  add('chat.postEphemeral', (args) => {
    const channel = workspace.joinedChannel(args.channel);
    const user = nonEmpty(args.user);
    if (user === undefined || !workspace.users.has(user)) throw new SlackApiError('user_not_found');
    if (!channel.members.has(user)) throw new SlackApiError('user_not_in_channel');
    const content = parseContent(args);
    const threadTs = nonEmpty(args.thread_ts);
    const messageTs = workspace.nextTs();
    ephemerals.push({
      channel: channel.id,
      user,
      message_ts: messageTs,
      ...content,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return { message_ts: messageTs };
  });

  add('chat.update', (args) => {
    const channel = workspace.channel(args.channel);
    const message = workspace.message(channel, args.ts);
    // Slack: an absent field keeps its value; an empty `blocks` removes the blocks.
    const text = args.text === undefined ? message.text : (optionalString(args.text) ?? '');
    const blocks = args.blocks === undefined ? message.blocks : parseBlocks(args.blocks);
    const content = parseContent({ text, ...(blocks ? { blocks } : {}) });
    const metadata = parseMetadata(args.metadata);
    message.text = content.text;
    if (content.blocks) message.blocks = content.blocks;
    else delete message.blocks;
    if (metadata) message.metadata = metadata;
    message.edited = { user: bot.botUserId, ts: workspace.nextTs() };
    return { channel: channel.id, ts: message.ts, text: message.text, message: view(message) };
  });

  if (context.dms) add('conversations.open', (args) => context.dms!.open(args));

  add('conversations.history', (args) => {
    const channel = workspace.joinedChannel(args.channel);
    const oldest = nonEmpty(args.oldest);
    const latest = nonEmpty(args.latest);
    const cursor = nonEmpty(args.cursor);
    const page = workspace.history(channel, {
      ...(oldest ? { oldest } : {}),
      ...(latest ? { latest } : {}),
      ...(cursor ? { cursor } : {}),
      inclusive: flag(args.inclusive),
      limit: historyLimit(args.limit),
      includeMetadata: flag(args.include_all_metadata),
    });
    return {
      messages: page.messages,
      has_more: page.has_more,
      pin_count: 0,
      ...(page.next_cursor ? { response_metadata: { next_cursor: page.next_cursor } } : {}),
    };
  });

  add('usergroups.users.list', (args) => {
    const id = nonEmpty(args.usergroup);
    if (id === undefined) throw new SlackApiError('invalid_arguments');
    const users = workspace.usergroups.get(id);
    if (!users) throw new SlackApiError('no_such_subteam');
    return { users: [...users] };
  });

  add('users.info', (args) => {
    const id = nonEmpty(args.user);
    if (id === bot.botUserId) {
      return { user: { id, team_id: bot.teamId, name: context.botName, is_bot: true, deleted: false } };
    }
    const user: FakeUserSpec | undefined = id === undefined ? undefined : workspace.users.get(id);
    if (!user) throw new SlackApiError('user_not_found');
    const tz = user.tz ?? 'Europe/Berlin';
    const realName = user.realName ?? user.name;
    return {
      user: {
        id: user.id,
        team_id: bot.teamId,
        name: user.name,
        deleted: false,
        real_name: realName,
        tz,
        tz_offset: zoneOffsetSeconds(tz, context.now()),
        is_bot: false,
        is_admin: false,
        profile: { real_name: realName, display_name: user.name },
      },
    };
  });

  return methods;
}
