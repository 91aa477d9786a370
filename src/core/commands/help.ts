import { message } from '../messages.js';
import { COURSE_OPTION } from '../routing.js';
import { type Command, defineCommand, usage } from './command.js';

function line(command: Command): string {
  return `${usage(command)} — ${command.description}`;
}

export const helpCommand = defineCommand({
  name: 'help',
  description: 'What this bot can do',
  audience: 'everyone',
  readOnly: true,
  personal: true,
  options: [],
  run({ course, commands, instructor, courses }) {
    const everyone = commands.filter((command) => command.audience === 'everyone');
    // Instructors also see their own commands; students never do.
    const instructors = instructor ? commands.filter((command) => command.audience === 'instructors') : [];
    return message({
      title: `${course.name}: commands`,
      description: 'Ask about the schedule with these commands:',
      sections: [
        { heading: 'Commands', lines: everyone.map(line) },
        ...(instructors.length ? [{ heading: 'For instructors', lines: instructors.map(line) }] : []),
        // Several courses: any command takes the course it is for, where the place does not decide it.
        ...(courses && courses.length > 1
          ? [
              {
                heading: 'Courses',
                lines: [
                  `Every command takes [${COURSE_OPTION}]: add ${COURSE_OPTION}:<id> (on Discord, the ${COURSE_OPTION} option) where the channel does not decide the course.`,
                  ...courses.map((entry) => `${entry.id} — ${entry.name}`),
                ],
              },
            ]
          : []),
      ],
      footer: `Dates are YYYY-MM-DD; times are in ${course.timezone}.`,
    });
  },
});
