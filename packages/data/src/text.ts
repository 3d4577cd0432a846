import { fromArray, type RandomAccessDataset } from './dataset.js';

export interface LineOptions {
  /** Drop lines that are empty (after trimming, when `trim` is set). Default false. */
  skipEmpty?: boolean;
  /** Remove leading and trailing white space from each line. Default false. */
  trim?: boolean;
}

/**
 * The lines of a text: split at LF, CRLF or a lone CR; a final line break does not start another
 * (empty) line, and a leading byte-order mark is dropped.
 *
 * @example
 * splitLines('a\r\nb\n\nc\n'); // ['a', 'b', '', 'c']
 */
export function splitLines(text: string, options: LineOptions = {}): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text === '') return [];
  let lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (options.trim) lines = lines.map((l) => l.trim());
  if (options.skipEmpty) lines = lines.filter((l) => l !== '');
  return lines;
}

/**
 * A random-access dataset of the lines of a string (for a file, see `textFileLines` in
 * `@myelin/data/node`).
 *
 * @example
 * const corpus = textLines('the cat sat\non the mat\n').map((line) => line.split(' '));
 */
export function textLines(text: string, options: LineOptions = {}): RandomAccessDataset<string> {
  return fromArray(splitLines(text, options));
}
