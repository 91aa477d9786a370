import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  isIsoDate,
  localDateOf,
  mondayOf,
  normalizeLocalTime,
  parseWeekday,
  placeWeekday,
  weekNumberOf,
  weekdayOf,
  zonedInstant,
} from '../../src/core/course/dates.js';

describe('dates', () => {
  it.each([
    ['2027-01-04', 'monday'],
    ['2027-01-09', 'saturday'],
    ['2024-01-02', 'tuesday'],
    ['2025-01-18', 'saturday'],
  ])('%s is a %s', (date, day) => {
    expect(weekdayOf(date)).toBe(day);
  });

  it('finds the Monday of a week and counts weeks from the week of the start', () => {
    expect(mondayOf('2024-01-06')).toBe('2024-01-01');
    expect(mondayOf('2027-01-04')).toBe('2027-01-04');
    expect(mondayOf('2027-01-10')).toBe('2027-01-04');
    // A course starting on a Tuesday: its week 1 is still Monday–Sunday.
    expect(weekNumberOf('2024-01-02', '2024-01-06')).toBe(1);
    expect(weekNumberOf('2024-01-02', '2024-01-07')).toBe(1);
    expect(weekNumberOf('2024-01-02', '2024-01-08')).toBe(2);
    expect(weekNumberOf('2027-01-04', '2027-01-03')).toBe(0);
    expect(weekNumberOf('2027-01-04', '2027-01-22')).toBe(3);
  });

  it('places a weekday in a course week, across month and year ends', () => {
    expect(placeWeekday('2027-01-04', 1, 'monday')).toBe('2027-01-04');
    expect(placeWeekday('2027-01-04', 3, 'friday')).toBe('2027-01-22');
    expect(placeWeekday('2024-01-02', 1, 'saturday')).toBe('2024-01-06');
    expect(placeWeekday('2026-12-30', 2, 'monday')).toBe('2027-01-04');
    expect(placeWeekday('2024-01-02', 1, 'monday')).toBe('2024-01-01');
  });

  it('adds and counts days', () => {
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(daysBetween('2026-11-27', '2027-01-04')).toBe(38);
    expect(daysBetween('2027-01-04', '2027-01-01')).toBe(-3);
  });

  it('counts days as luxon does, over the whole range of four-digit years', () => {
    // A seeded walk over dates and near-dates (day 0, day 29–31 of every month), compared with luxon.
    let seed = 11;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % below;
    };
    const mismatches: string[] = [];
    for (let round = 0; round < 3000; round += 1) {
      const year = String(random(10_000)).padStart(4, '0');
      const month = String(random(14)).padStart(2, '0');
      const day = String([0, 28, 29, 30, 31, 32][random(6)]! - random(2) * random(28)).padStart(2, '0');
      const date = `${year}-${month}-${day}`;
      const luxon = DateTime.fromISO(date, { zone: 'utc' });
      if (isIsoDate(date) !== luxon.isValid) mismatches.push(`${date} valid`);
      if (!luxon.isValid || year === '0000' || year >= '9998') continue;
      const step = random(2000) - 1000;
      const later = luxon.plus({ days: step });
      if (later.year < 1 || later.year > 9999) continue;
      if (weekdayOf(date) !== later.minus({ days: step }).toFormat('cccc').toLowerCase()) mismatches.push(`${date} weekday`);
      if (addDays(date, step) !== later.toISODate()) mismatches.push(`${date} + ${step}`);
      if (daysBetween(date, later.toISODate()) !== step) mismatches.push(`${date} … ${step}`);
      if (mondayOf(date) !== luxon.startOf('week').toISODate()) mismatches.push(`${date} monday`);
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses to write a date past the year 9999 rather than a malformed one', () => {
    expect(addDays('9999-12-31', 0)).toBe('9999-12-31');
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    expect(isIsoDate('+10000-01-01')).toBe(false);
  });

  it('reads weekday names and local times leniently but not wrongly', () => {
    expect(parseWeekday('Monday')).toBe('monday');
    expect(parseWeekday(' TUE ')).toBe('tuesday');
    expect(parseWeekday('mo')).toBeUndefined();
    expect(parseWeekday('funday')).toBeUndefined();
    expect(normalizeLocalTime('8:00')).toBe('08:00');
    expect(normalizeLocalTime('23:59')).toBe('23:59');
    expect(normalizeLocalTime('24:00')).toBeUndefined();
    expect(normalizeLocalTime('8h')).toBeUndefined();
  });

  it('takes the local date of an instant in the given zone, not the machine zone', () => {
    const instant = new Date('2027-01-04T23:30:00Z');
    expect(localDateOf(instant, 'Europe/Copenhagen')).toBe('2027-01-05');
    expect(localDateOf(instant, 'America/New_York')).toBe('2027-01-04');
    expect(localDateOf(instant, 'Australia/Sydney')).toBe('2027-01-05');
  });

  describe('zonedInstant across DST changes', () => {
    it.each([
      // zone, date, wall time, expected UTC instant
      ['Europe/Copenhagen', '2027-01-04', '08:00', '2027-01-04T07:00:00.000Z'],
      ['Europe/Copenhagen', '2027-07-05', '08:00', '2027-07-05T06:00:00.000Z'],
      // spring forward: 02:00–03:00 does not exist → the first valid minute, 03:00 CEST
      ['Europe/Copenhagen', '2027-03-28', '02:30', '2027-03-28T01:00:00.000Z'],
      // fall back: 02:30 happens twice → the first one, in CEST
      ['Europe/Copenhagen', '2027-10-31', '02:30', '2027-10-31T00:30:00.000Z'],
      ['America/New_York', '2027-03-14', '02:15', '2027-03-14T07:00:00.000Z'],
      ['America/New_York', '2027-11-07', '01:30', '2027-11-07T05:30:00.000Z'],
      ['Australia/Sydney', '2027-10-03', '02:30', '2027-10-02T16:00:00.000Z'],
      ['Australia/Sydney', '2027-04-04', '02:30', '2027-04-03T15:30:00.000Z'],
      // a 30-minute gap
      ['Australia/Lord_Howe', '2027-10-03', '02:10', '2027-10-02T15:30:00.000Z'],
    ])('%s %s %s', (zone, date, time, utc) => {
      expect(zonedInstant(date, time, zone).toUTC().toISO()).toBe(utc);
    });
  });
});
