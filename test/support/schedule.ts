import type { Actor } from '../../src/core/ports.js';
import type { ScheduleChange } from '../../src/core/course/changes.js';
import { type CourseScheduleOptions, courseSchedule } from '../../src/schedule/course-schedule.js';
import { type AnnouncementPort, NO_ANNOUNCEMENTS } from '../../src/schedule/publisher.js';

/**
 * One course's schedule units (effective course, publisher, admin) behind one object, as the tests drive them.
 * `announcer`: the port the publisher is connected to at once (default: announcements off); `starting` leaves
 * it unconnected (the platforms are not up yet) until `connect`.
 */
export function testSchedule(options: CourseScheduleOptions & { readonly announcer?: AnnouncementPort | 'starting' }) {
  const units = courseSchedule(options);
  const { effective, publisher, admin } = units;
  if (options.announcer !== 'starting') publisher.connect(options.announcer ?? NO_ANNOUNCEMENTS);
  return {
    ...units,
    get course() {
      return effective.course;
    },
    get file() {
      return effective.file;
    },
    change: (change: ScheduleChange, actor: Actor) => admin.change(change, actor),
    undo: (actor: Actor) => admin.undo(actor),
    history: () => admin.history(),
    reload: (actor: Actor) => admin.reload(actor),
    announce: (actor: Actor) => admin.announce(actor),
    connect: (port: AnnouncementPort) => publisher.connect(port),
    publish: (cause: string) => publisher.publish(cause),
    publishInBackground: (cause: string) => publisher.publishInBackground(cause),
    settle: () => publisher.settle(),
    stop: () => publisher.stop(),
  };
}

/** What `testSchedule` returns. */
export type TestSchedule = ReturnType<typeof testSchedule>;
