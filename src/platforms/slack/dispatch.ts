import * as z from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Command, CourseEntry } from '../../core/commands/command.js';
import { type CommandRequest, Invoker, PreparedInvocation, type ScopeResolver, oneCourseScope } from '../../core/commands/invoke.js';
import type { Course } from '../../core/course/model.js';
import type { Actor, ScheduleAdmin } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import { type Logger, commandLog } from '../../log.js';
import type { CommandOutcome } from '../../observability/metrics.js';
import { commandOutcome, errorRef, explainError } from '../respond.js';
import { mapText, type Message } from '../../core/messages.js';
import { commandNamer, renderMessage, renderText } from './render.js';

/** What Slack sends for a slash command (the fields the bot reads). */
export interface SlashCommandPayload {
  readonly command: string;
  readonly text: string;
  readonly user_id: string;
  readonly user_name?: string;
  readonly channel_id?: string;
  readonly team_id?: string;
}

/** The fields the bot reads, as Slack sends them; `text` may be left out when empty. */
const payloadSchema = z
  .object({
    command: z.string().regex(/^\/[^\s]{1,64}$/),
    text: z.string().max(10_000).default(''),
    user_id: z.string().min(1).max(64),
    user_name: z.string().max(200).optional(),
    channel_id: z.string().max(64).optional(),
    team_id: z.string().max(64).optional(),
  })
  .loose();

/** What a user sees when a request could not be read (only a malformed payload gets it). */
export const MALFORMED_REQUEST = 'This command arrived garbled, so nothing was done. Please run it again.';

/** An answer as Slack takes it in an ack or through the response URL. */
export interface SlackReply {
  readonly response_type: 'ephemeral' | 'in_channel';
  readonly text: string;
  readonly blocks?: readonly unknown[];
}

export interface SlackDispatchDeps {
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly replyVisibility: 'ephemeral' | 'public';
  /** `mlops-` when commands are registered as `/mlops-today`. */
  readonly prefix: string;
  readonly isInstructor: (userId: string) => Promise<boolean>;
  readonly admin?: ScheduleAdmin;
  /** Students' reminder settings (`/remind`). */
  readonly reminders?: ReminderSettings;
  /** Chooses each request's course (by where it was asked); without one, every request is for `course`. */
  readonly scope?: ScopeResolver;
  /** The courses the deployment serves, as they are now: `/help` lists them when there are several. */
  readonly courses?: () => readonly CourseEntry[];
}

/** The names the bot answers as Slack slash commands: `/today`…, and one `/course` for the group. */
export function slashCommandNames(commands: readonly Command[], prefix = ''): string[] {
  return [...new Set(commands.map((command) => `/${prefix}${command.group ?? command.name}`))];
}

/** How long `/help` waits to learn whether the asker is an instructor (Slack wants the answer within 3 s). */
const INSTRUCTOR_CHECK_MS = 1_000;

/** Whether the user is an instructor, or false when that takes longer than `ms` (a slow user-group lookup). */
async function instructorWithin(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([check.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The one place from a Slack slash command to its answer. Student commands answer in the ack itself
 * (well inside Slack's 3 s); instructor commands ack at once, check who asks, act, then answer through
 * the response URL. Errors are ephemeral; unexpected ones are logged with a reference.
 */
export async function handleSlashCommand(
  request: SlashCommandPayload,
  ack: (reply?: SlackReply) => Promise<void>,
  respond: (reply: SlackReply) => Promise<unknown>,
  deps: SlackDispatchDeps,
): Promise<CommandOutcome> {
  const named = commandNamer(deps.commands, deps.prefix);
  const ephemeral = (text: string): SlackReply => ({ response_type: 'ephemeral', ...renderText(named(text)) });
  const rendered = (message: Message) => renderMessage(deps.prefix ? mapText(message, named) : message);
  const checked = payloadSchema.safeParse(request);
  if (!checked.success) {
    deps.logger.warn({ problem: checked.error.issues.map((issue) => issue.path.join('.')).join(', ') }, 'malformed slash command payload: refused');
    await ack(ephemeral(MALFORMED_REQUEST));
    return 'user_error';
  }
  const payload = checked.data;
  const name = payload.command.replace(/^\//, '').slice(deps.prefix.length);
  const fields = { command: name, user: payload.user_id };
  const log = commandLog(deps.logger, fields);
  const actor: Actor = { platform: 'slack', id: payload.user_id, ...(payload.user_name && { name: payload.user_name }) };
  const asked: CommandRequest = {
    place: { platform: 'slack', ...(payload.team_id && { guildId: payload.team_id }), ...(payload.channel_id && { channelId: payload.channel_id }) },
    asker: { actor },
  };
  // A `course:<id>` word in the text names the course; the invocation step takes it out of the line.
  const prepared = invoker(deps).prepare(asked, { line: `/${name} ${payload.text}`.trim() }, log);
  if (!(prepared instanceof PreparedInvocation)) {
    await ack(ephemeral(prepared.ok ? prepared.message.text : prepared.text));
    return commandOutcome(prepared);
  }
  if (prepared.instructorsOnly) {
    // Instructor commands may take a while (posting, reloading), and the check may ask Slack: acknowledge first.
    await ack();
    const answer = await prepared.run();
    await respond(answer.ok ? { response_type: 'ephemeral', ...rendered(answer.message) } : ephemeral(answer.text));
    return commandOutcome(answer);
  }
  const answer = await prepared.run();
  await ack(
    answer.ok
      ? { response_type: deps.replyVisibility === 'public' && prepared.shareable ? 'in_channel' : 'ephemeral', ...rendered(answer.message) }
      : ephemeral(answer.text),
  );
  deps.logger.debug(fields, answer.ok ? 'answered' : 'refused');
  return commandOutcome(answer);
}

/** The one course's scope, for dispatchers given no resolver: its instructors as `isInstructor` says. */
function singleCourse(deps: SlackDispatchDeps): ScopeResolver {
  return (request) =>
    oneCourseScope(request, {
      course: deps.course(),
      ...(deps.admin && { admin: deps.admin }),
      ...(deps.reminders && { reminders: deps.reminders }),
      instructor: () => (request.asker.actor ? deps.isInstructor(request.asker.actor.id) : false),
    });
}

function invoker(deps: SlackDispatchDeps): Invoker {
  return new Invoker({
    commands: deps.commands,
    clock: deps.clock,
    scope: deps.scope ?? singleCourse(deps),
    explain: explainError,
    // `/help` is answered in the ack: a slow user-group lookup makes the asker a student, not the answer late.
    personalCheck: (check) => instructorWithin(check, INSTRUCTOR_CHECK_MS),
    ref: errorRef,
    ...(deps.courses && { courses: deps.courses }),
  });
}
