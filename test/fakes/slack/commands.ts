import { randomBytes, randomUUID } from 'node:crypto';
import { type RecordedResponse, SlackApiError } from './model.js';
import { isRecord, parseContent } from './validate.js';
import type { Workspace } from './workspace.js';

/**
 * What a test says about a slash command invocation; the rest is filled in (the first user, the first channel, the
 * fake's team and app). Any other field given is sent as is.
 */
export interface SlashCommandInput {
  readonly command: string;
  readonly text?: string;
  readonly user_id?: string;
  readonly channel_id?: string;
  readonly [field: string]: string | undefined;
}

/** The slash command payload, as Slack sends it in a Socket Mode envelope and (form-encoded) over HTTP. */
export type SlashCommandPayload = Record<string, string> & {
  readonly command: string;
  readonly response_url: string;
  readonly trigger_id: string;
};

/** What the fake answered a response URL POST. */
export interface ResponseReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface ResponseUrl {
  readonly command: string;
  readonly channel: string;
  readonly user: string;
  readonly createdAt: number;
  uses: number;
  /** The in_channel message this URL last posted, for replace_original and delete_original. */
  lastTs?: string;
}

// Slack: a response_url can be used up to five times within 30 minutes.
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** What {@link SlashCommands} needs from the fake. */
export interface CommandsOptions {
  readonly workspace: Workspace;
  readonly teamDomain: string;
  readonly verificationToken: string;
  readonly now: () => number;
  readonly baseUrl: () => string;
  readonly changed: () => void;
}

/** Slash command payloads and their response URLs: what Slack sends the app and what it accepts back. */
export class SlashCommands {
  /** Every response accepted, in order. */
  readonly responses: RecordedResponse[] = [];
  readonly #urls = new Map<string, ResponseUrl>();

  constructor(private readonly options: CommandsOptions) {}

  /** Builds a payload and registers its response URL. */
  payload(input: SlashCommandInput): SlashCommandPayload {
    const { workspace, now } = this.options;
    const { command, text, user_id, channel_id, ...extra } = input;
    if (!command.startsWith('/')) throw new Error(`slash command must start with "/": ${command}`);
    const user = user_id ?? workspace.users.keys().next().value;
    const channel = channel_id ?? workspace.channels.keys().next().value;
    if (user === undefined || channel === undefined) throw new Error('FakeSlack needs a user and a channel');
    const id = randomBytes(12).toString('hex');
    this.#urls.set(id, { command, channel, user, createdAt: now(), uses: 0 });
    const seconds = Math.floor(now() / 1000);
    const defined = Object.entries(extra).filter((entry): entry is [string, string] => entry[1] !== undefined);
    return {
      token: this.options.verificationToken,
      team_id: workspace.bot.teamId,
      team_domain: this.options.teamDomain,
      channel_id: channel,
      channel_name: workspace.channels.get(channel)?.name ?? 'privategroup',
      user_id: user,
      user_name: workspace.users.get(user)?.name ?? 'unknown',
      command,
      text: text ?? '',
      api_app_id: workspace.bot.appId,
      is_enterprise_install: 'false',
      response_url: `${this.options.baseUrl()}/response/${id}`,
      trigger_id: `${seconds}.${workspace.bot.teamId.slice(1)}.${randomUUID().replaceAll('-', '')}`,
      ...Object.fromEntries(defined),
    };
  }

  /** The response URL id of a payload built here (its last path segment). */
  static responseId(payload: SlashCommandPayload): string {
    return payload.response_url.slice(payload.response_url.lastIndexOf('/') + 1);
  }

  /**
   * Applies a response: an ephemeral one is only recorded, an in_channel one is also posted to the channel (or
   * replaces the message this URL posted before, with `replace_original`); `delete_original` removes that message.
   */
  respond(id: string, body: unknown, via: RecordedResponse['via']): ResponseReply {
    const url = this.#urls.get(id);
    const { now, workspace } = this.options;
    if (!url || now() - url.createdAt > RESPONSE_URL_LIFETIME_MS) {
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    }
    if (via === 'response_url' && url.uses >= RESPONSE_URL_USES) {
      return { status: 404, body: { ok: false, error: 'used_url' } };
    }
    if (!isRecord(body)) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const record = { responseId: id, via, command: url.command, channel: url.channel, user: url.user, body };
    const channel = workspace.channels.get(url.channel);
    if (body.delete_original === true || body.delete_original === 'true') {
      if (via === 'response_url') url.uses += 1;
      if (channel && url.lastTs) workspace.delete(channel, url.lastTs);
      this.#record({ ...record, at: now() });
      return { status: 200, body: { ok: true } };
    }
    let content: { text: string; blocks?: unknown[] };
    try {
      content = parseContent(body);
    } catch (error) {
      if (error instanceof SlackApiError) return { status: 400, body: { ok: false, error: error.error } };
      throw error;
    }
    if (via === 'response_url') url.uses += 1;
    let ts: string | undefined;
    if (body.response_type === 'in_channel' && channel) {
      const replace = body.replace_original === true || body.replace_original === 'true';
      const previous = replace ? channel.messages.find((message) => message.ts === url.lastTs) : undefined;
      if (previous) {
        previous.text = content.text;
        if (content.blocks) previous.blocks = content.blocks;
        else delete previous.blocks;
        previous.edited = { user: workspace.bot.botUserId, ts: workspace.nextTs() };
        ts = previous.ts;
      } else {
        ts = workspace.post(channel, { ...content, via }).ts;
      }
      url.lastTs = ts;
    }
    this.#record({ ...record, at: now(), ...(ts ? { ts } : {}) });
    return { status: 200, body: { ok: true } };
  }

  #record(response: RecordedResponse): void {
    this.responses.push(response);
    this.options.changed();
  }
}
