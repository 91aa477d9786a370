import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { answerable, interactionProblem, problemByZod, wellFormed } from '../../../src/platforms/discord/payload.js';
import { random } from '../../support/random.js';

const option = (value: unknown) => ({ name: 'topic', type: 3, value, focused: false });
const BASES: readonly Record<string, unknown>[] = [
  {
    id: '1300000000000000001',
    token: 'aW50ZXJhY3Rpb24',
    type: 2,
    channel: { id: '12', type: 0 },
    member: { user: { id: '2', username: 'student' }, permissions: '2147483647', roles: ['5'] },
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: { 0: '3' },
    data: { id: '4', name: 'week', type: 1, options: [{ name: 'number', type: 4, value: 2 }], resolved: { users: { 2: { id: '2' } } } },
  },
  {
    id: '1300000000000000002',
    token: 't',
    type: 4,
    user: { id: '7' },
    entitlements: [{ id: '9' }],
    authorizing_integration_owners: {},
    data: { name: 'course', type: 1, options: [{ name: 'edit', type: 1, options: [option('Dock'), { name: 'date', type: 3, value: '', focused: true }] }] },
  },
  { id: '3', token: 'x', type: 3, user: { id: '1' }, entitlements: [], authorizing_integration_owners: { 1: '2' }, data: { custom_id: 'b', component_type: 2 } },
];

/** Values a broken or hostile payload may carry anywhere. */
const ODD: readonly unknown[] = [
  undefined, null, '', 'x', '12', 'all', 'x'.repeat(101), 'x'.repeat(6_001), 0, -1, 1.5, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY,
  true, false, [], [null], [{}], ['1'], {}, { id: 1 }, { id: '' }, { id: '5' }, { name: 'n', type: 3 }, Array.from({ length: 26 }, () => option('a')),
];

function pick<T>(next: () => number, from: readonly T[]): T {
  return from[Math.floor(next() * from.length)]!;
}

/** A copy of `value` with one value somewhere inside replaced by an odd one (or a key removed). */
function mutate(next: () => number, value: unknown, depth = 0): unknown {
  if (depth > 0 && next() < 0.3) return pick(next, ODD);
  if (Array.isArray(value)) {
    if (value.length === 0) return next() < 0.5 ? [pick(next, ODD)] : value;
    const at = Math.floor(next() * value.length);
    return (value as unknown[]).map((entry, index) => (index === at ? mutate(next, entry, depth + 1) : entry));
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const key = next() < 0.1 ? 'focused' : pick(next, keys);
    if (next() < 0.15) delete copy[key];
    else copy[key] = mutate(next, copy[key], depth + 1);
    return copy;
  }
  return pick(next, ODD);
}

describe('the plain check of an interaction payload against zod', () => {
  it('accepts every well-formed example, as zod does', () => {
    for (const base of BASES) {
      expect(problemByZod(base)).toBeUndefined();
      expect(wellFormed(base)).toBe(true);
    }
  });

  it('never accepts what zod refuses (20,000 mutated payloads), and interactionProblem says what zod says', () => {
    const next = random(15);
    let refused = 0;
    for (let round = 0; round < 20_000; round++) {
      let payload: unknown = pick(next, BASES);
      for (let times = 1 + Math.floor(next() * 3); times > 0; times--) payload = mutate(next, payload);
      const byZod = problemByZod(payload);
      if (wellFormed(payload)) expect(byZod, JSON.stringify(payload)).toBeUndefined();
      expect(interactionProblem(payload)).toBe(byZod);
      if (byZod !== undefined) refused += 1;
    }
    // The mutations do reach what zod refuses (and not only that).
    expect(refused).toBeGreaterThan(5_000);
    expect(refused).toBeLessThan(19_000);
  });

  it('answerable takes the id, token and type exactly where the schema it replaced did', () => {
    const schema = z.object({ id: z.string().regex(/^\d{1,25}$/), token: z.string().regex(/^[\w.:-]{1,500}$/), type: z.number().int() });
    const next = random(16);
    const shapes: unknown[] = [
      ...BASES,
      { id: '1'.repeat(26), token: 't', type: 2 },
      { id: '12', token: 'a/b', type: 2 },
      { id: '12', token: 'x'.repeat(501), type: 2 },
      { id: '12', token: 'x'.repeat(500), type: 2 },
      { id: '12', token: 'ok', type: 2.5 },
      { id: '12\n', token: 'ok', type: 2 },
    ];
    for (let round = 0; round < 5_000; round++) shapes.push(mutate(next, pick(next, BASES)));
    for (const payload of shapes) {
      const expected = schema.safeParse(payload);
      expect(answerable(payload), JSON.stringify(payload)).toEqual(expected.success ? expected.data : undefined);
    }
  });
});
