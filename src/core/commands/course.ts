import { morningAnnouncement, weeklyAnnouncement } from '../announcement.js';
import { today } from '../course/calendar.js';
import { type ScheduleChange, describeChange } from '../course/changes.js';
import { formatLongDate } from '../course/dates.js';
import { UserFacingError } from '../errors.js';
import { type Message, message } from '../messages.js';
import type { Actor, ChangeOutcome, ChangeRecord, ScheduleAdmin } from '../ports.js';
import { type CommandContext, type OptionDefinition, defineCommand } from './command.js';
import { suggestSessionDates } from './today.js';

const GROUP = 'course';

function sessionDate<const N extends string>(name: N, description: string, required = true) {
  return { name, type: 'date', description, required, suggest: suggestSessionDates } as const satisfies OptionDefinition;
}

/** The instructor actions, and who asks: platforms without them cannot change the schedule. */
function admin(context: CommandContext): { readonly admin: ScheduleAdmin; readonly actor: Actor } {
  if (!context.admin || !context.actor) {
    throw new UserFacingError('forbidden', 'Schedule changes are not available here.');
  }
  return { admin: context.admin, actor: context.actor };
}

/** `PyTorch, Hydra` → list; `-` or `none` → empty (clears). */
function frameworkList(value: string): string[] {
  if (/^(-|none)$/i.test(value.trim())) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function who(actor: Actor): string {
  return actor.name ?? actor.id;
}

/** `#3 · 27 Nov 14:02 · alice` */
function stamp(record: ChangeRecord, zone: string): string {
  const at = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(new Date(record.at));
  return `#${record.id} · ${at} · ${who(record.actor)}`;
}

/** Whether `/course undo` would take something back: a change neither undone nor in the course file. */
function undoable(actions: ScheduleAdmin): boolean {
  return actions.history().some((entry) => entry.record.undoneAt === undefined && !entry.inFile);
}

function changed(context: CommandContext, outcome: ChangeOutcome, verb = 'Done', undoLeft = true): Message {
  return message({
    title: `${verb}: ${describeChange(outcome.record.change)}`,
    description: outcome.noticed
      ? 'It touches the next 7 days: students are told in the announcement channel, and a posted announcement is updated.'
      : 'It is more than a week away: no notice is posted now; students see it in /week and /schedule.',
    sections: [{ heading: 'Change', lines: [stamp(outcome.record, context.course.timezone)] }],
    footer:
      verb === 'Undone'
        ? `${undoLeft ? '/course undo takes back the one before · ' : ''}/course history lists every change`
        : '/course undo takes it back · /course history lists every change',
  });
}

async function record(context: CommandContext, change: ScheduleChange): Promise<Message> {
  const { admin: actions, actor } = admin(context);
  return changed(context, await actions.change(change, actor));
}

const editCommand = defineCommand({
  group: GROUP,
  name: 'edit',
  description: "Change a session's topic, frameworks or note",
  audience: 'instructors',
  options: [
    sessionDate('date', 'The session, as YYYY-MM-DD'),
    { name: 'topic', type: 'string', description: 'The new presentation topic' },
    { name: 'frameworks', type: 'string', description: 'Comma-separated, such as "PyTorch, Hydra"; "-" for none' },
    { name: 'note', type: 'string', description: 'A note students see with the session; "-" removes it' },
  ],
  run(context, { date, topic, frameworks, note }) {
    if (topic === undefined && frameworks === undefined && note === undefined) {
      throw new UserFacingError('bad-option', '/course edit needs at least one of topic, frameworks or note.');
    }
    return record(context, {
      kind: 'edit',
      date: date!,
      ...(topic !== undefined && { topic }),
      ...(frameworks !== undefined && { frameworks: frameworkList(frameworks) }),
      ...(note !== undefined && { note: /^-$/.test(note.trim()) ? null : note }),
    });
  },
});

const cancelCommand = defineCommand({
  group: GROUP,
  name: 'cancel',
  description: 'Cancel a session (it stays listed, marked cancelled)',
  audience: 'instructors',
  options: [sessionDate('date', 'The session, as YYYY-MM-DD'), { name: 'reason', type: 'string', description: 'Why, for the students' }],
  run(context, { date, reason }) {
    return record(context, { kind: 'cancel', date: date!, ...(reason !== undefined && { reason }) });
  },
});

const moveCommand = defineCommand({
  group: GROUP,
  name: 'move',
  description: 'Move a session to another date',
  audience: 'instructors',
  options: [
    sessionDate('from', 'The session, as YYYY-MM-DD'),
    { name: 'to', type: 'date', description: 'Its new date, as YYYY-MM-DD', required: true },
  ],
  run(context, { from, to }) {
    return record(context, { kind: 'move', from: from!, to: to! });
  },
});

const addCommand = defineCommand({
  group: GROUP,
  name: 'add',
  description: 'Add a session on a free date',
  audience: 'instructors',
  options: [
    { name: 'date', type: 'date', description: 'The date, as YYYY-MM-DD', required: true },
    { name: 'topic', type: 'string', description: 'The presentation topic', required: true },
    { name: 'frameworks', type: 'string', description: 'Comma-separated, such as "Docker, GCP"' },
  ],
  run(context, { date, topic, frameworks }) {
    return record(context, {
      kind: 'add',
      date: date!,
      topic: topic!,
      ...(frameworks !== undefined && { frameworks: frameworkList(frameworks) }),
    });
  },
});

const undoCommand = defineCommand({
  group: GROUP,
  name: 'undo',
  description: 'Take back the latest schedule change',
  audience: 'instructors',
  options: [],
  async run(context) {
    const { admin: actions, actor } = admin(context);
    const outcome = await actions.undo(actor);
    if (!outcome) return message({ title: 'Nothing to undo', description: 'There are no schedule changes left to take back.' });
    return changed(context, outcome, 'Undone', undoable(actions));
  },
});

const HISTORY_LIMIT = 20;

const historyCommand = defineCommand({
  group: GROUP,
  name: 'history',
  description: 'Every schedule change: who, when, what',
  audience: 'instructors',
  options: [],
  run(context) {
    const entries = admin(context).admin.history();
    if (entries.length === 0) {
      return message({ title: 'No schedule changes yet', description: 'The schedule is the course file as it is.' });
    }
    const shown = entries.slice(-HISTORY_LIMIT);
    const lines = shown.map(({ record: entry, skipped, inFile }) => {
      const state = entry.undoneAt
        ? ` — undone${entry.undoneBy ? ` by ${who(entry.undoneBy)}` : ''}`
        : skipped
          ? ` — not applied: ${skipped}`
          : inFile
            ? ' — in the course file'
            : '';
      return `${stamp(entry, context.course.timezone)} · ${describeChange(entry.change)}${state}`;
    });
    return message({
      title: `Schedule changes (${entries.length})`,
      description: lines.join('\n'),
      footer: entries.length > shown.length ? `The latest ${shown.length} of ${entries.length}.` : `Times in ${context.course.timezone}.`,
    });
  },
});

const previewCommand = defineCommand({
  group: GROUP,
  name: 'preview',
  description: 'The morning announcement of a day, as it would be posted',
  audience: 'instructors',
  options: [sessionDate('date', 'Another day than today, as YYYY-MM-DD', false)],
  run({ course, now }, { date }) {
    const day = date ?? today(course, now);
    const weekly = weeklyAnnouncement(course, day);
    const daily = morningAnnouncement(course, day);
    if (!daily) {
      return message({
        title: `No announcement on ${formatLongDate(day)}`,
        description: 'There is no session that day, so nothing is posted.',
        footer: course.name,
      });
    }
    if (!weekly) return daily;
    return message({
      ...daily,
      footer: `${course.name} · the weekly overview "${weekly.title}" is posted before it`,
    });
  },
});

const announceCommand = defineCommand({
  group: GROUP,
  name: 'announce',
  description: "Post today's announcement now (once: never twice)",
  audience: 'instructors',
  slow: true,
  options: [],
  async run(context) {
    const { admin: actions, actor } = admin(context);
    const outcome = await actions.announce(actor);
    if (outcome.nothing) return message({ title: 'Nothing posted', description: outcome.nothing });
    const lines = [
      ...outcome.sent.map((key) => `Posted: ${key}`),
      ...outcome.already.map((key) => `Already posted earlier: ${key}`),
      ...outcome.busy.map((key) => `Being posted by another instance: ${key}`),
      ...outcome.failed.map((key) => `Failed (see the instructor channel or the log): ${key}`),
    ];
    return message({
      title: outcome.failed.length ? "Today's announcement could not be posted" : "Today's announcement",
      description: lines.join('\n') || 'Nothing was due.',
    });
  },
});

const reloadCommand = defineCommand({
  group: GROUP,
  name: 'reload',
  description: 'Read the course file again now',
  audience: 'instructors',
  slow: true,
  options: [],
  async run(context) {
    const { admin: actions, actor } = admin(context);
    const outcome = await actions.reload(actor);
    if (!outcome.ok) {
      return message({
        title: 'The course file was not reloaded',
        description: 'It has errors; the last good schedule stays live.',
        sections: [{ heading: 'Errors', lines: outcome.problems.slice(0, 10) }],
      });
    }
    const again = outcome.recovered ? 'Course file accepted again: its errors are fixed. ' : '';
    return message({
      title: outcome.changed ? 'Course file reloaded' : 'The course file has not changed',
      description: outcome.changed
        ? `${again}The new schedule is live; changes in the next 7 days are announced.`
        : `${again}Nothing to do: the schedule is already what the file says.`,
    });
  },
});

/** `/course …`: the instructors' commands, in the order `/course` lists them. */
export const courseCommands = [
  editCommand,
  cancelCommand,
  moveCommand,
  addCommand,
  undoCommand,
  historyCommand,
  previewCommand,
  announceCommand,
  reloadCommand,
] as const;
