import { describe, expect, it } from 'vitest';
import { defineCommand } from '../../../src/core/commands/command.js';
import { commands } from '../../../src/core/commands/registry.js';
import { message } from '../../../src/core/messages.js';
import { commandJson, commandsHash, commandsJson, definitionProblems } from '../../../src/platforms/discord/command-json.js';

describe('Discord command definitions', () => {
  it('are generated from the registry and keep every rule of Discord', () => {
    const body = commandsJson(commands);
    expect(body.map((command) => command.name)).toEqual([...new Set(commands.map((command) => command.group ?? command.name))]);
    expect(definitionProblems(body)).toEqual([]);
    expect(JSON.stringify(body).length).toBeLessThan(8000);
  });

  it('map option types, autocomplete and ranges', () => {
    const body = commandsJson(commands);
    expect(body.find((command) => command.name === 'week')?.options).toEqual([
      { type: 4, name: 'number', description: 'Week number', required: false, autocomplete: true, min_value: 1, max_value: 5000 },
    ]);
    expect(body.find((command) => command.name === 'today')?.options).toEqual([
      { type: 3, name: 'date', description: 'Another day, as YYYY-MM-DD', required: false, autocomplete: true, min_length: 10, max_length: 10 },
    ]);
    expect(body.find((command) => command.name === 'resources')?.options?.[0]).toMatchObject({ type: 3, autocomplete: true });
    expect(body.find((command) => command.name === 'help')?.options).toEqual([]);
    const students = body.filter((command) => command.name !== 'course');
    expect(students.every((command) => command.default_member_permissions === null)).toBe(true);
  });

  it('fold /course into one command with a subcommand each, hidden behind Manage Server', () => {
    const course = commandsJson(commands).find((command) => command.name === 'course')!;
    expect(course.default_member_permissions).toBe('32');
    expect(course.options?.map((option) => [option.type, option.name])).toEqual(
      ['edit', 'cancel', 'move', 'add', 'undo', 'history', 'preview', 'announce', 'reload'].map((name) => [1, name]),
    );
    const move = course.options?.find((option) => option.name === 'move');
    expect(move).toMatchObject({
      options: [
        { type: 3, name: 'from', required: true, autocomplete: true, min_length: 10 },
        { type: 3, name: 'to', required: true, min_length: 10 },
      ],
    });
    expect(definitionProblems([{ ...course, options: [{ ...move!, options: [{ type: 3, name: 'Bad Name', description: '' }] }] as never }])).toEqual([
      '/course move Bad Name: option name must be 1–32 lowercase letters, digits, - or _',
      '/course move Bad Name: description must be 1–100 characters',
    ]);
  });

  it('hide instructor commands behind Manage Server by default', () => {
    const instructor = defineCommand({
      name: 'course',
      description: 'Change the schedule',
      audience: 'instructors',
      options: [],
      run: () => message({ title: 'x' }),
    });
    expect(commandJson(instructor).default_member_permissions).toBe('32');
  });

  it('catch definitions Discord would refuse', () => {
    const long = 'x'.repeat(101);
    const problems = definitionProblems([
      { name: 'Today', description: 'ok', options: [] },
      { name: 'a'.repeat(33), description: long, options: [] },
      {
        name: 'many',
        description: 'ok',
        options: [
          { type: 3, name: 'opt', description: 'optional' },
          { type: 3, name: 'req', description: 'required', required: true },
          ...Array.from({ length: 24 }, (_, index) => ({ type: 3 as const, name: `o${index}`, description: 'd' })),
          {
            type: 3,
            name: 'choices',
            description: 'd',
            choices: Array.from({ length: 26 }, (_, index) => ({ name: `c${index}`, value: `v${index}` })),
          },
        ],
      },
      { name: 'today', description: 'ok', options: [] },
      { name: 'today', description: 'ok', options: [] },
    ]);
    expect(problems).toEqual([
      '/Today: name must be 1–32 lowercase letters, digits, - or _',
      `/${'a'.repeat(33)}: name must be 1–32 lowercase letters, digits, - or _`,
      `/${'a'.repeat(33)}: description must be 1–100 characters (has 101)`,
      '/many: 27 options, at most 25',
      '/many req: required options must come before optional ones',
      '/many choices: 26 choices, at most 25',
      '/today: name is used twice',
    ]);
  });

  it('hash the same definitions the same way, per scope', () => {
    const body = commandsJson(commands);
    expect(commandsHash(body, 'guild 1')).toBe(commandsHash(commandsJson(commands), 'guild 1'));
    expect(commandsHash(body, 'guild 1')).not.toBe(commandsHash(body, 'global'));
    expect(commandsHash(body.slice(1), 'guild 1')).not.toBe(commandsHash(body, 'guild 1'));
  });

  it('give every command and subcommand an optional, autocompleted course option where the deployment has several courses', () => {
    const single = commandsJson(commands);
    const several = commandsJson(commands, { courseOption: true });
    expect(definitionProblems(several)).toEqual([]);
    const course = { type: 3, name: 'course', description: 'The course this is for, where the channel does not decide it', required: false, autocomplete: true, max_length: 100 };
    expect(several.find((command) => command.name === 'week')?.options).toEqual([
      { type: 4, name: 'number', description: 'Week number', required: false, autocomplete: true, min_value: 1, max_value: 5000 },
      course,
    ]);
    expect(several.find((command) => command.name === 'help')?.options).toEqual([course]);
    const group = several.find((command) => command.name === 'course')!;
    for (const sub of group.options ?? []) expect((sub as { options: unknown[] }).options.at(-1)).toEqual(course);
    // Taking the course option out again gives the single-course definitions exactly.
    const stripped = (options: readonly { name: string; options?: unknown }[] | undefined): unknown =>
      options
        ?.filter((option) => option.name !== 'course' || 'options' in option)
        .map((option) => ('options' in option ? { ...option, options: stripped(option.options as never) } : option));
    expect(several.map((command) => ({ ...command, options: stripped(command.options) }))).toEqual(single);
  });

  it('are, and hash, exactly as before for a single course: the course option is never added unasked', () => {
    const single = commandsJson(commands);
    expect(commandsJson(commands, { courseOption: false })).toEqual(single);
    expect(JSON.stringify(single)).not.toContain('"name":"course","description":"The course');
    expect(commandsHash(commandsJson(commands, {}), 'guild 1')).toBe(commandsHash(single, 'guild 1'));
    expect(commandsHash(commandsJson(commands, { courseOption: true }), 'guild 1')).not.toBe(commandsHash(single, 'guild 1'));
  });
});
