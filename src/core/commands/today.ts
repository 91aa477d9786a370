import { firstOnOrAfter, today } from '../course/calendar.js';
import { dayView, normalize, sessionHeadline, sessionLine } from '../views.js';
import type { Course, Session } from '../course/model.js';
import { type Choice, type CommandContext, MAX_CHOICES, defineCommand } from './command.js';

/**
 * Session days as choices, from today on first, then the past ones; what the user typed filters them. At
 * most `MAX_CHOICES`: only those are built (a long course has thousands of days, and this runs per keystroke).
 */
export function suggestSessionDates({ course, now }: CommandContext, typed: string): Choice[] {
  const current = today(course, now);
  const query = normalize(typed);
  const { sessions } = course;
  const names = choiceNames(course);
  const firstUpcoming = firstOnOrAfter(sessions, current);
  const digits = /^[0-9-]+$/.test(query);
  const choices: Choice[] = [];
  for (let step = 0; step < sessions.length && choices.length < MAX_CHOICES; step += 1) {
    // Upcoming days in order, then past days from the most recent back.
    const index = step < sessions.length - firstUpcoming ? firstUpcoming + step : sessions.length - 1 - step;
    const { date } = sessions[index]!;
    // The date first. A date being typed (`2031-0`) is then looked for in the parts of the name that can hold
    // it; other text in the whole name, written once per session and kept.
    if (date.includes(query) || (digits ? inDigits(sessions[index]!, query) : names(index).search.includes(query))) {
      choices.push({ name: names(index).name, value: date });
    }
  }
  return choices;
}

/**
 * Whether a query of digits and dashes is in a session's choice name (`2031-09-30 · Tue 30 Sept — Topic 12 ·
 * PyTorch`) past its date, without writing the name: it can only be inside a run of digits and dashes, which
 * spaces set apart, so in the day of the month (whose digits the date has too), the headline, or a framework
 * shown (and lower case changes no digit or dash). Typing a date would otherwise write the name of every day
 * before the first match (8,000 of them on a 10,000-session course, 50 ms).
 */
function inDigits(session: Session, query: string): boolean {
  if (sessionHeadline(session).includes(query)) return true;
  return !session.cancelled && session.frameworks.some((framework) => framework.includes(query));
}

const namesByCourse = new WeakMap<Course, { name: string; search: string }[]>();

/** A session's choice name and its normalized text, by its index, each worked out once per course. */
function choiceNames(course: Course): (index: number) => { readonly name: string; readonly search: string } {
  let known = namesByCourse.get(course);
  if (!known) namesByCourse.set(course, (known = []));
  const names = known;
  return (index) => {
    let found = names[index];
    if (!found) {
      const session = course.sessions[index]!;
      const name = `${session.date} · ${sessionLine(session)}`;
      names[index] = found = { name, search: normalize(name) };
    }
    return found;
  };
}

export const todayCommand = defineCommand({
  name: 'today',
  description: "Today's session: topic, frameworks and links (or of another date)",
  audience: 'everyone',
  readOnly: true,
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
