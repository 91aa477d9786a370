import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCourseFile, parseCourseText } from '../../src/course-file/read.js';
import { courseSummary } from '../../src/course-file/summary.js';
import { lineShape, outcome } from '../support/course-file.js';

// The small course-file problems of the hostile report (its finding 13): each used to break the
// one-line rule or let a wrong value through.

const GOOD = `course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Intro
        frameworks: [PyTorch]
      - day: tuesday
        topic: Second
`;

function problems(text: string, file = 'course.yaml'): readonly string[] {
  return outcome(() => parseCourseText(text, file)).lines;
}

describe('course file items of the hostile report', () => {
  let dir: string;
  let server: Server | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-limits-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls a socket a socket, not ENXIO', async () => {
    const path = join(dir, 'socket.yaml');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    expect(outcome(() => loadCourseFile(path, 'socket.yaml')).lines).toEqual([
      'socket.yaml is a socket, not a regular file: a course file must be a regular file (a symlink to one is fine)',
    ]);
  });

  it('escapes a line break or an escape code in the file name and the course name, so every problem stays one line', () => {
    const path = join(dir, 'odd.yaml');
    writeFileSync(path, GOOD.replace('day: tuesday', 'day: tusday'));
    const label = 'odd\nname\u001b[2J.yaml';
    const { lines, message } = outcome(() => loadCourseFile(path, label));
    expect(lines).toEqual([
      'odd\\nname\\u{1b}[2J.yaml:12:9 weeks[0].sessions[1].day: tusday is not a weekday (expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)',
    ]);
    expect(message.split('\n')).toEqual(['odd\\nname\\u{1b}[2J.yaml: 1 problem', lines[0]]);
    expect(lines[0]).toMatch(lineShape('odd\\nname\\u{1b}[2J.yaml'));
    const named = parseCourseText(GOOD.replace('name: Demo', 'name: "De\\nmo\\e[31m"'), 'x.yaml');
    expect(courseSummary(named)).toMatch(/^De\\nmo\\u\{1b\}\[31m \(demo\): 1 week, 2 sessions, /);
  });

  it('calls UTF-32 without a byte order mark UTF-32, little- or big-endian', () => {
    const hint = 'save it as UTF-8 (in most editors: "Save with encoding" or "File encoding", then UTF-8)';
    const utf32le = Buffer.alloc(GOOD.length * 4);
    [...GOOD].forEach((char, index) => utf32le.writeUInt32LE(char.codePointAt(0)!, index * 4));
    const utf32be = Buffer.alloc(GOOD.length * 4);
    [...GOOD].forEach((char, index) => utf32be.writeUInt32BE(char.codePointAt(0)!, index * 4));
    for (const [name, bytes] of [
      ['le.yaml', utf32le],
      ['be.yaml', utf32be],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      expect(outcome(() => loadCourseFile(join(dir, name), name)).lines).toEqual([
        `${name} looks like UTF-32 text (three bytes in every four are zero): ${hint}`,
      ]);
    }
  });

  it('refuses a URL with a line break, a space or a control character in it (the URL parser dropped the line break)', () => {
    const text = (url: string) => GOOD.replace('  start: 2027-01-04', `  start: 2027-01-04\n  repository: ${url}`);
    expect(problems(text('"https://example.com/\\nInjected"'))).toEqual([
      'course.yaml:6:3 course.repository: "https://example.com/\\nInjected" is not an http(s) URL: it has a space, a line break or a ' +
        'control character in it (write a space as %20)',
    ]);
    expect(problems(text('https://example.com/a b'))).toHaveLength(1);
    expect(problems(text('"https://example.com/\\tx"'))).toHaveLength(1);
    expect(problems(text('https://example.com/a%20b'))).toEqual([]);
  });
});
