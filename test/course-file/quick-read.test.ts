import { describe, expect, it } from 'vitest';
import { quickRead } from '../../src/course-file/quick-read.js';
import { CourseFileError, parseCourseText } from '../../src/course-file/read.js';
import { random } from '../support/random.js';
import { BLOCK_STYLES, CORPUS, KEYS, SCALARS, canonical, fullData, mutate, randomYaml } from '../support/yaml-mutations.js';

/**
 * The quick reader (js-yaml) is a shortcut to the full reader's answer (the `yaml` library and its guards):
 * whenever it returns data, the full reader must accept the text and return exactly that data. Checked here
 * on course files in several styles and on thousands of mutations of them; `QUICK_READ_MUTATIONS` runs more.
 */

interface Tally {
  tried: number;
  quick: number;
  full: number;
}

/** Mutates each course `count` times; every text the quick reader reads, the full reader reads the same. */
function differential(seed: number, count: number): Tally {
  const next = random(seed);
  const tally: Tally = { tried: 0, quick: 0, full: 0 };
  const names = Object.keys(CORPUS);
  for (let index = 0; index < count; index += 1) {
    const name = names[index % names.length]!;
    const text = mutate(CORPUS[name]!, next);
    tally.tried += 1;
    const quick = quickRead(text);
    if (!quick.ok) {
      tally.full += 1;
      continue;
    }
    tally.quick += 1;
    const full = fullData(text);
    if (full === undefined || canonical(full) !== canonical(quick.data)) {
      expect.fail(`the readers differ on a mutation of ${name} (seed ${seed}, #${index}):\n${text}\nquick: ${canonical(quick.data)}\nfull: ${full === undefined ? 'refused' : canonical(full)}`);
    }
  }
  return tally;
}

/** The course, or the refusal's text: what a user gets. */
function answer(text: string, quick: boolean): string {
  try {
    const loaded = parseCourseText(text, 'course.yaml', { quick });
    return JSON.stringify({ course: loaded.course, file: loaded.file, exported: loaded.exported });
  } catch (error) {
    if (error instanceof CourseFileError) return error.message;
    throw error;
  }
}

/** More than the default count (`QUICK_READ_MUTATIONS`) runs for minutes. */
const LONG = process.env.QUICK_READ_MUTATIONS ? { timeout: 3_600_000 } : {};

describe('the quick reader gives the full reader’s data or leaves the text to it', () => {
  it('reads every course of the corpus in block style, as the full reader does', () => {
    for (const name of BLOCK_STYLES) {
      const text = CORPUS[name]!;
      const quick = quickRead(text);
      expect(quick.ok, name).toBe(true);
      expect(canonical(quick.ok && quick.data), name).toBe(canonical(fullData(text)));
    }
    // JSON and flow style: a list of mappings is a flow collection inside a flow one, left to the full reader.
    expect(quickRead(CORPUS.json!).ok).toBe(false);
  });

  it('resolves each tricky scalar and key as the full reader does, or leaves it to it', () => {
    let read = 0;
    const indented = (text: string) => `x:\n  ${text.replace(/\n(?=.)/g, '\n  ')}`;
    const texts = [
      ...SCALARS.flatMap((scalar) => [`a: ${scalar.replace(/\n/g, '\n  ')}\n`, `- ${scalar.replace(/\n/g, '\n  ')}\n`, `a: [${scalar}]\n`, `${scalar}: 1\n`].map(indented)),
      ...KEYS.map((key) => `${key}: 1\nother: 2\n`),
    ];
    for (const text of texts) {
      const quick = quickRead(text);
      if (!quick.ok) continue;
      read += 1;
      expect(canonical(quick.data), text).toBe(canonical(fullData(text)));
    }
    expect(read).toBeGreaterThan(SCALARS.length);
  });

  it('leaves anchors, aliases, tags, merge keys, directives, explicit keys, tabs, null keys and deep nesting to the full reader', () => {
    const left = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: ! 1\n',
      'base: {x: 1}\nc:\n  <<: {x: 2}\n',
      '%YAML 1.2\n---\na: 1\n',
      '? a\n: 1\n',
      'a:\t1\n',
      '~: 1\n',
      ': 1\n',
      `a: ${'['.repeat(63)}1${']'.repeat(63)}\n`,
      'a: 1\n---\nb: 2\n',
      '- a\n',
      '',
      '# only a comment\n',
      'a: 1\na: 2\n',
    ];
    for (const text of left) expect(quickRead(text).ok, text).toBe(false);
    // What looks like them but is not: an ampersand or a star with a space after it, `?` inside a word.
    expect(quickRead('topic: Weights & Biases\nnote: a * b\nurl: http://x.org/?a=1&b=2\n')).toEqual({
      ok: true,
      data: { topic: 'Weights & Biases', note: 'a * b', url: 'http://x.org/?a=1&b=2' },
    });
  });

  it(`mutated course files: whatever the quick reader reads, the full reader reads the same (${process.env.QUICK_READ_MUTATIONS ?? '1,500'})`, LONG, () => {
    const count = Number(process.env.QUICK_READ_MUTATIONS ?? 1_500);
    const tally = differential(15, count);
    // Not true only of the easy cases: both ways are taken often.
    expect(tally.quick).toBeGreaterThan(count / 5);
    expect(tally.full).toBeGreaterThan(count / 10);
    if (process.env.QUICK_READ_MUTATIONS) process.stdout.write(`${JSON.stringify(tally)}\n`);
  });

  it(`random documents in random block styles, mutated or not (${process.env.QUICK_READ_MUTATIONS ?? '3,000'})`, LONG, () => {
    const count = Number(process.env.QUICK_READ_MUTATIONS ?? 3_000);
    const next = random(17);
    let quick = 0;
    for (let index = 0; index < count; index += 1) {
      const text = randomYaml(next);
      const read = quickRead(text);
      if (!read.ok) continue;
      quick += 1;
      const full = fullData(text);
      if (full === undefined || canonical(full) !== canonical(read.data)) {
        expect.fail(`the readers differ on random document #${index}:\n${text}\nquick: ${canonical(read.data)}\nfull: ${full === undefined ? 'refused' : canonical(full)}`);
      }
    }
    expect(quick).toBeGreaterThan(count / 4);
  });

  it('a user gets the same course, or the same problems at the same lines, with or without the quick reader', () => {
    const next = random(16);
    const names = Object.keys(CORPUS);
    let refused = 0;
    for (let index = 0; index < 300; index += 1) {
      const text = mutate(CORPUS[names[index % names.length]!]!, next);
      const quick = answer(text, true);
      expect(quick, text).toBe(answer(text, false));
      if (!quick.startsWith('{')) refused += 1;
    }
    expect(refused).toBeGreaterThan(25);
  });
});
