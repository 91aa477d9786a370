import type { Clock } from '../core/clock.js';
import type { StateStore } from '../core/ports.js';
import type { LiveCourse } from '../course-file/live-course.js';
import type { Logger } from '../log.js';
import { CourseAdmin } from './admin.js';
import { LiveEffectiveCourse } from './effective-course.js';
import { SchedulePublisher } from './publisher.js';

export interface CourseScheduleOptions {
  readonly live: LiveCourse;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told of every publish (a change, a reload, the start), as it begins: the scheduled events follow the schedule. */
  readonly onPublish?: (cause: string) => void;
}

/** One course's schedule: the effective course, the publisher of its change notices, and its `/course` admin. */
export interface CourseSchedule {
  readonly effective: LiveEffectiveCourse;
  readonly publisher: SchedulePublisher;
  readonly admin: CourseAdmin;
}

/** The three units of one course's schedule, wired together (the publisher gets its port with `connect`). */
export function courseSchedule(options: CourseScheduleOptions): CourseSchedule {
  const { live, store, clock, logger, onPublish } = options;
  const effective = new LiveEffectiveCourse({ live, store, logger });
  const publisher = new SchedulePublisher({ course: () => effective.course, store, clock, logger, ...(onPublish && { onPublish }) });
  const admin = new CourseAdmin({ effective, publisher, store, clock, logger });
  return { effective, publisher, admin };
}
