import { today } from '../course/calendar.js';
import { dayView } from '../views.js';
import { defineCommand } from './command.js';

export const todayCommand = defineCommand({
  name: 'today',
  description: "Today's session: topic, frameworks and links (or of another date)",
  audience: 'everyone',
  options: [{ name: 'date', type: 'date', description: 'Another day, as YYYY-MM-DD' }],
  run({ course, now }, { date }) {
    const current = today(course, now);
    return dayView(course, date ?? current, current);
  },
});
