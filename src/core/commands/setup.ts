import { type Link, message } from '../messages.js';
import { defineCommand } from './command.js';

export const setupCommand = defineCommand({
  name: 'setup',
  description: 'How to get set up for the course',
  audience: 'everyone',
  readOnly: true,
  options: [],
  run({ course }) {
    const links: Link[] = course.setup.flatMap((step) => (step.url ? [{ label: step.title, url: step.url }] : []));
    if (course.repository) links.push({ label: 'Course repository', url: course.repository });
    return message({
      title: `Getting set up for ${course.name}`,
      ...(course.setup.length === 0 && { description: 'The course file lists no setup steps.' }),
      sections: course.setup.map((step, index) => ({
        heading: `${index + 1}. ${step.title}`,
        lines: [...(step.description ? [step.description] : []), ...(step.command ? [`$ ${step.command}`] : [])],
      })),
      links,
      footer: course.name,
    });
  },
});
