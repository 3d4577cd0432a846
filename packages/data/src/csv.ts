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
      for (;;) {
        if (i >= n)
          throw new CsvError(`parseCsv: a quoted field opened on line ${openLine} is never closed`, openLine);
        const ch = text[i]!;
        if (ch === quote) {
          if (text[i + 1] === quote) {
            value += quote;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        value += ch;
        i++;
      }
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

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|inf)$/i;
const BOOL = /^(true|false)$/i;

function inferType(values: string[]): CsvColumnType {
  if (values.length === 0) return 'string';
  if (values.every((v) => BOOL.test(v.trim()))) return 'boolean';
  if (values.every((v) => INT.test(v.trim()))) return 'int';
  if (values.every((v) => NUMBER.test(v.trim()))) return 'number';
  return 'string';
}

function convert(raw: string, type: CsvColumnType): CsvValue | undefined {
  const v = raw.trim();
  switch (type) {
    case 'string':
      return raw;
    case 'boolean':
      return BOOL.test(v) ? v.toLowerCase() === 'true' : undefined;
    case 'int':
      return INT.test(v) ? Number(v) : undefined;
    case 'number':
      if (!NUMBER.test(v)) return undefined;
      return /inf/i.test(v)
        ? v.startsWith('-')
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY
        : Number(v);
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
    if (seen.has(c)) throw new CsvError(`parseCsv: duplicate column name ${JSON.stringify(c)}`, 1);
    seen.add(c);
  }
  const width = columns.length;
  for (const r of records) {
    if (r.fields.length !== width) {
      throw new CsvError(
        `parseCsv: line ${r.line} has ${r.fields.length} fields but there are ${width} columns (${columns.join(', ')})`,
        r.line,
      );
    }
  }
  const isMissing = (r: RawRecord, k: number) => !r.quoted[k] && missing.has(r.fields[k]!);
  const types = columns.map((name, k): CsvColumnType => {
    const given = Array.isArray(options.types)
      ? (options.types as readonly CsvColumnType[])[k]
      : (options.types as Readonly<Record<string, CsvColumnType>> | undefined)?.[name];
    if (given) return given;
    return inferType(records.filter((r) => !isMissing(r, k)).map((r) => r.fields[k]!));
  });
  const rows: CsvRow[] = records.map((r) => {
    const row: CsvRow = {};
    columns.forEach((name, k) => {
      if (isMissing(r, k)) {
        row[name] = null;
        return;
      }
      const v = convert(r.fields[k]!, types[k]!);
      if (v === undefined) {
        throw new CsvError(
          `parseCsv: line ${r.line}, column ${JSON.stringify(name)}: ${JSON.stringify(r.fields[k])} is not a valid ${types[k]}`,
          r.line,
        );
      }
      row[name] = v;
    });
    return row;
  });
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
      for (const name of names) {
        const k = columns.indexOf(name);
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
