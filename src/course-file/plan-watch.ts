import type { LiveCourse } from './live-course.js';

/** The watch on a course's plan file, moved when the course file names another one. */
export interface PlanFileWatch {
  /** Watches the plan file the course names now (call after a reload). */
  retarget(): void;
  stop(): void;
}

/**
 * Reloads the course when its local plan file changes, as when the course file itself does. A course
 * without a plan file (weeks in the YAML, or a URL plan) watches nothing.
 */
export function watchPlanFile(live: LiveCourse, debounceMs = 250): PlanFileWatch {
  let current: string | undefined;
  let stopCurrent: () => void = () => undefined;
  const retarget = () => {
    const next = live.loaded.plan?.path;
    if (next === current) return;
    stopCurrent();
    current = next;
    stopCurrent = next === undefined ? () => undefined : live.watch(debounceMs, undefined, next);
  };
  retarget();
  return {
    retarget,
    stop: () => {
      stopCurrent();
      current = undefined;
      stopCurrent = () => undefined;
    },
  };
}
