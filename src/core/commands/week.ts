import { currentWeekNumber, findWeek, today, weekNumber } from '../course/calendar.js';
import { formatLongDate } from '../course/dates.js';
import { UserFacingError } from '../errors.js';
import { message } from '../messages.js';
import { normalize, sessionHeadline, weekDateRange, weekHeading } from '../views.js';
import { defineCommand } from './command.js';

export const weekCommand = defineCommand({
  name: 'week',
  description: 'The sessions of this week (or of week N)',
  audience: 'everyone',
  options: [
    {
      name: 'number',
      type: 'integer',
      description: 'Week number',
      min: 1,
      suggest: ({ course }, typed) =>
        course.weeks
          .map((week) => ({ name: `${weekHeading(week)}${week.sessions.length ? ` (${weekDateRange(course, week)})` : ''}`, value: week.number }))
          .filter((choice) => normalize(choice.name).includes(normalize(typed))),
    },
  ],
  run({ course, now }, args) {
    const date = today(course, now);
    const number = args.number ?? currentWeekNumber(course, date);
    const week = findWeek(course, number);
    if (!week) {
      const known = course.weeks.map((entry) => entry.number).join(', ');
      if (args.number === undefined) {
        return message({
          title: `Week ${number}`,
          description: `There are no sessions in week ${number} of ${course.name}.`,
          footer: course.name,
        });
      }
      throw new UserFacingError('unknown-week', `There is no week ${number}. The course has weeks ${known}.`);
    }
    const status =
      args.number === undefined && weekNumber(course, date) !== number
        ? weekNumber(course, date) < number
          ? `The course has not started yet; this is its first week.`
          : `The course has ended; this was its last week.`
        : undefined;
    const range = weekDateRange(course, week);
    const description = [range, week.summary, status].filter(Boolean).join('\n');
    return message({
      title: weekHeading(week),
      ...(description && { description }),
      sections: week.sessions.map((session) => ({
        heading: formatLongDate(session.date),
        lines: [
          sessionHeadline(session),
          ...(session.frameworks.length ? [`Frameworks: ${session.frameworks.join(', ')}`] : []),
          ...(session.note ? [`Note: ${session.note}`] : []),
        ],
      })),
      footer: course.name,
    });
  },
});
