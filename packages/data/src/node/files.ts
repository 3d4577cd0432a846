import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { type CsvOptions, type CsvTable, parseCsv } from '../csv.js';
import { type Dataset, fromIterable } from '../dataset.js';
import {
  collectIdx,
  collectIdxHeader,
  type IdxArray,
  IdxError,
  type IdxOptions,
  isGzip,
  maxBytesOf,
  parseOwnedIdx,
} from '../idx.js';
import { type LineOptions, splitLines } from '../text.js';

function gzipError(op: string, path: string, e: unknown): IdxError {
  return new IdxError('gzip', `${op}: ${path}: corrupt or truncated gzip data (${(e as Error).message})`);
}

function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Read an IDX file, raw or gzipped (told apart by the magic number, not the file name). A gzipped
 * file is inflated as a stream into one buffer of the size its header declares: a header over
 * `maxBytes` (default 256 MiB, `IDX_DEFAULT_MAX_BYTES`) or data that inflates past the declared
 * size is refused (codes `too-large`, `trailing-bytes`) as soon as it is seen, so a gzip bomb
 * costs at most the smaller of the two. Multi-byte elements are converted in place.
 *
 * @example
 * const { shape, data } = await readIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export async function readIdx(path: string, options: Omit<IdxOptions, 'source'> = {}): Promise<IdxArray> {
  maxBytesOf(options, 'readIdx');
  const bytes = asBytes(await readFile(path));
  if (!isGzip(bytes)) return parseOwnedIdx(bytes, 'readIdx', path);
  const gz = createGunzip();
  gz.end(bytes);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const it = gz[Symbol.asyncIterator]();
    try {
      for (;;) {
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (e) {
          throw gzipError('readIdx', path, e);
        }
        if (r.done) return;
        yield asBytes(r.value);
      }
    } finally {
      gz.destroy(); // stops inflating when the reader gives up early
    }
  }
  return parseOwnedIdx(await collectIdx(chunks(), 'readIdx', { ...options, source: path }), 'readIdx', path);
}

/**
 * `readIdx`, synchronously. Node has no synchronous streaming inflate, so the header is read by
 * inflating the first kilobyte of the gzip data alone, and the whole file is then inflated with
 * `maxOutputLength` set to the size the header declares (refusing, as `readIdx`, a header over
 * `maxBytes`). Inflating holds the output twice for a moment (zlib's chunks, then their
 * concatenation); prefer `readIdx` for large files.
 */
export function readIdxSync(path: string, options: Omit<IdxOptions, 'source'> = {}): IdxArray {
  const bytes = asBytes(readFileSync(path));
  if (!isGzip(bytes)) return parseOwnedIdx(bytes, 'readIdxSync', path);
  const maxBytes = maxBytesOf(options, 'readIdxSync');
  // Deflate inflates at most ~1032:1, so 1 KiB of input gives at most ~1 MiB: cheap, and enough
  // for any header (at most 1,024 bytes) unless the gzip header carries long optional fields.
  let limit = maxBytes;
  let known = false;
  try {
    const start = gunzipSync(bytes.subarray(0, 1024), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: 2 * 1024 * 1024,
    });
    const header = collectIdxHeader(asBytes(start), 'readIdxSync', path, maxBytes);
    if (header !== null) {
      limit = header;
      known = true;
    }
  } catch (e) {
    if (e instanceof IdxError) throw e;
    // A prefix that cannot be inflated alone: the full inflate below reports the real problem.
  }
  let out: Uint8Array;
  try {
    out = asBytes(gunzipSync(bytes, { maxOutputLength: limit }));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') throw gzipError('readIdxSync', path, e);
    throw known
      ? new IdxError(
          'trailing-bytes',
          `readIdxSync: ${path}: the data inflates past the ${limit} bytes its header declares`,
        )
      : new IdxError(
          'too-large',
          `readIdxSync: ${path}: the data inflates past the ${limit}-byte limit; pass { maxBytes } to read a file this large`,
        );
  }
  return parseOwnedIdx(out, 'readIdxSync', path);
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
