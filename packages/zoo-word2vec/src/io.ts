import { WordVectors } from './vectors.js';

/**
 * The word2vec vector formats (Mikolov's tool, and gensim's `KeyedVectors.save_word2vec_format` /
 * `load_word2vec_format`): a header line `count dim`, then per word either `word v1 … vdim` (text)
 * or `word ` followed by dim little-endian float32 and a line feed (binary).
 */

export interface ReadVectorsOptions {
  /** Refuse headers promising more words than this (default 10 million). */
  maxWords?: number;
  /** Refuse headers promising larger vectors (default 10,000). */
  maxDim?: number;
}

const MAX_WORD_BYTES = 1000;

/** The text format. */
export function writeVectorsText(v: WordVectors): string {
  const lines = [`${v.size} ${v.dim}`];
  for (let i = 0; i < v.size; i++) {
    const row = Array.from(v.data.subarray(i * v.dim, (i + 1) * v.dim), (x) => formatFloat(x));
    lines.push(`${v.words[i]} ${row.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Shortest decimal that reads back as the same float32. */
function formatFloat(x: number): string {
  for (let p = 6; p < 10; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

/** The binary format (word2vec.c's: a line feed after each vector). */
export function writeVectorsBinary(v: WordVectors): Uint8Array {
  const enc = new TextEncoder();
  const header = enc.encode(`${v.size} ${v.dim}\n`);
  const words = v.words.map((w) => enc.encode(`${w} `));
  const total = header.length + words.reduce((s, w) => s + w.length + v.dim * 4 + 1, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(header, 0);
  let p = header.length;
  words.forEach((w, i) => {
    out.set(w, p);
    p += w.length;
    for (let d = 0; d < v.dim; d++, p += 4) view.setFloat32(p, v.data[i * v.dim + d]!, true);
    out[p++] = 0x0a;
  });
  return out;
}

function checkWord(op: string, w: string, i: number): void {
  if (w === '' || /\s/.test(w))
    throw new RangeError(
      `${op}: word ${i} is ${JSON.stringify(w.slice(0, 40))}; expected a token without white space`,
    );
}

function parseHeader(op: string, line: string, options: ReadVectorsOptions): { count: number; dim: number } {
  const m = /^\s*(\d{1,12})\s+(\d{1,12})\s*$/.exec(line);
  if (!m)
    throw new RangeError(`${op}: the header is ${JSON.stringify(line.slice(0, 60))}; expected 'count dim'`);
  const count = Number(m[1]);
  const dim = Number(m[2]);
  const maxWords = options.maxWords ?? 10_000_000;
  const maxDim = options.maxDim ?? 10_000;
  if (count < 1 || count > maxWords)
    throw new RangeError(`${op}: the header promises ${count} words; expected 1 … ${maxWords}`);
  if (dim < 1 || dim > maxDim)
    throw new RangeError(`${op}: the header promises vectors of ${dim}; expected 1 … ${maxDim}`);
  return { count, dim };
}

/**
 * Read the text format. Every line must hold a word and exactly `dim` finite numbers, and there
 * must be `count` of them.
 *
 * @throws RangeError naming the line that is wrong
 */
export function readVectorsText(text: string, options: ReadVectorsOptions = {}): WordVectors {
  const op = 'readVectorsText';
  if (typeof text !== 'string') throw new TypeError(`${op}: expected a string, got ${typeof text}`);
  let pos = text.indexOf('\n');
  if (pos < 0) throw new RangeError(`${op}: no header line ('count dim') in ${text.length} characters`);
  const { count, dim } = parseHeader(op, text.slice(0, pos), options);
  // A text file of count × dim numbers needs at least 2 characters per number: refuse before allocating.
  if (text.length - pos < count * (dim * 2 + 2)) {
    throw new RangeError(
      `${op}: the header promises ${count} vectors of ${dim} but only ${text.length - pos - 1} characters follow`,
    );
  }
  const words: string[] = [];
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const start = pos + 1;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    pos = end;
    const cells = line.trim().split(/[ \t]+/);
    if (line.trim() === '' || cells.length !== dim + 1) {
      throw new RangeError(
        `${op}: line ${i + 2} has ${line.trim() === '' ? 0 : cells.length - 1} numbers after the word; expected ${dim}`,
      );
    }
    checkWord(op, cells[0]!, i);
    words.push(cells[0]!);
    for (let d = 0; d < dim; d++) {
      const x = Number(cells[d + 1]);
      if (!Number.isFinite(x))
        throw new RangeError(
          `${op}: line ${i + 2}, number ${d + 1} is '${cells[d + 1]!.slice(0, 20)}'; expected a finite number`,
        );
      data[i * dim + d] = x;
    }
  }
  if (text.slice(pos).trim() !== '')
    throw new RangeError(`${op}: text follows the ${count} vectors the header promises`);
  return new WordVectors(words, data, dim);
}

/**
 * Read the binary format (with or without the line feed after each vector). The header's sizes
 * are checked against the bytes present before anything is allocated, so a hostile header costs
 * nothing.
 *
 * @throws RangeError for a bad header, a truncated file, a non-finite value or trailing bytes
 */
export function readVectorsBinary(bytes: Uint8Array, options: ReadVectorsOptions = {}): WordVectors {
  const op = 'readVectorsBinary';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${op}: expected a Uint8Array`);
  const nl = bytes.indexOf(0x0a);
  if (nl < 0 || nl > 64) throw new RangeError(`${op}: no header line ('count dim') at the start`);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const { count, dim } = parseHeader(op, dec.decode(bytes.subarray(0, nl)), options);
  const need = count * (dim * 4 + 2);
  if (bytes.length - nl - 1 < need) {
    throw new RangeError(
      `${op}: the header promises ${count} vectors of ${dim} (at least ${need} bytes) but ${bytes.length - nl - 1} bytes follow: truncated or wrong header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words: string[] = [];
  const data = new Float32Array(count * dim);
  let p = nl + 1;
  for (let i = 0; i < count; i++) {
    while (p < bytes.length && (bytes[p] === 0x0a || bytes[p] === 0x0d)) p++;
    const space = bytes.indexOf(0x20, p);
    if (space < 0 || space - p > MAX_WORD_BYTES) {
      throw new RangeError(
        `${op}: vector ${i}: no word of at most ${MAX_WORD_BYTES} bytes ends with a space at byte ${p}`,
      );
    }
    let w: string;
    try {
      w = dec.decode(bytes.subarray(p, space));
    } catch {
      throw new RangeError(`${op}: vector ${i}: the word at byte ${p} is not UTF-8`);
    }
    checkWord(op, w, i);
    words.push(w);
    p = space + 1;
    if (p + dim * 4 > bytes.length) {
      throw new RangeError(
        `${op}: vector ${i} (${JSON.stringify(w)}) is cut off at byte ${bytes.length}: truncated file`,
      );
    }
    for (let d = 0; d < dim; d++, p += 4) {
      const x = view.getFloat32(p, true);
      if (!Number.isFinite(x))
        throw new RangeError(
          `${op}: vector ${i} (${JSON.stringify(w)}), value ${d} is ${x}; expected finite`,
        );
      data[i * dim + d] = x;
    }
  }
  while (p < bytes.length && (bytes[p] === 0x0a || bytes[p] === 0x0d)) p++;
  if (p !== bytes.length)
    throw new RangeError(
      `${op}: ${bytes.length - p} bytes follow the ${count} vectors the header promises: wrong header`,
    );
  return new WordVectors(words, data, dim);
}
