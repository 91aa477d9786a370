import { today } from '../course/calendar.js';
import { dayView, normalize, sessionLine } from '../views.js';
import { defineCommand } from './command.js';

export const todayCommand = defineCommand({
  name: 'today',
  description: "Today's session: topic, frameworks and links (or of another date)",
  audience: 'everyone',
  options: [
    {
      name: 'date',
      type: 'date',
      description: 'Another day, as YYYY-MM-DD',
      // The session days, from today on first; what the user typed filters them.
      suggest: ({ course, now }, typed) => {
        const current = today(course, now);
        const query = normalize(typed);
        const upcoming = course.sessions.filter((session) => session.date >= current);
        const past = course.sessions.filter((session) => session.date < current).reverse();
        return [...upcoming, ...past]
          .map((session) => ({ name: `${session.date} · ${sessionLine(session)}`, value: session.date }))
          .filter((choice) => normalize(choice.name).includes(query));
      },
    },
  ],
  run({ course, now }, { date }) {
    const current = today(course, now);
    return dayView(course, date ?? current, current);
  },
});
