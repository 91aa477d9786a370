import type { CommandRequest, Scope, ScopeResolver } from '../core/commands/invoke.js';
import { UserFacingError } from '../core/errors.js';
import type { ScheduleAdmin } from '../core/ports.js';
import type { CourseTargets } from '../core/course/schema.js';
import { type RoutedCourse, isDiscordInstructor, isSlackInstructor, routeRequest } from '../core/routing.js';
import type { CourseScope, CourseScopes, InstructorLookups } from '../platforms/platform.js';

/** A running course as the scope needs it: who it is, where it lives, what its commands use. */
export interface ServedCourse {
  readonly id: string;
  readonly name: string;
  readonly targets: CourseTargets;
  readonly scope: CourseScope;
}

/**
 * A course's instructor actions found when each one runs, by the course's id among the running courses: a command
 * that began before its course started again (a `targets:` change) acts through the course that runs now, not the
 * stopped one. A course no longer running refuses, changing nothing.
 */
export function liveAdmin(id: string, courses: () => readonly ServedCourse[]): ScheduleAdmin {
  const admin = (): ScheduleAdmin => {
    const served = courses().find((course) => course.id === id);
    if (!served) throw new UserFacingError('unavailable', `The course "${id}" is no longer running here (its file was removed): nothing was done.`);
    return served.scope.admin;
  };
  return {
    change: async (change, actor) => admin().change(change, actor),
    undo: async (actor) => admin().undo(actor),
    history: () => admin().history(),
    reload: async (actor) => admin().reload(actor),
    announce: async (actor) => admin().announce(actor),
  };
}

/** A course's scope for one request: the course as it is now, its actions, and whether the asker instructs it. */
function scopeOf(served: ServedCourse, courses: () => readonly ServedCourse[], instructor: () => boolean | Promise<boolean>): Scope {
  const { scope } = served;
  return { course: scope.course(), admin: liveAdmin(served.id, courses), reminders: scope.reminders, instructor };
}

/**
 * The terminal has no servers or channels: every course is "here". Routed as a place shared by all of them
 * (so one course answers at once, several need the `course` option, and the answer says which exist).
 */
function terminalRoute(courses: readonly ServedCourse[], request: CommandRequest): ReturnType<typeof routeRequest> {
  const everywhere: RoutedCourse[] = courses.map((course) => ({ id: course.id, name: course.name, targets: { slack: { channels: [], instructorUserIds: [] } } }));
  return routeRequest(everywhere, { platform: 'slack' }, request.course);
}

/**
 * Chooses each request's course among the running ones (`courses()`, read per request, so that a course
 * added or removed while running is seen at once) by `routeRequest`: the one course of the place, the
 * course of the channel, or the `course` option; else the neutral "Which course?" message. Who instructs
 * the chosen course is asked per course: on Discord its instructor role (or Manage Server where that
 * cannot reach another course), on Slack its listed users or user group, in the terminal whoever runs it.
 */
export function courseScopes(courses: () => readonly ServedCourse[]): CourseScopes {
  return {
    courses(platform) {
      const routed = courses().map(({ id, name, targets }): RoutedCourse => ({ id, name, targets }));
      return platform === 'terminal' ? routed : routed.filter((course) => course.targets[platform] !== undefined);
    },
    resolver(platform, lookups: InstructorLookups = {}): ScopeResolver {
      return (request) => {
        const live = courses();
        const routed: RoutedCourse[] = live.map(({ id, name, targets }) => ({ id, name, targets }));
        const route =
          platform === 'terminal'
            ? terminalRoute(live, request)
            : routeRequest(
                routed,
                {
                  platform,
                  ...(request.place.guildId !== undefined && { guildId: request.place.guildId }),
                  ...(request.place.channelId !== undefined && { channelId: request.place.channelId }),
                },
                request.course,
              );
        if (!route.ok) return { choose: route.message };
        // Routed from this very list: the course is in it.
        const index = live.findIndex((course) => course.id === route.course.id);
        const served = live[index]!;
        const chosen = routed[index]!;
        const { asker, place } = request;
        if (platform === 'terminal') return scopeOf(served, courses, () => true);
        if (platform === 'discord') {
          return scopeOf(served, courses, () =>
            isDiscordInstructor(chosen, routed, {
              ...(place.guildId !== undefined && { guildId: place.guildId }),
              roleIds: asker.roleIds ?? [],
              manageGuild: Boolean(asker.manageGuild),
            }),
          );
        }
        return scopeOf(served, courses, async () => {
          const userId = asker.actor?.id;
          if (userId === undefined) return false;
          const group = chosen.targets.slack?.instructorUsergroup;
          const inGroup = group !== undefined && !chosen.targets.slack?.instructorUserIds.includes(userId) && lookups.usergroupMembers
            ? (await lookups.usergroupMembers(group)).has(userId)
            : false;
          return isSlackInstructor(chosen, { userId, usergroupIds: inGroup && group ? [group] : [] });
        });
      };
    },
  };
}
