import { today } from '../course/calendar.js';
import { addDays } from '../course/dates.js';
import { dayView } from '../views.js';
import { defineCommand } from './command.js';

export const tomorrowCommand = defineCommand({
  name: 'tomorrow',
  description: "Tomorrow's session: topic, frameworks and links",
  audience: 'everyone',
  readOnly: true,
  options: [],
  run({ course, now }) {
    const current = today(course, now);
    return dayView(course, addDays(current, 1), current);
  },
});
