import { describe, expect, it } from 'vitest';
import { type Clock, parseInstant, shiftedClock } from '../../src/core/clock.js';

const COPENHAGEN = 'Europe/Copenhagen';
const iso = (text: string, zone = COPENHAGEN) => parseInstant(text, zone)?.toISOString();

describe('parseInstant (--at)', () => {
  it('reads a date, a date and time with a T or spaces, with or without seconds, in the zone', () => {
    expect(iso('2027-01-05')).toBe('2027-01-04T23:00:00.000Z');
    expect(iso('2027-01-05 10:00')).toBe('2027-01-05T09:00:00.000Z');
    expect(iso('2027-01-05T10:00')).toBe('2027-01-05T09:00:00.000Z');
    expect(iso(' 2027-01-05 \t 10:00:30 ')).toBe('2027-01-05T09:00:30.000Z');
    expect(iso('2027-01-05 10:00:30.250')).toBe('2027-01-05T09:00:30.250Z');
    // Summer time in the zone.
    expect(iso('2027-07-05 10:00')).toBe('2027-07-05T08:00:00.000Z');
  });

  it('takes an offset over the zone: Z, ±HH:MM, ±HHMM, ±HH, with or without a space before it', () => {
    expect(iso('2027-01-05T10:00Z')).toBe('2027-01-05T10:00:00.000Z');
    expect(iso('2027-01-05T10:00z')).toBe('2027-01-05T10:00:00.000Z');
    expect(iso('2027-01-05T10:00+01:00')).toBe('2027-01-05T09:00:00.000Z');
    expect(iso('2027-01-05 10:00 -0530')).toBe('2027-01-05T15:30:00.000Z');
    expect(iso('2027-01-05 10:00+14')).toBe('2027-01-04T20:00:00.000Z');
  });

  it.each([
    '',
    ' ',
    'tomorrow',
    '2027-1-5',
    '5/1/2027',
    '2027-01-05T',
    '2027-01-05 10',
    '2027-01-05 25:00',
    '2027-01-05 10:00:60',
    '2027-02-30',
    '2027-01-05\n10:00',
    '2027-01-05T10:00+15:00',
    '2027-01-05T10:00 Europe/Paris',
    '0999-12-31',
    '0001-01-01',
    '+002027-01-05',
    '2027-W01-2',
    '9999-12-31T23:00-12:00',
  ])('refuses %j', (text) => {
    expect(parseInstant(text, COPENHAGEN)).toBeUndefined();
  });
});

describe('shiftedClock (start --at)', () => {
  it('reads the instant at `from`: two clocks made at different moments with the same start and `from` agree', () => {
    let real = Date.parse('2026-12-02T07:00:00Z');
    const base: Clock = { now: () => new Date(real) };
    const began = base.now();
    const at = new Date('2027-01-05T06:59:57Z');
    real += 1_700; // one instance took 1.7 s longer to read its course
    const late = shiftedClock(at, base, began);
    const fromNow = shiftedClock(at, base);
    expect(late.now().toISOString()).toBe('2027-01-05T06:59:58.700Z');
    expect(fromNow.now().toISOString()).toBe('2027-01-05T06:59:57.000Z');
    real += 300;
    expect(late.now().toISOString()).toBe('2027-01-05T06:59:59.000Z');
  });
});
