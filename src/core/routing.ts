import type { Choice } from './commands/command.js';
import type { CourseTargets, DiscordTargets, SlackTargets } from './course/schema.js';
import { type Message, message } from './messages.js';

/** A course as routing sees it: its id, its name and where it lives. */
export interface RoutedCourse {
  readonly id: string;
  readonly name: string;
  readonly targets: CourseTargets;
}

export type Platform = 'discord' | 'slack';

/** Where a command was asked. */
export interface RequestPlace {
  readonly platform: Platform;
  /** The Discord server (absent in a DM), or the Slack team (one app serves one workspace: not compared). */
  readonly guildId?: string;
  readonly channelId?: string;
}

/** How a course was chosen, or the neutral answer when none could be. */
export type Route =
  | { readonly ok: true; readonly course: RoutedCourse; readonly by: 'place' | 'channel' | 'option' }
  | { readonly ok: false; readonly message: Message };

/** The most suggestions a platform shows (Discord's autocomplete limit). */
export const MAX_SUGGESTIONS = 25;

/** Discord's limit on a choice's name. */
const CHOICE_NAME_MAX = 100;

/** The name of the option commands take where the place does not decide the course. */
export const COURSE_OPTION = 'course';

/** The courses served on `platform` (with targets for it). */
function onPlatform(courses: readonly RoutedCourse[], platform: Platform): RoutedCourse[] {
  return courses.filter((course) => course.targets[platform] !== undefined);
}

/**
 * The courses of the place: on Discord those whose `guildId` is this server, and those that name no server
 * (they are everywhere, as the one course of a setup without `DISCORD_GUILD_ID` is); on Slack every course
 * with Slack targets (one app, one workspace).
 */
export function coursesAt(courses: readonly RoutedCourse[], place: RequestPlace): RoutedCourse[] {
  const served = onPlatform(courses, place.platform);
  if (place.platform === 'slack') return served;
  return served.filter((course) => {
    const guildId = course.targets.discord?.guildId;
    return guildId === undefined || guildId === place.guildId;
  });
}

/** The channels a course's commands belong to: its `channels`, its announce and its instructor channel. */
export function courseChannels(course: RoutedCourse, platform: Platform): ReadonlySet<string> {
  if (platform === 'discord') {
    const discord: DiscordTargets | undefined = course.targets.discord;
    if (!discord) return new Set();
    return new Set([...discord.channels, discord.announceChannelId, discord.instructorChannelId].filter(isSet));
  }
  const slack: SlackTargets | undefined = course.targets.slack;
  if (!slack) return new Set();
  return new Set([...slack.channels, slack.announceChannel, slack.instructorChannel].filter(isSet));
}

function isSet(value: string | undefined): value is string {
  return value !== undefined;
}

/** Lowercase with runs of space as one: how a typed course name is compared. */
function fold(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The course `typed` names among `courses`: its id, or its whole name (case and spacing aside). */
function named(courses: readonly RoutedCourse[], typed: string): RoutedCourse | undefined {
  const wanted = fold(typed);
  return courses.find((course) => course.id === wanted) ?? courses.find((course) => fold(course.name) === wanted);
}

/**
 * Which course a request is for: the one course of the server or workspace; where several share it, the
 * one whose channel it is; else the `course` option; else none, with a message listing the courses to
 * pick from. A `course` option naming another course than the place decides is refused (it would answer
 * for a course this place does not belong to), never silently ignored.
 */
export function routeRequest(courses: readonly RoutedCourse[], place: RequestPlace, option?: string): Route {
  const here = coursesAt(courses, place);
  const typed = option?.trim() ? option : undefined;
  const decided = decide(here, place);
  if (decided) {
    if (typed !== undefined) {
      const wanted = named(onPlatform(courses, place.platform), typed);
      if (wanted?.id !== decided.course.id) return { ok: false, message: elsewhere(decided.course, typed) };
    }
    return { ok: true, ...decided };
  }
  const choices = here.length > 0 ? here : onPlatform(courses, place.platform);
  if (typed !== undefined) {
    const course = named(choices, typed);
    if (course) return { ok: true, course, by: 'option' };
    return { ok: false, message: pick(choices, `There is no course "${typed.trim()}" here.`) };
  }
  return { ok: false, message: pick(choices, choices.length > 0 ? 'Several courses are served here.' : undefined) };
}

function decide(here: readonly RoutedCourse[], place: RequestPlace): { course: RoutedCourse; by: 'place' | 'channel' } | undefined {
  if (here.length === 1) return { course: here[0]!, by: 'place' };
  if (place.channelId === undefined) return undefined;
  const owners = here.filter((course) => courseChannels(course, place.platform).has(place.channelId!));
  return owners.length === 1 ? { course: owners[0]!, by: 'channel' } : undefined;
}

function elsewhere(course: RoutedCourse, typed: string): Message {
  return message({
    title: `Commands here are for ${course.name}`,
    description: `This place belongs to ${course.name} (${course.id}), not to "${typed.trim()}": ask in that course's own server or channel, or leave out the course option.`,
  });
}

/** The neutral "which course?" answer: the courses (id and name) and how to pick one. */
function pick(courses: readonly RoutedCourse[], reason: string | undefined): Message {
  if (courses.length === 0) {
    return message({
      title: 'No course here',
      description: `${reason ? `${reason} ` : ''}No course is set up for this place. An instructor can name it in a course file's targets.`,
    });
  }
  return message({
    title: 'Which course?',
    description: `${reason ? `${reason} ` : ''}Add the course option to your command, for example \`${COURSE_OPTION}:${courses[0]!.id}\`.`,
    sections: [{ heading: 'Courses', lines: courses.map((course) => `${course.id} — ${course.name}`) }],
  });
}

/**
 * The `course` option's suggestions while the user types: where the place decides the course, that one
 * course; else the courses of the place (all on the platform when none is); those whose id or name holds
 * what is typed, those starting with it first; at most 25.
 */
export function suggestCourses(courses: readonly RoutedCourse[], place: RequestPlace, typed: string): Choice[] {
  const here = coursesAt(courses, place);
  const decided = decide(here, place);
  const choices = decided ? [decided.course] : here.length > 0 ? here : onPlatform(courses, place.platform);
  const wanted = fold(typed);
  const rank = (course: RoutedCourse): number => {
    const id = course.id;
    const name = fold(course.name);
    if (wanted === '') return 0;
    if (id.startsWith(wanted) || name.startsWith(wanted)) return 0;
    if (id.includes(wanted) || name.includes(wanted)) return 1;
    return -1;
  };
  return choices
    .map((course, index) => ({ course, index, rank: rank(course) }))
    .filter((entry) => entry.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .slice(0, MAX_SUGGESTIONS)
    .map(({ course }) => ({ name: choiceName(course), value: course.id }));
}

function choiceName(course: RoutedCourse): string {
  const suffix = ` (${course.id})`;
  const room = CHOICE_NAME_MAX - suffix.length;
  const name = course.name.length > room ? `${course.name.slice(0, room - 1)}…` : course.name;
  return `${name}${suffix}`.slice(0, CHOICE_NAME_MAX);
}

/** A Discord member as the instructor check needs them: where they asked, their roles, Manage Server. */
export interface DiscordMember {
  /** The server the command was asked in; absent in a DM (no roles there: nobody is an instructor). */
  readonly guildId?: string;
  readonly roleIds: readonly string[];
  /** Whether they hold Manage Server in that server. */
  readonly manageGuild: boolean;
}

/**
 * Whether a Discord member is an instructor of THIS course: asked in the course's own server (any server
 * for a course that names none), and holding the course's `instructorRoleId`. Manage Server counts as it
 * does today (with or without a role) only where it cannot reach another course: when the course has no
 * instructor role, or no other course shares its server; for a course that names no server, only while it is
 * the one course on Discord. So the instructors of one course can never change another.
 */
export function isDiscordInstructor(course: RoutedCourse, courses: readonly RoutedCourse[], member: DiscordMember): boolean {
  const discord = course.targets.discord;
  if (!discord || member.guildId === undefined) return false;
  if (discord.guildId !== undefined && discord.guildId !== member.guildId) return false;
  if (discord.instructorRoleId !== undefined && member.roleIds.includes(discord.instructorRoleId)) return true;
  if (!member.manageGuild) return false;
  // A course that names no server is reached from every server: Manage Server in any of them counts only while it
  // is the one course on Discord (today's single-course rule), else any server's admin could change it.
  if (discord.guildId === undefined) return !courses.some((other) => other.id !== course.id && other.targets.discord !== undefined);
  if (discord.instructorRoleId === undefined) return true;
  const neighbours = coursesAt(courses, { platform: 'discord', guildId: member.guildId }).filter((other) => other.id !== course.id);
  return neighbours.length === 0;
}

/** A Slack user as the instructor check needs them: their id and the user groups they are in (of those asked). */
export interface SlackMember {
  readonly userId: string;
  /** The user groups the user belongs to; the adapter asks Slack only about the course's own group. */
  readonly usergroupIds: readonly string[];
}

/** Whether a Slack user is an instructor of THIS course: listed in its `instructorUserIds`, or in its user group. */
export function isSlackInstructor(course: RoutedCourse, member: SlackMember): boolean {
  const slack = course.targets.slack;
  if (!slack) return false;
  if (slack.instructorUserIds.includes(member.userId)) return true;
  return slack.instructorUsergroup !== undefined && member.usergroupIds.includes(slack.instructorUsergroup);
}
