import { CourseFileError, formatIssue } from '../../src/course-file/read.js';

/**
 * A course file of `sessions` sessions, five a week (Monday to Friday), each with a topic, frameworks,
 * a format and a resource; weeks numbered from 1.
 */
export function bigCourseYaml(sessions: number): string {
  const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];
  const lines = [
    'course:',
    '  id: big',
    '  name: A very long course',
    '  timezone: Europe/Copenhagen',
    '  start: 2027-01-04',
    'resources:',
    '  - id: docs',
    '    title: Docs',
    '    url: https://example.org/docs',
    'weeks:',
  ];
  for (let index = 0; index < sessions; index += 1) {
    if (index % 5 === 0) lines.push(`  - number: ${index / 5 + 1}`, '    sessions:');
    lines.push(
      `      - day: ${days[index % 5]}`,
      `        topic: Session ${index + 1}`,
      '        frameworks: [PyTorch, Hydra]',
      '        format: exercises',
      '        resources: [docs]',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `file:line:col field: message`, `file:line:col message` (syntax), or `file message` for the whole file. */
export function lineShape(file: string): RegExp {
  const name = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${name}(:\\d+:\\d+ (\\S+: )?| )\\S.*$`);
}

/** What reading gave: the formatted problems of a refusal, or "valid". Anything else is thrown on. */
export function outcome(read: () => unknown): { readonly valid: boolean; readonly lines: readonly string[]; readonly message: string } {
  try {
    read();
    return { valid: true, lines: [], message: '' };
  } catch (error) {
    if (error instanceof CourseFileError) return { valid: false, lines: error.issues.map(formatIssue), message: error.message };
    throw error;
  }
}
