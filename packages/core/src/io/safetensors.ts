/**
 * The safetensors format (huggingface/safetensors), read and written as plain bytes:
 *
 *     [8 bytes: header length N, u64 little-endian]
 *     [N bytes: UTF-8 JSON header, space-padded]
 *     [data: each tensor's little-endian bytes, packed without gaps]
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets into
 * the data section) plus an optional `"__metadata__": { string: string }`. This module does no I/O
 * and knows nothing of Tensors: bytes in, bytes out, with converters to Myelin's host typed arrays.
 */

import type { DType, TypedArray } from '../dtype.js';

/** The dtypes this module reads and writes (names as in the safetensors spec). */
export type SafetensorsDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

/** One tensor as stored: its dtype, shape and raw little-endian bytes. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data: Uint8Array;
}

const BYTES: Record<SafetensorsDType, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

const SUPPORTED = Object.keys(BYTES).join(', ');

/**
 * Rank of each dtype in the reference implementation's `Dtype` enum ("MUST be in increasing
 * alignment order"); its writer lays tensors out by descending rank, then by name.
 */
const RANK: Record<SafetensorsDType, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  // 3, 4: F8_E5M2, F8_E4M3 (not supported here)
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  F64: 12,
  I64: 13,
  U64: 14,
};

const METADATA_KEY = '__metadata__';

/** True on little-endian hosts (all current JS engines' targets); there a typed-array view is the file layout. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function isDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.hasOwn(BYTES, s);
}

/** Bytes per element of a safetensors dtype. */
export function safetensorsDTypeSize(dtype: SafetensorsDType): number {
  return BYTES[dtype];
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(
      `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  return shape as number[];
}

/** Byte-wise UTF-8 order, which is what Rust's `String::cmp` (the reference writer's sort) uses. */
function compareUtf8(a: string, b: string): number {
  // UTF-8 byte order equals code-point order; compare code points rather than UTF-16 units.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * Serialise tensors (and optional string metadata) to the safetensors layout.
 *
 * The output is byte-for-byte what the reference writer (`safetensors::tensor::serialize`)
 * produces: tensors laid out by descending dtype in the reference's `Dtype` enum order
 * (U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL — so by decreasing element
 * size, which keeps every tensor aligned to its element size), ties broken by name in UTF-8 byte
 * order; the compact JSON header lists `__metadata__` first (when `metadata` is given), then the
 * tensors in data order, and is padded with spaces to a multiple of 8 bytes.
 *
 * @example
 * const bytes = encodeSafetensors(
 *   { w: typedArrayToEntry(new Float32Array([1, 2, 3, 4]), 'float32', [2, 2]) },
 *   { format: 'pt' },
 * );
 */
export function encodeSafetensors(
  entries: Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(entries);
  for (const name of names) {
    const where = `encodeSafetensors: tensor "${name}"`;
    if (name === METADATA_KEY)
      throw new Error(`encodeSafetensors: "${METADATA_KEY}" is reserved for metadata`);
    if (name === '__proto__')
      throw new Error(
        'encodeSafetensors: "__proto__" cannot name a tensor (readers would re-prototype objects)',
      );
    const e = entries[name]!;
    if (!isDType(e.dtype))
      throw new Error(`${where} has unknown dtype ${String(e.dtype)} (supported: ${SUPPORTED})`);
    const shape = checkShape(where, e.shape);
    const expected = numel(shape) * BYTES[e.dtype];
    if (e.data.length !== expected) {
      throw new Error(
        `${where}: shape ${fmtShape(shape)} of ${e.dtype} needs ${expected} bytes, but data has ${e.data.length}`,
      );
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new Error(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
      }
    }
  }

  names.sort((a, b) => RANK[entries[b]!.dtype] - RANK[entries[a]!.dtype] || compareUtf8(a, b));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const name of names) {
    const e = entries[name]!;
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.length] };
    offset += e.data.length;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, Math.floor(headerLen / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const name of names) {
    out.set(entries[name]!.data, at);
    at += entries[name]!.data.length;
  }
  return out;
}

/**
 * A malformed safetensors file (or a value that does not fit Myelin's dtypes). The message starts
 * with `safetensors:` and names the problem; `name` is `'SafetensorsError'`.
 */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

/** The reference reader's cap on the header (safetensors `MAX_HEADER_SIZE`, 100 MB). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** JSON nesting deeper than this is refused; serde_json, which the reference reader uses, stops at 128. */
const MAX_JSON_DEPTH = 128;

/** A JSON value as the header parser returns it: objects are Maps, so `__proto__` is just a key. */
type Json = null | boolean | number | string | Json[] | JsonObject;
type JsonObject = Map<string, Json>;

/** At most `max` characters of a string, for error messages (names and values come from the file). */
function clip(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

/** A quoted, clipped name for error messages. */
function q(name: string): string {
  return JSON.stringify(clip(name));
}

/**
 * A short rendering of a header value for an error message: bounded in length and depth, so a
 * hostile value (a shape nested 10,000 deep, a million-element array) cannot blow the stack or
 * the message up.
 */
function preview(v: Json | undefined, budget = 80, depth = 0): string {
  if (v === undefined) return 'nothing';
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(clip(v, budget));
  if (depth >= 3) return Array.isArray(v) ? '[…]' : '{…}';
  const parts: string[] = [];
  let used = 0;
  // Entries are visited lazily: a million-element array costs no more than a short one.
  const items: Iterable<[string | null, Json]> = Array.isArray(v)
    ? (function* () {
        for (const x of v) yield [null, x] as [null, Json];
      })()
    : v.entries();
  for (const [k, x] of items) {
    if (used > budget) {
      parts.push('…');
      break;
    }
    const p = (k === null ? '' : `${JSON.stringify(clip(k, 20))}:`) + preview(x, budget - used, depth + 1);
    parts.push(p);
    used += p.length + 1;
  }
  return Array.isArray(v) ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/**
 * A strict JSON parser for the header (RFC 8259). `JSON.parse` would do, except that it silently
 * keeps the last of two equal keys and turns a `"__proto__"` key into a prototype; this one
 * refuses duplicate keys, keeps every key as data (objects are Maps), and refuses nesting deeper
 * than serde_json's 128, so a hostile header cannot exhaust the stack. Linear in the text.
 */
function parseHeaderJson(text: string): Json {
  const p = new HeaderParser(text);
  const root = p.value(0);
  p.ws();
  if (p.i < text.length) p.fail(`unexpected ${JSON.stringify(text[p.i])} after the value`);
  return root;
}

/** Parser state and steps: methods over one cursor (closures over a shared index ran slower). */
class HeaderParser {
  i = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SafetensorsError(`safetensors: header is not valid JSON (${what} at character ${this.i})`);
  }

  ws(): void {
    const t = this.text;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  str(): string {
    const t = this.text;
    let i = this.i + 1; // after the opening quote
    let out = '';
    let from = i;
    for (;;) {
      if (i >= t.length) {
        this.i = i;
        this.fail('unterminated string');
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out + t.slice(from, i);
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('control character in a string');
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += t.slice(from, i);
      const e = t[i + 1];
      const simple = e === undefined ? undefined : ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) {
        out += String.fromCharCode(Number.parseInt(t.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        this.i = i;
        this.fail('bad escape in a string');
      }
      from = i;
    }
  }

  /** Digits 0-9 from the current position; returns how many. */
  digits(): number {
    const t = this.text;
    const s = this.i;
    let i = s;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) i++;
      else break;
    }
    this.i = i;
    return i - s;
  }

  num(): number {
    const t = this.text;
    const start = this.i;
    if (t.charCodeAt(this.i) === 0x2d) this.i++; // -
    if (t.charCodeAt(this.i) === 0x30)
      this.i++; // a leading 0 stands alone
    else if (this.digits() === 0) this.fail('bad number');
    if (t.charCodeAt(this.i) === 0x2e) {
      this.i++;
      if (this.digits() === 0) this.fail('bad number');
    }
    const e = t.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = t.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (this.digits() === 0) this.fail('bad number');
    }
    return Number(t.slice(start, this.i));
  }

  value(depth: number): Json {
    this.ws();
    const t = this.text;
    const c = t.charCodeAt(this.i);
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x22) return this.str();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.num();
    for (const [word, v] of LITERALS) {
      if (t.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(this.i >= t.length ? 'unexpected end' : `unexpected ${JSON.stringify(t[this.i])}`);
  }

  /** After `[` or `{`: one more level, or a clean error past the cap. */
  open(depth: number): void {
    if (depth >= MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.i++;
    this.ws();
  }

  /** After an element: true to go on (a comma), false at the closing bracket. */
  next(close: number): boolean {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    this.i++;
    if (c === 0x2c) return true;
    if (c === close) return false;
    this.i--;
    return this.fail(`expected ',' or '${String.fromCharCode(close)}'`);
  }

  array(depth: number): Json[] {
    this.open(depth);
    const arr: Json[] = [];
    if (this.text.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return arr;
    }
    do arr.push(this.value(depth + 1));
    while (this.next(0x5d));
    return arr;
  }

  object(depth: number): JsonObject {
    this.open(depth);
    const obj: JsonObject = new Map();
    if (this.text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    do {
      this.ws();
      if (this.text.charCodeAt(this.i) !== 0x22) this.fail('expected a string key');
      const key = this.str();
      this.ws();
      if (this.text.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
      this.i++;
      const v = this.value(depth + 1);
      if (obj.has(key)) {
        throw new SafetensorsError(
          depth === 0
            ? `safetensors: the header names tensor ${q(key)} twice (a name must appear once)`
            : `safetensors: key ${q(key)} appears twice in one object of the header`,
        );
      }
      obj.set(key, v);
    } while (this.next(0x7d));
    return obj;
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const LITERALS: [string, Json][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

const isObject = (v: Json | undefined): v is JsonObject => v instanceof Map;

/**
 * Elements of a shape read from a file: each dim a safe non-negative integer and their product
 * (times the element size) a safe integer, so byte counts are exact.
 */
function checkFileShape(where: string, shape: Json | undefined, dtype: SafetensorsDType): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new SafetensorsError(
      `${where}: shape must be an array of non-negative integers, got ${preview(shape)}`,
    );
  }
  const dims = shape as number[];
  let n = BYTES[dtype];
  for (const d of dims) n *= d;
  if (!Number.isSafeInteger(n)) {
    throw new SafetensorsError(
      `${where}: shape ${preview(shape)} of ${dtype} would need ${n} bytes, more than any file can hold (2^53)`,
    );
  }
  return dims;
}

/**
 * Parse a safetensors file. Tensor `data` are views into `bytes` (no copy); convert them with
 * `entryToTypedArray`. Entries may appear in any order in the header; the data section must be
 * covered exactly once, as the reference reader requires. Every malformation throws a
 * `SafetensorsError` whose message starts with `safetensors:` and names the problem: a header
 * longer than the file or than 100 MB (the reference's cap), JSON that is invalid, nested deeper
 * than 128 or names a key twice, unknown dtypes, shapes that are not lists of non-negative
 * integers or disagree with their offsets, offsets out of range, overlapping or leaving holes.
 * A tensor may not be named `__proto__` (no plain JavaScript object can hold that key). The
 * returned records have no prototype, so names such as `constructor` are ordinary keys.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length that starts every file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  if (headerLen > bytes.length - 8) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLen} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8} header bytes)`,
    );
  }
  if (headerLen > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLen} is over the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit of the format's reference reader`,
    );
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new SafetensorsError(`safetensors: the ${headerLen}-byte header is not valid UTF-8`);
  }
  const parsed = parseHeaderJson(text);
  if (!isObject(parsed)) {
    throw new SafetensorsError('safetensors: header must be a JSON object mapping tensor names to entries');
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, SafetensorsEntry> = Object.create(null);
  const metadata: Record<string, string> = Object.create(null);
  const spans: { name: string; begin: number; end: number }[] = [];

  for (const [name, raw] of parsed) {
    if (name === '__proto__') {
      throw new SafetensorsError(
        'safetensors: a tensor is named "__proto__", which Myelin refuses (it would re-prototype plain JavaScript objects such as state dicts)',
      );
    }
    if (name === METADATA_KEY) {
      if (!isObject(raw)) {
        throw new SafetensorsError(`safetensors: "${METADATA_KEY}" must be an object of strings`);
      }
      for (const [k, v] of raw) {
        if (typeof v !== 'string') {
          throw new SafetensorsError(`safetensors: metadata ${q(k)} must be a string, got ${preview(v)}`);
        }
        if (k === '__proto__') throw new SafetensorsError('safetensors: metadata key "__proto__" is refused');
        metadata[k] = v;
      }
      continue;
    }
    const where = `safetensors: tensor ${q(name)}`;
    if (!isObject(raw)) {
      throw new SafetensorsError(`${where}: entry must be an object with dtype, shape and data_offsets`);
    }
    const dtype = raw.get('dtype');
    const offsets = raw.get('data_offsets');
    if (!isDType(dtype)) {
      throw new SafetensorsError(`${where} has unknown dtype ${preview(dtype)} (supported: ${SUPPORTED})`);
    }
    const shape = checkFileShape(where, raw.get('shape'), dtype);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      throw new SafetensorsError(
        `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${preview(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const needed = numel(shape) * BYTES[dtype];
    if (end - begin !== needed) {
      throw new SafetensorsError(
        `${where}: shape ${clip(fmtShape(shape))} of ${dtype} needs ${needed} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    if (end > dataLen) {
      throw new SafetensorsError(
        `${where} needs bytes [${begin}, ${end}) of the data section but only ${dataLen} bytes remain`,
      );
    }
    spans.push({ name, begin, end });
    tensors[name] = { dtype, shape, data: bytes.subarray(dataStart + begin, dataStart + end) };
  }

  // The reference reader requires the spans, in offset order, to tile the data section exactly.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last = '';
  for (const s of spans) {
    if (s.begin < covered) {
      throw new SafetensorsError(
        `safetensors: tensors ${q(last)} and ${q(s.name)} overlap (bytes [${s.begin}, ${covered}) of the data section belong to both)`,
      );
    }
    if (s.begin > covered) {
      throw new SafetensorsError(
        `safetensors: bytes [${covered}, ${s.begin}) of the data section belong to no tensor (before ${q(s.name)})`,
      );
    }
    covered = s.end;
    if (s.end > s.begin) last = s.name;
  }
  if (covered !== dataLen) {
    throw new SafetensorsError(
      `safetensors: the data section has ${dataLen} bytes but the tensors cover only the first ${covered}`,
    );
  }
  return { tensors, metadata };
}

/** A copy of `data` in a fresh, aligned buffer, so typed-array views can be taken at offset 0. */
function alignedCopy(data: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(data.length);
  new Uint8Array(buf).set(data);
  return buf;
}

/** IEEE 754 binary16 bits → the number they denote (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 31) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** float32 bits → binary16 bits, rounding to nearest, ties to even (as NumPy and PyTorch). */
function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00); // NaN → the quiet NaN torch writes
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^(exp−150) in units of 2^-24 is m >> (14 − e).
    if (e < -10) return sign; // below 2^-25: rounds to ±0 (2^-25 itself ties to even, 0)
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h; // a carry out of the mantissa lands on the smallest normal, as it should
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may reach 0x7c00 = inf: correct
  return sign | h;
}

/** float32 bits → bfloat16 bits, rounding to nearest, ties to even; NaN → 0x7fc0, as c10::BFloat16 does. */
function floatBitsToBFloat16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Convert a stored tensor to Myelin's host representation: floats (F32, F16, BF16, F64) become
 * float32 — F16/BF16 exactly, subnormals, ±inf and NaN included; F64 rounds to nearest. Integers
 * (I8, U8, I16, U16, I32, U32, I64, U64) become int32, throwing, with `name` in the message, when a
 * value does not fit. BOOL becomes bool (any non-zero byte is true). The result never aliases
 * `entry.data`.
 */
export function entryToTypedArray(
  entry: SafetensorsEntry,
  name = 'tensor',
): { dtype: DType; values: TypedArray } {
  const { dtype, data } = entry;
  if (!isDType(dtype)) {
    throw new SafetensorsError(
      `safetensors: tensor ${q(name)} has unknown dtype ${String(dtype)} (supported: ${SUPPORTED})`,
    );
  }
  const n = data.length / BYTES[dtype];
  if (!Number.isInteger(n)) {
    throw new SafetensorsError(
      `safetensors: tensor ${q(name)} has ${data.length} bytes, not a whole number of ${dtype} elements`,
    );
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (dtype) {
    case 'F32': {
      if (HOST_IS_LITTLE_ENDIAN) return { dtype: 'float32', values: new Float32Array(alignedCopy(data)) };
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return { dtype: 'float32', values: out };
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return { dtype: 'float32', values: out };
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return { dtype: 'float32', values: out };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place, exact for every value.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      return { dtype: 'float32', values: out };
    }
    case 'I32': {
      if (HOST_IS_LITTLE_ENDIAN) return { dtype: 'int32', values: new Int32Array(alignedCopy(data)) };
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return { dtype: 'int32', values: out };
    }
    case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getUint32(4 * i, true);
        if (v > 0x7fffffff) throw outOfInt32(name, dtype, i, BigInt(v));
        out[i] = v;
      }
      return { dtype: 'int32', values: out };
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = dv.getInt32(8 * i, true);
        const hi = dv.getInt32(8 * i + 4, true);
        // Fits int32 iff the high word is the sign extension of the low word (and, for U64, ≥ 0).
        if (hi !== lo >> 31 || (dtype === 'U64' && lo < 0)) {
          const big = dtype === 'I64' ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true);
          throw outOfInt32(name, dtype, i, big);
        }
        out[i] = lo;
      }
      return { dtype: 'int32', values: out };
    }
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      return { dtype: 'int32', values: out };
    }
    case 'U16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
      return { dtype: 'int32', values: out };
    }
    case 'I8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return { dtype: 'int32', values: out };
    }
    case 'U8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = data[i]!;
      return { dtype: 'int32', values: out };
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = data[i] !== 0 ? 1 : 0;
      return { dtype: 'bool', values: out };
    }
  }
}

function outOfInt32(name: string, dtype: SafetensorsDType, index: number, value: bigint): Error {
  return new SafetensorsError(
    `safetensors: tensor ${q(name)} (${dtype}) holds ${value} at flat index ${index}, outside int32 [-2147483648, 2147483647]`,
  );
}

/** The safetensors dtypes `typedArrayToEntry` can write. */
export type SafetensorsWriteDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8' | 'BOOL';

const DEFAULT_AS: Record<DType, SafetensorsWriteDType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * Pack a host typed array as a safetensors entry. `as` picks the stored dtype (default F32 for
 * float32, I32 for int32, BOOL for bool). Floats may be stored as F32, F64, F16 or BF16 (rounded to
 * nearest, ties to even, like `tensor.half()` / `tensor.bfloat16()`); int32 and bool values as
 * I32, I64, U8 (0..255 only) or any float type; BOOL requires bool values.
 */
export function typedArrayToEntry(
  values: TypedArray,
  dtype: DType,
  shape: readonly number[],
  as: SafetensorsWriteDType = DEFAULT_AS[dtype],
): SafetensorsEntry {
  const where = 'typedArrayToEntry';
  checkShape(where, shape);
  const n = values.length;
  if (numel(shape) !== n) {
    throw new Error(`${where}: shape ${fmtShape(shape)} holds ${numel(shape)} values but got ${n}`);
  }
  const expectedKind = { float32: Float32Array, int32: Int32Array, bool: Uint8Array }[dtype];
  if (!(values instanceof expectedKind)) {
    throw new Error(`${where}: dtype ${dtype} needs a ${expectedKind.name}, got ${values.constructor.name}`);
  }
  if (dtype === 'float32' && (as === 'I32' || as === 'I64' || as === 'U8' || as === 'BOOL')) {
    throw new Error(`${where}: cannot store float32 values as ${as}; cast to int32 or bool first`);
  }
  if (as === 'BOOL' && dtype !== 'bool') {
    throw new Error(`${where}: BOOL needs bool values, got ${dtype}; compare with 0 first`);
  }
  const data = new Uint8Array(n * BYTES[as]);
  const dv = new DataView(data.buffer);
  switch (as) {
    case 'F32':
      for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i]!, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) dv.setFloat64(8 * i, values[i]!, true);
      break;
    case 'F16':
    case 'BF16': {
      // Round from the float32 bit pattern (int32 values first round to float32, as a cast would).
      const f = new Float32Array(1);
      const bits = new Uint32Array(f.buffer);
      const convert = as === 'F16' ? floatBitsToHalf : floatBitsToBFloat16;
      for (let i = 0; i < n; i++) {
        f[0] = values[i]!;
        dv.setUint16(2 * i, convert(bits[0]!), true);
      }
      break;
    }
    case 'I32':
      for (let i = 0; i < n; i++) dv.setInt32(4 * i, values[i]!, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) {
        dv.setInt32(8 * i, values[i]!, true);
        dv.setInt32(8 * i + 4, values[i]! < 0 ? -1 : 0, true);
      }
      break;
    case 'U8':
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (v < 0 || v > 255)
          throw new RangeError(`${where}: value ${v} at flat index ${i} does not fit U8 (0..255)`);
        data[i] = v;
      }
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) data[i] = values[i] !== 0 ? 1 : 0;
      break;
  }
  return { dtype: as, shape: [...shape], data };
}
