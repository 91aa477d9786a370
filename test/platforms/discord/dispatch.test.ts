import { describe, expect, it } from 'vitest';
import type { OptionDefinition } from '../../../src/core/commands/command.js';
import { instructorOf, validChoices } from '../../../src/platforms/discord/dispatch.js';

describe('autocomplete choices', () => {
  const integer: OptionDefinition = { name: 'number', type: 'integer', description: 'n' };
  const text: OptionDefinition = { name: 'topic', type: 'string', description: 't' };

  it('keep only values of the option’s type, at most 25, with names Discord accepts', () => {
    expect(validChoices(integer, [{ name: 'Week 1', value: 1 }, { name: 'Week 2', value: '2' }, { name: 'Half', value: 1.5 }])).toEqual([
      { name: 'Week 1', value: 1 },
    ]);
    expect(
      validChoices(text, [
        { name: 'ok', value: 'ok' },
        { name: 'number', value: 3 },
        { name: 'long value', value: 'v'.repeat(101) },
        { name: '   ', value: 'blank name' },
        { name: 'n'.repeat(150), value: 'long name' },
      ]),
    ).toEqual([
      { name: 'ok', value: 'ok' },
      { name: `${'n'.repeat(99)}…`, value: 'long name' },
    ]);
    expect(validChoices(text, Array.from({ length: 40 }, (_, index) => ({ name: `t${index}`, value: `t${index}` })))).toHaveLength(25);
  });
});

describe('who is an instructor of a course on Discord', () => {
  it('is whoever may manage the server, or has the course’s instructor role; nobody else', () => {
    expect(instructorOf({ manageGuild: true, roleIds: [] }, undefined)).toBe(true);
    expect(instructorOf({ manageGuild: false, roleIds: ['r1', 'r2'] }, 'r2')).toBe(true);
    expect(instructorOf({ manageGuild: false, roleIds: ['r1'] }, 'r2')).toBe(false);
    expect(instructorOf({ manageGuild: false, roleIds: ['r2'] }, undefined)).toBe(false);
    expect(instructorOf({}, 'r2')).toBe(false);
  });
});
