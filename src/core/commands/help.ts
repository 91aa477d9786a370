import { message } from '../messages.js';
import { defineCommand, usage } from './command.js';

export const helpCommand = defineCommand({
  name: 'help',
  description: 'What this bot can do',
  audience: 'everyone',
  options: [],
  run({ course, commands }) {
    const visible = commands.filter((command) => command.audience === 'everyone');
    return message({
      title: `${course.name}: commands`,
      description: 'Ask about the schedule with these commands:',
      sections: [{ heading: 'Commands', lines: visible.map((command) => `${usage(command)} — ${command.description}`) }],
      footer: `Dates are YYYY-MM-DD; times are in ${course.timezone}.`,
    });
  },
});
