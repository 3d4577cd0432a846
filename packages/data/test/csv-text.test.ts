import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseCsvRecords, splitLines, textLines } from '../src/index.js';
import { readCsv, readTextLines, textFileLines } from '../src/node/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'myelin-csv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CSV records (RFC 4180)', () => {
  it('quoted fields hold delimiters, doubled quotes and line breaks', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\n';
    expect(parseCsvRecords(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  it('other delimiters, a BOM, CR-only line breaks, no final newline', () => {
    expect(parseCsvRecords('\uFEFFa;b\r1;"2;3"', { delimiter: ';' })).toEqual([
      ['a', 'b'],
      ['1', '2;3'],
    ]);
    expect(parseCsvRecords('a\tb\n1\t2', { delimiter: '\t' })).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('errors name the line: an unclosed quote, text after a closing quote', () => {
    expect(() => parseCsvRecords('a,b\n1,"open\n2,3\n')).toThrow(/opened on line 2 is never closed/);
    const err = (() => {
      try {
        parseCsvRecords('a\n"x"y\n');
      } catch (e) {
        return e as CsvError;
      }
    })();
    expect(err).toBeInstanceOf(CsvError);
    expect(err!.line).toBe(2);
  });
});

describe('parseCsv: header and typed columns', () => {
  const text = [
    'id,price,name,active,score',
    '1,9.5,"Widget, large",true,',
    '2,NA,"",FALSE,-3',
    '3,1e3,Gadget,true,7',
    '',
  ].join('\n');

  it('infers int, number, string and boolean; missing values are null; quoted "" is an empty string', () => {
    const t = parseCsv(text);
    expect(t.columns).toEqual(['id', 'price', 'name', 'active', 'score']);
    expect(t.types).toEqual(['int', 'number', 'string', 'boolean', 'int']);
    expect(t.rows).toEqual([
      { id: 1, price: 9.5, name: 'Widget, large', active: true, score: null },
      { id: 2, price: null, name: '', active: false, score: -3 },
      { id: 3, price: 1000, name: 'Gadget', active: true, score: 7 },
    ]);
    expect(t.column('price')).toEqual([9.5, null, 1000]);
  });

  it('given types override inference and are checked', () => {
    const t = parseCsv(text, { types: { id: 'string', score: 'number' } });
    expect(t.types).toEqual(['string', 'number', 'string', 'boolean', 'number']);
    expect(t.rows[0]!.id).toBe('1');
    expect(() => parseCsv('a\n1\nx\n', { types: ['int'] })).toThrow(
      /line 3, column "a": "x" is not a valid int/,
    );
  });

  it('toFloat32: a row-major matrix with NaN for missing values', () => {
    const m = parseCsv(text).toFloat32(['id', 'price', 'active']);
    expect(Array.from(m)).toEqual([1, 9.5, 1, 2, Number.NaN, 0, 3, 1000, 1]);
    expect(() => parseCsv(text).toFloat32(['name'])).toThrow(/holds strings/);
  });

  it('no header: names c0, c1, … or given; a short row is an error naming its line', () => {
    const t = parseCsv('1,2\n3,4\n', { header: false });
    expect(t.columns).toEqual(['c0', 'c1']);
    expect(t.rows[1]).toEqual({ c0: 3, c1: 4 });
    expect(parseCsv('1,2\n', { header: false, columns: ['x', 'y'] }).rows).toEqual([{ x: 1, y: 2 }]);
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow(/line 3 has 1 fields but there are 2 columns/);
  });

  it('readCsv reads a file', async () => {
    const p = join(tmp, 'table.csv');
    writeFileSync(p, text);
    expect((await readCsv(p)).rows).toHaveLength(3);
  });
});

describe('text lines', () => {
  it('splitLines: LF, CRLF and CR; a final newline adds no line; trim and skipEmpty', () => {
    expect(splitLines('a\r\nb\n\nc\rd\n')).toEqual(['a', 'b', '', 'c', 'd']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('  x \n\n y', { trim: true, skipEmpty: true })).toEqual(['x', 'y']);
  });

  it('textLines: a random-access dataset of a string', async () => {
    const ds = textLines('the cat\non the mat\n');
    expect(ds.length).toBe(2);
    expect(await ds.get(1)).toBe('on the mat');
    expect(await ds.map((l) => l.split(' ').length).toArray()).toEqual([2, 3]);
  });

  it('files: readTextLines and the streamed textFileLines agree, and can be read twice', async () => {
    const p = join(tmp, 'corpus.txt');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    writeFileSync(p, `\uFEFF${lines.join('\r\n')}\r\n\r\n`);
    expect(await readTextLines(p, { skipEmpty: true })).toEqual(lines);
    const ds = textFileLines(p, { skipEmpty: true });
    expect(await ds.toArray()).toEqual(lines);
    expect(await ds.take(3).toArray()).toEqual(lines.slice(0, 3));
  });
});
