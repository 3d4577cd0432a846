import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gunzipSync } from 'node:zlib';
import { type CsvOptions, type CsvTable, parseCsv } from '../csv.js';
import { type Dataset, fromIterable } from '../dataset.js';
import { type IdxArray, IdxError, isGzip, parseIdx } from '../idx.js';
import { type LineOptions, splitLines } from '../text.js';

const gunzipAsync = promisify(gunzipCb);

function gzipError(path: string, e: unknown): IdxError {
  return new IdxError('gzip', `readIdx: ${path}: corrupt or truncated gzip data (${(e as Error).message})`);
}

function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Read an IDX file, raw or gzipped (told apart by the magic number, not the file name).
 *
 * @example
 * const { shape, data } = await readIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes = asBytes(await readFile(path));
  if (isGzip(bytes)) {
    try {
      bytes = asBytes(await gunzipAsync(bytes));
    } catch (e) {
      throw gzipError(path, e);
    }
  }
  return parseIdx(bytes, { source: path });
}

/** `readIdx`, synchronously. */
export function readIdxSync(path: string): IdxArray {
  let bytes = asBytes(readFileSync(path));
  if (isGzip(bytes)) {
    try {
      bytes = asBytes(gunzipSync(bytes));
    } catch (e) {
      throw gzipError(path, e);
    }
  }
  return parseIdx(bytes, { source: path });
}

/** Read and parse a CSV file (UTF-8). See `parseCsv` for the options. */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  return parseCsv(await readFile(path, 'utf8'), options);
}

/** All lines of a UTF-8 text file. */
export async function readTextLines(path: string, options: LineOptions = {}): Promise<string[]> {
  return splitLines(await readFile(path, 'utf8'), options);
}

/**
 * A dataset of the lines of a UTF-8 text file, streamed (the file is never held whole); each
 * iteration reads the file again. Line breaks as `splitLines`: LF, CRLF or CR.
 *
 * @example
 * for await (const line of textFileLines('corpus.txt', { skipEmpty: true })) count++;
 */
export function textFileLines(path: string, options: LineOptions = {}): Dataset<string> {
  return fromIterable(async function* () {
    const input = createReadStream(path, { encoding: 'utf8' });
    const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let first = true;
    try {
      for await (let line of rl) {
        if (first && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
        first = false;
        if (options.trim) line = line.trim();
        if (options.skipEmpty && line === '') continue;
        yield line;
      }
    } finally {
      rl.close();
      input.destroy();
    }
  });
}
