import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How a command ended: answered, refused to a non-instructor, a user's mistake, a bug, or unanswered because
 * the platform had already given up on it (Discord: 10062 expired, 40060 already acknowledged).
 */
export type CommandOutcome = 'ok' | 'refused' | 'user_error' | 'error' | 'unanswered';

/** One answered (or refused) command, as dispatchers report it. */
export interface CommandEvent {
  readonly platform: string;
  /** `today`, `course edit`. */
  readonly command: string;
  readonly outcome: CommandOutcome;
  readonly seconds: number;
}

/** What dispatchers call after each command (metrics; a no-op where none are kept). */
export type CommandObserver = (event: CommandEvent) => void;

/**
 * Why an interaction went unanswered: `shed` (already too old when the bot got to it, dropped before any
 * work), `expired` (the platform refused the answer: Discord 10062 Unknown interaction) or `acknowledged`
 * (someone answered it first: Discord 40060).
 */
export type DroppedInteraction = 'shed' | 'expired' | 'acknowledged';

/** What adapters call for each interaction they drop (metrics; a no-op where none are kept). */
export type DropObserver = (platform: string, why: DroppedInteraction) => void;

/** What happened to one announcement or notice: `sent`, `recovered`, `failed`, `busy`, `missed`. */
export type AnnouncementObserver = (outcome: string, key: string) => void;

/**
 * The bot's Prometheus metrics, in their own registry (`GET /metrics`): commands by name and outcome,
 * reply latency, announcements by outcome, the Discord gateway ping, and Node's process metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #commands: Counter<'platform' | 'command' | 'outcome'>;
  readonly #latency: Histogram<'platform'>;
  readonly #announcements: Counter<'kind' | 'outcome'>;
  readonly #shed: Counter<'platform'>;
  readonly #refused: Counter<'platform' | 'reason'>;
  readonly #pings = new Map<string, () => number | undefined>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'course_bot_' });
    this.#commands = new Counter({
      name: 'course_bot_commands_total',
      help: 'Slash commands answered, by platform, command and outcome (ok, refused, user_error, error, unanswered)',
      labelNames: ['platform', 'command', 'outcome'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'course_bot_reply_seconds',
      help: 'Time from receiving a command to handing its answer to the platform',
      labelNames: ['platform'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#announcements = new Counter({
      name: 'course_bot_announcements_total',
      help: 'Announcements and notices, by kind (daily, weekly, notice) and outcome (sent, recovered, failed, busy, missed)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#shed = new Counter({
      name: 'course_bot_interactions_shed_total',
      help: 'Interactions dropped unanswered, before any work, because they were already too old to answer in time',
      labelNames: ['platform'],
      registers,
    });
    this.#refused = new Counter({
      name: 'course_bot_interaction_answers_refused_total',
      help: 'Answers the platform refused because the interaction had expired (expired: Discord 10062) or was answered already (acknowledged: 40060; with two instances on one token, both answer each student command and Discord takes the first)',
      labelNames: ['platform', 'reason'],
      registers,
    });
    const pings = this.#pings;
    new Gauge({
      name: 'course_bot_gateway_ping_seconds',
      help: "The platform gateway's last heartbeat round trip (Discord)",
      labelNames: ['platform'],
      registers,
      collect() {
        for (const [platform, ping] of pings) {
          const ms = ping();
          if (ms !== undefined && ms >= 0) this.set({ platform }, ms / 1000);
        }
      },
    });
  }

  readonly command: CommandObserver = (event) => {
    this.#commands.inc({ platform: event.platform, command: event.command, outcome: event.outcome });
    this.#latency.observe({ platform: event.platform }, event.seconds);
  };

  readonly announcement: AnnouncementObserver = (outcome, key) => {
    const kind = /:(daily|weekly|notice)[-:]/.exec(key)?.[1] ?? 'other';
    this.#announcements.inc({ kind, outcome });
  };

  readonly dropped: DropObserver = (platform, why) => {
    if (why === 'shed') this.#shed.inc({ platform });
    else this.#refused.inc({ platform, reason: why });
  };

  /** Reports a platform's gateway ping (ms; undefined or negative while unknown). */
  gatewayPing(platform: string, ping: () => number | undefined): void {
    this.#pings.set(platform, ping);
  }
}
