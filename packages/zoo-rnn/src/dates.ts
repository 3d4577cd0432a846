import { Generator } from '@myelin/core';

/**
 * A date-format translation task the project generates: dates written in many human formats
 * ("Thursday, March 5, 1998", "05.03.1998", "the 5th of march 1998", "5 Mar 98") to ISO 8601
 * `YYYY-MM-DD`. Dates run from 1950-01-01 to 2049-12-31 (36,525 days), so a two-digit year is
 * never ambiguous (50–99 → 19xx, 00–49 → 20xx). Numeric formats keep one convention per separator
 * (`dd.MM.yyyy` is day first, `MM/dd/yyyy` month first), so every input has exactly one answer.
 * Held-out dates are a seeded set of days disjoint from the training days.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The first and last day of the task (UTC). */
export const FIRST_DATE = '1950-01-01';
export const LAST_DATE = '2049-12-31';
const DAY_MS = 86_400_000;
const FIRST_MS = Date.UTC(1950, 0, 1);
/** Days from FIRST_DATE to LAST_DATE inclusive. */
export const DATE_COUNT = Math.round((Date.UTC(2049, 11, 31) - FIRST_MS) / DAY_MS) + 1;

const pad2 = (n: number) => String(n).padStart(2, '0');
const ordinal = (d: number) =>
  `${d}${d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th'}`;

/** A calendar day. */
export interface CalendarDate {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

/** The `index`-th day from 1950-01-01 (0 … DATE_COUNT − 1). */
export function dateAt(index: number): CalendarDate {
  if (!Number.isInteger(index) || index < 0 || index >= DATE_COUNT) {
    throw new RangeError(`dateAt: index must be an integer in [0, ${DATE_COUNT}), got ${index}`);
  }
  const d = new Date(FIRST_MS + index * DAY_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

/** `YYYY-MM-DD`. */
export function isoDate(d: CalendarDate): string {
  return `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
}

/** The human formats of the task, by name, each a function of the date. */
export const DATE_FORMATS: Readonly<Record<string, (d: CalendarDate) => string>> = {
  'd MMMM yyyy': (d) => `${d.day} ${MONTHS[d.month - 1]} ${d.year}`,
  'MMMM d, yyyy': (d) => `${MONTHS[d.month - 1]} ${d.day}, ${d.year}`,
  'EEEE, MMMM d, yyyy': (d) => `${WEEKDAYS[d.weekday]}, ${MONTHS[d.month - 1]} ${d.day}, ${d.year}`,
  'EEE d MMM yyyy': (d) =>
    `${WEEKDAYS[d.weekday]!.slice(0, 3)} ${d.day} ${MONTHS[d.month - 1]!.slice(0, 3)} ${d.year}`,
  'dd.MM.yyyy': (d) => `${pad2(d.day)}.${pad2(d.month)}.${d.year}`,
  'MM/dd/yyyy': (d) => `${pad2(d.month)}/${pad2(d.day)}/${d.year}`,
  'd MMM yy': (d) => `${d.day} ${MONTHS[d.month - 1]!.slice(0, 3)} ${pad2(d.year % 100)}`,
  'mmm d yyyy': (d) => `${MONTHS[d.month - 1]!.slice(0, 3).toLowerCase()} ${d.day} ${d.year}`,
  'DD MMM YYYY': (d) => `${pad2(d.day)} ${MONTHS[d.month - 1]!.slice(0, 3).toUpperCase()} ${d.year}`,
  'eeee d mmmm yyyy': (d) =>
    `${WEEKDAYS[d.weekday]!.toLowerCase()} ${d.day} ${MONTHS[d.month - 1]!.toLowerCase()} ${d.year}`,
  yyyyMMdd: (d) => `${d.year}${pad2(d.month)}${pad2(d.day)}`,
  'the do of mmmm yyyy': (d) => `the ${ordinal(d.day)} of ${MONTHS[d.month - 1]!.toLowerCase()} ${d.year}`,
  'MMMM yyyy, d': (d) => `${MONTHS[d.month - 1]} ${d.year}, ${d.day}`,
  'd-M-yyyy': (d) => `${d.day}-${d.month}-${d.year}`,
};
export const DATE_FORMAT_NAMES: readonly string[] = Object.keys(DATE_FORMATS);

/** One source → target pair. */
export interface DatePair {
  source: string;
  target: string;
  /** Which of DATE_FORMAT_NAMES wrote the source. */
  format: number;
  /** The day's index from 1950-01-01. */
  day: number;
}

/** Training and held-out pairs over disjoint sets of days. */
export interface DateTask {
  train: DatePair[];
  test: DatePair[];
  /** The held-out days (sorted), none of which appears in `train`. */
  testDays: Int32Array;
}

export interface DateTaskOptions {
  /** Training pairs (default 20,000), days drawn with replacement from the training days. */
  trainSize?: number;
  /** Held-out days (default 2,000), each written once, formats in turn. */
  testSize?: number;
  seed?: number;
}

/**
 * The seeded task: a permutation of the 36,525 days sets `testSize` of them aside; training pairs
 * draw a day from the rest and a format uniformly; held-out day i is written in format
 * i mod 14, so every format is tested equally.
 */
export function dateTask(options: DateTaskOptions = {}): DateTask {
  const op = 'dateTask';
  const trainSize = options.trainSize ?? 20_000;
  const testSize = options.testSize ?? 2000;
  if (!Number.isInteger(trainSize) || trainSize < 1)
    throw new RangeError(`${op}: trainSize must be an integer ≥ 1, got ${trainSize}`);
  if (!Number.isInteger(testSize) || testSize < 1 || testSize >= DATE_COUNT) {
    throw new RangeError(`${op}: testSize must be an integer in [1, ${DATE_COUNT}), got ${testSize}`);
  }
  const gen = new Generator(options.seed ?? 0);
  const perm = gen.permutation(DATE_COUNT);
  const testDays = Int32Array.from(perm.subarray(0, testSize)).sort();
  const trainDays = perm.subarray(testSize);
  const formats = DATE_FORMAT_NAMES.length;
  const pick = gen.randint(0, trainDays.length, trainSize);
  const fmt = gen.randint(0, formats, trainSize);
  const pair = (day: number, format: number): DatePair => {
    const d = dateAt(day);
    return { source: DATE_FORMATS[DATE_FORMAT_NAMES[format]!]!(d), target: isoDate(d), format, day };
  };
  const train = Array.from(pick, (p, i) => pair(trainDays[p]!, fmt[i]!));
  const test = Array.from(testDays, (day, i) => pair(day, i % formats));
  return { train, test, testDays };
}

// ---------------------------------------------------------------------------------------------
// Vocabularies

/** Source characters: printable ASCII (space … '~'), after the padding id 0. */
export const SOURCE_PAD = 0;
export const SOURCE_VOCAB_SIZE = 1 + 95;
/** Target tokens: 0 = start, 1 = end, 2–11 = '0'–'9', 12 = '-'. */
export const TARGET_BOS = 0;
export const TARGET_EOS = 1;
export const TARGET_VOCAB_SIZE = 13;
/** Characters of an ISO date. */
export const ISO_LENGTH = 10;

/**
 * Source ids of `text`, padded with 0 to `length` (default: the text's length).
 *
 * @throws RangeError naming the first character outside printable ASCII, or a text longer than `length`
 */
export function encodeSource(text: string, length = text.length): Int32Array {
  const op = 'encodeSource';
  if (text.length > length) {
    throw new RangeError(`${op}: '${text}' has ${text.length} characters, more than the limit ${length}`);
  }
  const out = new Int32Array(length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126) {
      throw new RangeError(
        `${op}: character ${JSON.stringify(text[i])} at ${i} of '${text}' is not printable ASCII (space … '~')`,
      );
    }
    out[i] = c - 31;
  }
  return out;
}

/** Target ids of an ISO date, then the end token: 11 ids. */
export function encodeTarget(iso: string): Int32Array {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso))
    throw new RangeError(`encodeTarget: expected YYYY-MM-DD, got '${iso}'`);
  const out = new Int32Array(ISO_LENGTH + 1);
  for (let i = 0; i < ISO_LENGTH; i++) out[i] = iso[i] === '-' ? 12 : iso.charCodeAt(i) - 48 + 2;
  out[ISO_LENGTH] = TARGET_EOS;
  return out;
}

/** The text of target ids, stopping at the end token (start tokens are skipped). */
export function decodeTarget(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (t === TARGET_EOS) break;
    if (t === TARGET_BOS) continue;
    if (!Number.isInteger(t) || t < 0 || t >= TARGET_VOCAB_SIZE) {
      throw new RangeError(
        `decodeTarget: id ${t} at ${i} is outside the target vocabulary 0–${TARGET_VOCAB_SIZE - 1}`,
      );
    }
    s += t === 12 ? '-' : String(t - 2);
  }
  return s;
}

/** Display names of the target tokens (for heat-map axes and the like). */
export const TARGET_TOKENS: readonly string[] = [
  '<s>',
  '</s>',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '-',
];
