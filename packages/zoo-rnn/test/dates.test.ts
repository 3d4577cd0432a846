import { describe, expect, it } from 'vitest';
import {
  DATE_COUNT,
  DATE_FORMAT_NAMES,
  DATE_FORMATS,
  dateAt,
  dateTask,
  decodeTarget,
  encodeSource,
  encodeTarget,
  isoDate,
} from '../src/index.js';

/**
 * Calendar facts from outside the code: 1950-01-01 was a Sunday, 1998-03-05 a Thursday,
 * 2000-02-29 a Tuesday and 2049-12-31 a Friday (any perpetual calendar); 1950–2049 holds 25 leap
 * years (1952 … 2048, 2000 included), so 100·365 + 25 = 36,525 days.
 */
describe('the date-translation task', () => {
  it('spans 36,525 days from 1950-01-01 (a Sunday) to 2049-12-31 (a Friday)', () => {
    expect(DATE_COUNT).toBe(36525);
    expect(dateAt(0)).toEqual({ year: 1950, month: 1, day: 1, weekday: 0 });
    expect(dateAt(DATE_COUNT - 1)).toEqual({ year: 2049, month: 12, day: 31, weekday: 5 });
    // 2000-02-29: 50 years (12 leap days: 1952 … 1996) + 31 + 28 days after 1950-01-01.
    expect(dateAt(50 * 365 + 12 + 31 + 28)).toEqual({ year: 2000, month: 2, day: 29, weekday: 2 });
    expect(() => dateAt(DATE_COUNT)).toThrow('dateAt: index must be an integer in [0, 36525), got 36525');
  });

  it('writes 1998-03-05 (a Thursday) in each of the 14 formats', () => {
    const d = { year: 1998, month: 3, day: 5, weekday: 4 };
    expect(isoDate(d)).toBe('1998-03-05');
    expect(Object.fromEntries(DATE_FORMAT_NAMES.map((f) => [f, DATE_FORMATS[f]!(d)]))).toEqual({
      'd MMMM yyyy': '5 March 1998',
      'MMMM d, yyyy': 'March 5, 1998',
      'EEEE, MMMM d, yyyy': 'Thursday, March 5, 1998',
      'EEE d MMM yyyy': 'Thu 5 Mar 1998',
      'dd.MM.yyyy': '05.03.1998',
      'MM/dd/yyyy': '03/05/1998',
      'd MMM yy': '5 Mar 98',
      'mmm d yyyy': 'mar 5 1998',
      'DD MMM YYYY': '05 MAR 1998',
      'eeee d mmmm yyyy': 'thursday 5 march 1998',
      yyyyMMdd: '19980305',
      'the do of mmmm yyyy': 'the 5th of march 1998',
      'MMMM yyyy, d': 'March 1998, 5',
      'd-M-yyyy': '5-3-1998',
    });
    // Ordinals: 1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd.
    const ord = (day: number) => DATE_FORMATS['the do of mmmm yyyy']!({ ...d, day }).split(' ')[1];
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23].map(ord)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
    ]);
  });

  it('keeps held-out days out of training, is seeded, and tests every format equally', () => {
    const a = dateTask({ trainSize: 3000, testSize: 280, seed: 3 });
    const b = dateTask({ trainSize: 3000, testSize: 280, seed: 3 });
    expect(a.train.map((p) => p.source)).toEqual(b.train.map((p) => p.source));
    const held = new Set(a.testDays);
    expect(held.size).toBe(280);
    expect(a.train.some((p) => held.has(p.day))).toBe(false);
    const perFormat = DATE_FORMAT_NAMES.map((_, f) => a.test.filter((p) => p.format === f).length);
    expect(perFormat).toEqual(DATE_FORMAT_NAMES.map(() => 20));
    for (const p of a.test.slice(0, 30)) expect(p.target).toBe(isoDate(dateAt(p.day)));
    expect(dateTask({ trainSize: 10, testSize: 5, seed: 4 }).test.map((p) => p.day)).not.toEqual(
      a.test.slice(0, 5).map((p) => p.day),
    );
    expect(() => dateTask({ testSize: 0 })).toThrow(
      'dateTask: testSize must be an integer in [1, 36525), got 0',
    );
  });

  it('encodes sources as printable ASCII and targets as digits, dashes and the end token', () => {
    expect([...encodeSource('A 1', 5)]).toEqual([34, 1, 18, 0, 0]);
    expect(() => encodeSource('5 März 1998')).toThrow(
      'encodeSource: character "ä" at 3 of \'5 März 1998\' is not printable ASCII',
    );
    expect(() => encodeSource('Thursday, March 5, 1998', 10)).toThrow(
      "encodeSource: 'Thursday, March 5, 1998' has 23 characters, more than the limit 10",
    );
    expect([...encodeSource('')]).toEqual([]);
    const t = encodeTarget('1998-03-05');
    expect([...t]).toEqual([3, 11, 11, 10, 12, 2, 5, 12, 2, 7, 1]);
    expect(decodeTarget(t)).toBe('1998-03-05');
    expect(decodeTarget([0, 3, 1, 4])).toBe('1');
    expect(() => encodeTarget('1998-3-5')).toThrow("encodeTarget: expected YYYY-MM-DD, got '1998-3-5'");
    expect(() => decodeTarget([3, 13])).toThrow(
      'decodeTarget: id 13 at 1 is outside the target vocabulary 0–12',
    );
  });
});
