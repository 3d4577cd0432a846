/**
 * CSV as RFC 4180 writes it: fields separated by a delimiter, records by CRLF or LF (a lone CR
 * too); a field in double quotes may hold delimiters, quotes (doubled: `""`) and line breaks. A
 * UTF-8 byte-order mark at the start is skipped.
 */

export type CsvColumnType = 'number' | 'int' | 'string' | 'boolean';

/** A parsed cell: missing values are `null`. */
export type CsvValue = number | string | boolean | null;

export type CsvRow = Record<string, CsvValue>;

export interface CsvParseOptions {
  /** Field separator (default `,`); one character. */
  delimiter?: string;
  /** Quote character (default `"`); one character. */
  quote?: string;
}

export interface CsvOptions extends CsvParseOptions {
  /** The first record names the columns (default true). */
  header?: boolean;
  /** Column names; required-ish without a header (default `c0`, `c1`, …), overrides the header's. */
  columns?: readonly string[];
  /**
   * Column types by name or by position; columns not given are inferred from their non-missing
   * values: `boolean` (true/false, any case), else `int`, else `number`, else `string`.
   */
  types?: Readonly<Record<string, CsvColumnType>> | readonly CsvColumnType[];
  /** Unquoted cells that mean "missing" (default `''`, `NA`, `N/A`, `NaN`, `null`); quoted cells never are. */
  missing?: readonly string[];
  /** Skip records that are entirely empty lines (default true). */
  skipEmptyLines?: boolean;
}

/** A malformed CSV text or a cell that does not fit its column's type. */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    message: string,
    /** 1-based line where the offending record starts. */
    readonly line: number,
  ) {
    super(message);
  }
}

interface RawRecord {
  fields: string[];
  quoted: boolean[];
  line: number;
}

function checkChar(name: string, c: string): void {
  if (c.length !== 1 || c === '\n' || c === '\r') {
    throw new RangeError(
      `parseCsv: ${name} must be one character other than a line break, got ${JSON.stringify(c)}`,
    );
  }
}

/** Line breaks (LF, CRLF or a lone CR) in `text[from, to)`. */
function countLineBreaks(text: string, from: number, to: number): number {
  let lines = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 10 || (c === 13 && text.charCodeAt(k + 1) !== 10)) lines++;
  }
  return lines;
}

function tokenize(text: string, delimiter: string, quote: string): RawRecord[] {
  checkChar('delimiter', delimiter);
  checkChar('quote', quote);
  if (delimiter === quote) throw new RangeError('parseCsv: delimiter and quote must differ');
  const records: RawRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  if (i >= n) return records;
  let fields: string[] = [];
  let quoted: boolean[] = [];
  let recordLine = 1;
  for (;;) {
    // One field starts at i.
    let value = '';
    let wasQuoted = false;
    if (text[i] === quote) {
      wasQuoted = true;
      const openLine = line;
      i++;
      // Copy the runs between quotes with slices (linear; building the value a character at a
      // time made long quoted fields slow), counting the line breaks inside for messages.
      const parts: string[] = [];
      for (;;) {
        const close = text.indexOf(quote, i);
        if (close < 0)
          throw new CsvError(`parseCsv: a quoted field opened on line ${openLine} is never closed`, openLine);
        line += countLineBreaks(text, i, close);
        parts.push(text.slice(i, close));
        if (text[close + 1] === quote) {
          parts.push(quote);
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      value = parts.length === 1 ? parts[0]! : parts.join('');
      if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvError(
          `parseCsv: line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field is written "")`,
          line,
        );
      }
    } else {
      const start = i;
      while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') i++;
      value = text.slice(start, i);
    }
    fields.push(value);
    quoted.push(wasQuoted);
    if (i < n && text[i] === delimiter) {
      i++;
      continue;
    }
    // End of record: a line break or the end of the text.
    records.push({ fields, quoted, line: recordLine });
    fields = [];
    quoted = [];
    if (i >= n) break;
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    recordLine = line;
    if (i >= n) break; // a final line break ends the last record
  }
  return records;
}

/**
 * Split CSV text into records of raw string fields (no header handling, no types).
 *
 * @example
 * parseCsvRecords('a,"b,c"\n1,"say ""hi"""'); // [['a', 'b,c'], ['1', 'say "hi"']]
 */
export function parseCsvRecords(text: string, options: CsvParseOptions = {}): string[][] {
  return tokenize(text, options.delimiter ?? ',', options.quote ?? '"').map((r) => r.fields);
}

// Hand-written scanners rather than regular expressions: the former NUMBER pattern
// (`\d+\.?\d*` with nothing between the two digit runs) backtracked quadratically on a long run of
// digits that did not match in the end (a 64,000-digit cell took 9 s). Each scanner is one pass.

/** Digits 0-9 starting at `i`; returns the index after them. */
function skipDigits(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

function signEnd(s: string): number {
  return s[0] === '+' || s[0] === '-' ? 1 : 0;
}

/** `[+-]?\d+`, the whole string. */
function isInt(s: string): boolean {
  const start = signEnd(s);
  return s.length > start && skipDigits(s, start) === s.length;
}

/** `[+-]?(Infinity|inf)`, any case. */
function isInfinity(s: string): boolean {
  const rest = s.length - signEnd(s);
  if (rest !== 3 && rest !== 8) return false; // checked before slicing, so a long cell costs nothing
  const word = s.slice(s.length - rest).toLowerCase();
  return word === 'inf' || word === 'infinity';
}

/** `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?` or an infinity, the whole string. */
function isNumber(s: string): boolean {
  if (isInfinity(s)) return true;
  let i = signEnd(s);
  const intEnd = skipDigits(s, i);
  let digits = intEnd - i;
  i = intEnd;
  if (s[i] === '.') {
    const fracEnd = skipDigits(s, i + 1);
    digits += fracEnd - i - 1;
    i = fracEnd;
  }
  if (digits === 0) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    if (s[i] === '+' || s[i] === '-') i++;
    const expEnd = skipDigits(s, i);
    if (expEnd === i) return false;
    i = expEnd;
  }
  return i === s.length;
}

function isBool(s: string): boolean {
  if (s.length !== 4 && s.length !== 5) return false;
  const w = s.toLowerCase();
  return w === 'true' || w === 'false';
}

/** At most 80 characters of a cell or list, quoted, for error messages. */
function clip(s: string): string {
  return (
    JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s) +
    (s.length > 80 ? ` (${s.length} characters)` : '')
  );
}

function inferType(values: string[]): CsvColumnType {
  if (values.length === 0) return 'string';
  if (values.every((v) => isBool(v.trim()))) return 'boolean';
  if (values.every((v) => isInt(v.trim()))) return 'int';
  if (values.every((v) => isNumber(v.trim()))) return 'number';
  return 'string';
}

function convert(raw: string, type: CsvColumnType): CsvValue | undefined {
  const v = raw.trim();
  switch (type) {
    case 'string':
      return raw;
    case 'boolean':
      return isBool(v) ? v.toLowerCase() === 'true' : undefined;
    case 'int':
      return isInt(v) ? Number(v) : undefined;
    case 'number':
      if (!isNumber(v)) return undefined;
      return isInfinity(v)
        ? v.startsWith('-')
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY
        : Number(v);
  }
}

/**
 * `row[name] = value`, except that a column named `__proto__` becomes an own property instead of
 * replacing the row's prototype (the header comes from the file).
 */
function setField(row: CsvRow, name: string, value: CsvValue): void {
  if (name === '__proto__') {
    Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    row[name] = value;
  }
}

/** A parsed CSV file: column names and types, and the rows as objects keyed by column name. */
export interface CsvTable {
  columns: string[];
  types: CsvColumnType[];
  rows: CsvRow[];
  /** The values of one column, in row order. */
  column(name: string): CsvValue[];
  /**
   * The given numeric/boolean columns (default: all) as a row-major Float32Array `[rows, columns]`
   * for `tensor(values, { shape })`; missing values become NaN.
   */
  toFloat32(columns?: readonly string[]): Float32Array;
}

/**
 * Parse CSV text with a header and typed columns.
 *
 * @example
 * const t = parseCsv('x,y,label\n1.5,2,cat\n,3,"dog, big"\n');
 * t.types; // ['number', 'int', 'string']
 * t.rows[1]; // { x: null, y: 3, label: 'dog, big' }
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const header = options.header ?? true;
  const missing = new Set(options.missing ?? ['', 'NA', 'N/A', 'NaN', 'null']);
  let records = tokenize(text, options.delimiter ?? ',', options.quote ?? '"');
  if (options.skipEmptyLines ?? true) {
    records = records.filter((r) => !(r.fields.length === 1 && r.fields[0] === '' && !r.quoted[0]));
  }
  let columns: string[];
  if (header) {
    const head = records.shift();
    columns = options.columns ? [...options.columns] : (head?.fields ?? []);
  } else {
    const width = records[0]?.fields.length ?? 0;
    columns = options.columns ? [...options.columns] : Array.from({ length: width }, (_, i) => `c${i}`);
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new CsvError(`parseCsv: duplicate column name ${clip(c)}`, 1);
    seen.add(c);
  }
  const width = columns.length;
  for (const r of records) {
    if (r.fields.length !== width) {
      throw new CsvError(
        `parseCsv: line ${r.line} has ${r.fields.length} fields but there are ${width} columns (${clip(columns.join(', '))})`,
        r.line,
      );
    }
  }
  const isMissing = (r: RawRecord, k: number) => !r.quoted[k] && missing.has(r.fields[k]!);
  const types = columns.map((name, k): CsvColumnType => {
    const byName = options.types as Readonly<Record<string, CsvColumnType>> | undefined;
    // Own keys only: a column named "constructor" must not find Object.prototype.constructor.
    const given = Array.isArray(options.types)
      ? (options.types as readonly CsvColumnType[])[k]
      : byName && Object.hasOwn(byName, name)
        ? byName[name]
        : undefined;
    if (given) return given;
    return inferType(records.filter((r) => !isMissing(r, k)).map((r) => r.fields[k]!));
  });
  const rows: CsvRow[] = records.map((r) => {
    const row: CsvRow = {};
    columns.forEach((name, k) => {
      if (isMissing(r, k)) {
        setField(row, name, null);
        return;
      }
      const v = convert(r.fields[k]!, types[k]!);
      if (v === undefined) {
        throw new CsvError(
          `parseCsv: line ${r.line}, column ${clip(name)}: ${clip(r.fields[k]!)} is not a valid ${types[k]}`,
          r.line,
        );
      }
      setField(row, name, v);
    });
    return row;
  });
  let index: Map<string, number> | undefined;
  return {
    columns,
    types,
    rows,
    column(name) {
      if (!seen.has(name))
        throw new RangeError(`CsvTable.column: no column ${JSON.stringify(name)} in ${columns.join(', ')}`);
      return rows.map((r) => r[name]!);
    },
    toFloat32(names = columns) {
      // A Map, not columns.indexOf per name: that was quadratic in the number of columns.
      index ??= new Map(columns.map((c, k) => [c, k]));
      for (const name of names) {
        const k = index.get(name) ?? -1;
        if (k < 0) throw new RangeError(`CsvTable.toFloat32: no column ${JSON.stringify(name)}`);
        if (types[k] === 'string') {
          throw new TypeError(
            `CsvTable.toFloat32: column ${JSON.stringify(name)} holds strings, not numbers`,
          );
        }
      }
      const out = new Float32Array(rows.length * names.length);
      rows.forEach((r, i) => {
        names.forEach((name, j) => {
          const v = r[name];
          out[i * names.length + j] = v === null || v === undefined ? Number.NaN : Number(v);
        });
      });
      return out;
    },
  };
}
