import { today } from '../course/calendar.js';
import { dayView, normalize, sessionLine } from '../views.js';
import { type Choice, type CommandContext, defineCommand } from './command.js';

/** Session days as choices, from today on first, then the past ones; what the user typed filters them. */
export function suggestSessionDates({ course, now }: CommandContext, typed: string): Choice[] {
  const current = today(course, now);
  const query = normalize(typed);
  const upcoming = course.sessions.filter((session) => session.date >= current);
  const past = course.sessions.filter((session) => session.date < current).reverse();
  return [...upcoming, ...past]
    .map((session) => ({ name: `${session.date} · ${sessionLine(session)}`, value: session.date }))
    .filter((choice) => normalize(choice.name).includes(query));
}

export const todayCommand = defineCommand({
  name: 'today',
  description: "Today's session: topic, frameworks and links (or of another date)",
  audience: 'everyone',
  options: [
    {
      name: 'date',
      type: 'date',
      description: 'Another day, as YYYY-MM-DD',
      suggest: suggestSessionDates,
    },
  ],
  run({ course, now }, { date }) {
    const current = today(course, now);
    return dayView(course, date ?? current, current);
  },
});
