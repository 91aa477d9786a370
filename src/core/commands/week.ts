import {
  currentWeekNumber,
  findWeek,
  firstSession,
  lastHeldSession,
  lastSession,
  nextSessionAfter,
  today,
  weekNumber,
} from '../course/calendar.js';
import { addDays, formatLongDate, mondayOf, placeWeekday } from '../course/dates.js';
import { COURSE_LIMITS } from '../course/schema.js';
import { UserFacingError } from '../errors.js';
import { message } from '../messages.js';
import { normalize, sessionLine, weekDateRange, weekHeading, weekMessage } from '../views.js';
import { numberRanges } from '../text.js';
import { defineCommand } from './command.js';

/**
 * The largest week number `/week` takes (Discord checks it too, as `max_value`): the highest a course file
 * may hold, so a typo is refused with the limit.
 */
export const MAX_WEEK_NUMBER = COURSE_LIMITS.weekNumber;

export const weekCommand = defineCommand({
  name: 'week',
  description: 'The sessions of this week (or of week N)',
  audience: 'everyone',
  readOnly: true,
  options: [
    {
      name: 'number',
      type: 'integer',
      description: 'Week number',
      min: 1,
      max: MAX_WEEK_NUMBER,
      // A typed number picks that week first; words match the titles.
      suggest: ({ course }, typed) =>
        course.weeks
          .map((week) => ({
            name: `${weekHeading(week)}${week.sessions.length ? ` (${weekDateRange(course, week)})` : ''}`,
            value: week.number,
          }))
          .filter((choice) => normalize(choice.name).includes(normalize(typed)))
          .sort((a, b) => Number(String(b.value) === typed.trim()) - Number(String(a.value) === typed.trim())),
    },
  ],
  run({ course, now }, args) {
    const date = today(course, now);
    const number = args.number ?? currentWeekNumber(course, date);
    const week = findWeek(course, number);
    if (!week && args.number !== undefined) {
      const known = numberRanges(course.weeks.map((entry) => entry.number));
      throw new UserFacingError('unknown-week', `There is no week ${number}. The course has weeks ${known}.`);
    }
    const status =
      args.number !== undefined
        ? undefined
        : date < firstSession(course).date
          ? 'The course has not started yet; this is its first week.'
          : date > lastSession(course).date
            ? `The course has ended; its last session was on ${formatLongDate(lastHeldSession(course).date)}.`
            : number !== weekNumber(course, date)
              ? `Week ${weekNumber(course, date)} has no more sessions, so this is week ${number}.`
              : undefined;
    if (!week || week.sessions.length === 0) {
      const sunday = addDays(placeWeekday(mondayOf(course.start), number, 'monday'), 6);
      const next = nextSessionAfter(course, sunday, true);
      return message({
        title: week ? weekHeading(week) : `Week ${number}`,
        description: [`No sessions in week ${number}.`, status, week?.summary].filter(Boolean).join('\n'),
        ...(next && { sections: [{ heading: 'Next session', lines: [sessionLine(next)] }] }),
        footer: course.name,
      });
    }
    return weekMessage(course, week, weekHeading(week), status);
  },
});
