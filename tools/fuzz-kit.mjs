// A small, seeded fuzzer for Myelin's file parsers (safetensors, IDX raw and gzipped, CSV): case
// generators (grammar-based valid files and mutations of them) and a runner that sorts each case's
// outcome. No dependencies; the parsers are passed in, so the vitest suites run it on `src` and
// `tools/fuzz-parsers.mjs` on the built `dist`. Types: fuzz-kit.d.mts.
//
// Outcomes of a case:
//   valid  the parser returned (and the result passed the case's check, if it has one)
//   clean  the parser threw the format's own error class with a message that starts with the
//          format's prefix and is under 2,000 characters
//   crash  anything else: another error class (a RangeError or TypeError from deep inside), an
//          unprefixed or huge message, a rejected valid file, a result that fails its check
//   slow   a case that took longer than the per-case bound
//   over   a case whose ArrayBuffer + heap growth passed the allocation cap

import { gzipSync } from 'node:zlib';

/** sfc32 (Chris Doty-Humphrey's small fast counter generator): seeded, 32-bit, fast. */
export function makeRng(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let k = 0; k < 12; k++) next();
  const int = (n) => Math.floor((next() / 4294967296) * n);
  return {
    next,
    /** An integer in [0, n). */
    int,
    /** True with probability p. */
    chance: (p) => next() / 4294967296 < p,
    pick: (xs) => xs[int(xs.length)],
    bytes(n) {
      const out = new Uint8Array(n);
      for (let k = 0; k < n; k++) out[k] = next() & 255;
      return out;
    },
  };
}

/** The rng for case `i` of a run: cases are independent, so any one can be replayed alone. */
export function caseRng(seed, i) {
  return makeRng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
}

const utf8 = (s) => new TextEncoder().encode(s);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations (format-blind, on bytes)
// ---------------------------------------------------------------------------------------------

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x5c, 0x2d];

/** One to four byte-level mutations: bit flips, interesting bytes, truncation, splices, repeats. */
export function mutateBytes(r, bytes, tokens = []) {
  let b = bytes;
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const len = b.length;
    const at = len === 0 ? 0 : r.int(len);
    switch (r.int(9)) {
      case 0: // bit flip
        if (len) {
          b = b.slice();
          b[at] ^= 1 << r.int(8);
        }
        break;
      case 1: // interesting byte
        if (len) {
          b = b.slice();
          b[at] = r.pick(INTERESTING);
        }
        break;
      case 2: // truncate
        b = b.subarray(0, at);
        break;
      case 3: // delete a run
        b = concat(b.subarray(0, at), b.subarray(Math.min(len, at + 1 + r.int(16))));
        break;
      case 4: // insert random bytes
        b = concat(b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at));
        break;
      case 5: {
        // splice: copy a run from elsewhere in the file over this place
        const from = len ? r.int(len) : 0;
        const run = b.subarray(from, from + 1 + r.int(32));
        b = concat(b.subarray(0, at), run, b.subarray(Math.min(len, at + run.length)));
        break;
      }
      case 6: {
        // repeat a run many times (long fields, deep nesting, big headers)
        const run = b.subarray(at, at + 1 + r.int(4));
        const times = 1 + r.int(r.chance(0.1) ? 20_000 : 64);
        const rep = new Uint8Array(run.length * times);
        for (let t = 0; t < times; t++) rep.set(run, t * run.length);
        b = concat(b.subarray(0, at), rep, b.subarray(at));
        break;
      }
      case 7: // a format token
        if (tokens.length) b = concat(b.subarray(0, at), utf8(r.pick(tokens)), b.subarray(at));
        break;
      default: // extend with zeros or random bytes
        b = concat(b, r.chance(0.5) ? new Uint8Array(1 + r.int(64)) : r.bytes(1 + r.int(64)));
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// safetensors
// ---------------------------------------------------------------------------------------------

const ST_DTYPES = {
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
const ST_NAMES = [
  'w',
  'b',
  'fc.weight',
  'fc.bias',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  'é',
  '🧠',
  'a"b',
  'a\\b',
  '0',
  '1',
];
const ST_TOKENS = [
  '"__proto__"',
  '"__metadata__"',
  '[[[[[[[[',
  ']]]]',
  '{{{{',
  '1e400',
  '-1',
  '9007199254740993',
  '18446744073709551615',
  '0.5',
  'null',
  'true',
  '"\\u0000"',
  '"\\ud800"',
  ',"w":{}',
  '"dtype":"F32"',
];

function u64le(n) {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, n % 4294967296, true);
  v.setUint32(4, Math.floor(n / 4294967296), true);
  return b;
}

/**
 * A valid safetensors file from the format's description (not from Myelin's writer): the entries
 * in random order, data laid out in a random order, the header JSON written by hand.
 */
function validSafetensors(r) {
  const count = r.int(5);
  const names = new Set();
  while (names.size < count) names.add(r.chance(0.7) ? r.pick(ST_NAMES) : `t${r.int(1000)}`);
  const tensors = [...names].map((name) => {
    const dtype = r.pick(Object.keys(ST_DTYPES));
    const shape = Array.from({ length: r.int(4) }, () => r.int(4));
    const n = shape.reduce((a, d) => a * d, 1);
    const data = r.bytes(n * ST_DTYPES[dtype]);
    // Integers that Myelin reads as int32 must fit it, or the valid file is rightly refused.
    if (dtype === 'U32') for (let k = 3; k < data.length; k += 4) data[k] &= 0x7f;
    if (dtype === 'I64' || dtype === 'U64') {
      for (let k = 0; k < data.length; k += 8) {
        data[k + 3] &= 0x7f;
        data.fill(0, k + 4, k + 8);
      }
    }
    return { name, dtype, shape, data };
  });
  const order = [...tensors].sort(() => r.int(3) - 1);
  let offset = 0;
  for (const t of order) {
    t.begin = offset;
    offset += t.data.length;
  }
  const metadata = r.chance(0.3) ? { format: 'pt', note: r.pick(['', 'x', 'ünï']) } : null;
  const entries = tensors.map(
    (t) =>
      `${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${t.begin},${t.begin + t.data.length}]}`,
  );
  if (metadata) entries.splice(r.int(entries.length + 1), 0, `"__metadata__":${JSON.stringify(metadata)}`);
  let json = `{${entries.join(',')}}`;
  if (r.chance(0.5)) json += ' '.repeat(r.int(8));
  const header = utf8(json);
  const data = concat(...order.map((t) => t.data));
  return { bytes: concat(u64le(header.length), header, data), tensors, metadata };
}

/** A header built from the grammar with hostile choices at every node: the JSON text and data length. */
function hostileSafetensors(r) {
  const dim = () =>
    r.pick([0, 1, 2, 3, -1, 1.5, 2 ** 32, 2 ** 53, 2 ** 53 + 2, '1e400', '-0', '"2"', 'null']);
  const shape = () => {
    if (r.chance(0.15)) {
      const depth = r.chance(0.05) ? 100_000 : r.pick([2, 127, 128, 129, 1000, 10_000]);
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    }
    if (r.chance(0.02)) return `[${'1,'.repeat(r.int(r.chance(0.1) ? 100_000 : 5000))}1]`;
    return `[${Array.from({ length: r.int(4) }, dim).join(',')}]`;
  };
  const offsets = () =>
    r.chance(0.7)
      ? `[${r.int(64)},${r.int(64)}]`
      : r.pick([
          '[0]',
          '[0,1,2]',
          '[-1,0]',
          '[0,1e400]',
          '["0","4"]',
          '{}',
          'null',
          '[0,18446744073709551615]',
        ]);
  const entry = () => {
    const fields = [
      `"dtype":${r.chance(0.8) ? `"${r.pick(Object.keys(ST_DTYPES))}"` : r.pick(['"Q4"', '1', 'null', '"f32"'])}`,
      `"shape":${shape()}`,
      `"data_offsets":${offsets()}`,
    ];
    if (r.chance(0.1)) fields.push(r.pick(fields)); // a duplicate key inside the entry
    if (r.chance(0.1)) fields.push(`"extra":${shape()}`);
    return r.chance(0.05) ? r.pick(['[]', '1', 'null', '"x"']) : `{${fields.join(',')}}`;
  };
  const names = [...ST_NAMES, '__proto__', '__metadata__', 'x'.repeat(r.chance(0.05) ? 100_000 : 10)];
  const items = Array.from({ length: r.int(5) }, () => {
    const name = r.pick(names);
    if (name === '__metadata__' && r.chance(0.5)) {
      return `"__metadata__":${r.pick(['{"a":"b"}', '{"a":1}', '[]', '{"__proto__":"x"}', '{"a":"1","a":"2"}'])}`;
    }
    return `${JSON.stringify(name)}:${entry()}`;
  });
  if (items.length && r.chance(0.1)) items.push(r.pick(items)); // a duplicate tensor name
  return { json: `{${items.join(',')}}`, dataLen: r.int(128) };
}

/** Case `i`: a valid file (must decode to what was written), a mutated one, or a hostile header. */
export function safetensorsCase(r) {
  const kind = r.int(10);
  if (kind < 2) {
    const v = validSafetensors(r);
    return { kind: 'valid', input: v.bytes, expect: v };
  }
  if (kind < 6) return { kind: 'mutated', input: mutateBytes(r, validSafetensors(r).bytes, ST_TOKENS) };
  const h = hostileSafetensors(r);
  const header = utf8(h.json);
  let len = header.length;
  if (r.chance(0.15)) len = r.pick([0, 1, len + 1, len - 1, 2 ** 32, 2 ** 53, 2 ** 64 - 1, 100_000_001]);
  return { kind: 'hostile', input: concat(u64le(Math.max(0, len)), header, r.bytes(h.dataLen)) };
}

/** Check a decoded valid file against what was written; returns a problem or null. */
export function checkSafetensors(result, expect) {
  const got = Object.keys(result.tensors).sort();
  const want = expect.tensors.map((t) => t.name).sort();
  if (JSON.stringify(got) !== JSON.stringify(want))
    return `names ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
  for (const t of expect.tensors) {
    const e = result.tensors[t.name];
    if (e.dtype !== t.dtype || JSON.stringify(e.shape) !== JSON.stringify(t.shape))
      return `tensor ${t.name} header`;
    if (e.data.length !== t.data.length || e.data.some((x, k) => x !== t.data[k]))
      return `tensor ${t.name} data`;
  }
  if (JSON.stringify({ ...result.metadata }) !== JSON.stringify(expect.metadata ?? {})) return 'metadata';
  return null;
}

// ---------------------------------------------------------------------------------------------
// IDX
// ---------------------------------------------------------------------------------------------

const IDX_TYPES = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };

function idxBytes(code, dims, data) {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, code, dims.length]);
  const v = new DataView(out.buffer);
  dims.forEach((d, k) => {
    v.setUint32(4 + 4 * k, d >>> 0, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function validIdx(r) {
  const code = Number(r.pick(Object.keys(IDX_TYPES)));
  const dims = Array.from({ length: r.int(4) }, () => r.int(6));
  const n = dims.reduce((a, d) => a * d, 1);
  return { code, dims, bytes: idxBytes(code, dims, r.bytes(n * IDX_TYPES[code])) };
}

function hostileIdx(r) {
  const code = r.chance(0.9) ? Number(r.pick(Object.keys(IDX_TYPES))) : r.int(256);
  const rank = r.pick([0, 1, 2, 3, 4, 255]);
  const dims = Array.from({ length: rank }, () =>
    r.pick([0, 1, 2, 7, 255, 65535, 2 ** 31, 2 ** 32 - 1, r.next()]),
  );
  const header = idxBytes(code, dims, new Uint8Array(0));
  return concat(r.chance(0.8) ? header : header.subarray(0, r.int(header.length)), r.bytes(r.int(64)));
}

/** Raw IDX case: valid, mutated or hostile bytes. */
export function idxRawCase(r) {
  const kind = r.int(10);
  if (kind < 2) {
    const v = validIdx(r);
    return { kind: 'valid', input: v.bytes, expect: v };
  }
  if (kind < 7) return { kind: 'mutated', input: mutateBytes(r, validIdx(r).bytes) };
  return { kind: 'hostile', input: hostileIdx(r) };
}

/**
 * Gzipped IDX case: a gzipped valid, mutated or hostile file; a mutated gzip stream; or a bomb (a
 * header member followed by members of zeros, up to 64 MiB inflated from ~64 KB).
 */
export function idxGzipCase(r) {
  const kind = r.int(10);
  if (kind < 2) {
    const v = validIdx(r);
    return { kind: 'valid', input: new Uint8Array(gzipSync(v.bytes)), expect: v };
  }
  if (kind < 4)
    return { kind: 'mutated', input: new Uint8Array(gzipSync(mutateBytes(r, validIdx(r).bytes))) };
  if (kind < 6) return { kind: 'hostile', input: new Uint8Array(gzipSync(hostileIdx(r))) };
  if (kind < 8) {
    const gz = new Uint8Array(gzipSync(validIdx(r).bytes));
    return { kind: 'gzip-mutated', input: mutateBytes(r, gz) };
  }
  const dims = r.pick([[16], [1024, 1024], [64, 1024, 1024], [1024, 1024, 1024], [r.int(100), 3]]);
  const head = gzipSync(idxBytes(8, dims, new Uint8Array(0)));
  const members = r.int(65);
  return { kind: 'bomb', input: concat(head, ...Array(members).fill(zerosMember())) };
}

let zeros1MiB = null;
function zerosMember() {
  zeros1MiB ??= new Uint8Array(gzipSync(new Uint8Array(1 << 20)));
  return zeros1MiB;
}

export function checkIdx(result, expect) {
  if (JSON.stringify(result.shape) !== JSON.stringify(expect.dims)) return 'shape';
  const n = expect.dims.reduce((a, d) => a * d, 1);
  if (result.data.length !== n) return 'length';
  // Re-encode big-endian and compare with the file's bytes.
  const size = IDX_TYPES[expect.code];
  const out = new Uint8Array(n * size);
  const v = new DataView(out.buffer);
  const set = {
    8: (k, x) => v.setUint8(k, x),
    9: (k, x) => v.setInt8(k, x),
    11: (k, x) => v.setInt16(k, x, false),
    12: (k, x) => v.setInt32(k, x, false),
    13: (k, x) => v.setFloat32(k, x, false),
    14: (k, x) => v.setFloat64(k, x, false),
  }[expect.code];
  for (let k = 0; k < n; k++) set(k * size, result.data[k]);
  const data = expect.bytes.subarray(4 + 4 * expect.dims.length);
  // NaN payloads may change through a float; compare everything else bit for bit.
  for (let k = 0; k < out.length; k++) {
    if (out[k] !== data[k] && !Number.isNaN(result.data[Math.floor(k / size)])) return `byte ${k}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

const CSV_CELLS = [
  '1',
  '-7',
  '+3',
  '0.5',
  '.5',
  '5.',
  '1e3',
  '-2.5E-3',
  'inf',
  '-Infinity',
  'true',
  'FALSE',
  'NA',
  'N/A',
  'NaN',
  'null',
  '',
  'x',
  'hello world',
  ' 4 ',
  '1e',
  '--1',
  '__proto__',
  'constructor',
  'é',
];

function csvCell(r, q) {
  if (r.chance(0.03)) {
    // a long cell: digits, maybe with a tail that makes it not a number
    const digits = '9'.repeat(1 + r.int(r.chance(0.3) ? 200_000 : 2000));
    return digits + r.pick(['', 'x', '.5', 'e', 'e5', '.']);
  }
  const base = r.pick(CSV_CELLS);
  if (r.chance(0.15)) {
    const inner = base + r.pick([',', '\n', '\r\n', `${q}${q}`, ';', '']) + r.pick(CSV_CELLS);
    return `${q}${inner}${q}`;
  }
  return base;
}

/** A CSV text from the grammar (records of cells, quoted or not), maybe mutated, and options. */
export function csvCase(r) {
  const delimiter = r.chance(0.8) ? ',' : r.pick([';', '\t', '|']);
  const quote = r.chance(0.9) ? '"' : "'";
  const width = 1 + r.int(5);
  const rows = r.int(8);
  const eol = r.pick(['\n', '\r\n', '\r']);
  const header = Array.from({ length: width }, (_, k) =>
    r.chance(0.1) ? r.pick(['__proto__', 'constructor', 'toString', 'a', '']) : `c${k}`,
  );
  const lines = [header.join(delimiter)];
  for (let k = 0; k < rows; k++) {
    const cells = Array.from({ length: width }, () => csvCell(r, quote));
    lines.push(cells.join(delimiter));
  }
  let text = lines.join(eol) + (r.chance(0.5) ? eol : '');
  if (r.chance(0.1)) text = `\uFEFF${text}`;
  const options = { delimiter, quote };
  if (r.chance(0.3)) options.header = false;
  if (r.chance(0.2))
    options.types = Array.from({ length: width }, () => r.pick(['number', 'int', 'string', 'boolean']));
  if (r.chance(0.1)) options.types = { c0: 'int', constructor: 'number', toString: 'string' };
  if (r.chance(0.1)) options.skipEmptyLines = false;
  const kind = r.chance(0.5) ? 'grammar' : 'mutated';
  if (kind === 'mutated') {
    const tokens = [quote, `${quote}${quote}`, delimiter, '\r', '\n', '\uFEFF', '999999999999999999999x'];
    text = new TextDecoder().decode(mutateBytes(r, utf8(text), tokens));
  }
  return { kind, input: text, options };
}

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------

/**
 * Run cases `from` to `to - 1` of one parser. `target` = { name, make(r) → case, run(case) → result
 * (may be a promise), check?(result, case) → problem | null, isClean(error) → boolean, capBytes(case) }.
 * Returns the counts and up to 5 examples of each failure (case index, kind, message).
 */
export async function runFuzz(target, { seed, from = 0, to, slowMs = 2000, onCase } = {}) {
  const stats = {
    parser: target.name,
    cases: 0,
    valid: 0,
    clean: 0,
    crashes: 0,
    slow: 0,
    overCap: 0,
    maxCaseMs: 0,
    maxGrowthBytes: 0,
    examples: [],
  };
  const note = (what, i, c, msg) => {
    if (stats.examples.length < 15)
      stats.examples.push({ what, case: i, kind: c.kind, message: String(msg).slice(0, 300) });
  };
  for (let i = from; i < to; i++) {
    onCase?.(i);
    const c = target.make(caseRng(seed, i), i);
    const before = process.memoryUsage();
    const t0 = performance.now();
    let result;
    let error = null;
    try {
      result = await target.run(c, i);
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    const after = process.memoryUsage();
    const growth = after.arrayBuffers - before.arrayBuffers + Math.max(0, after.heapUsed - before.heapUsed);
    stats.cases++;
    stats.maxCaseMs = Math.max(stats.maxCaseMs, ms);
    stats.maxGrowthBytes = Math.max(stats.maxGrowthBytes, growth);
    if (ms > slowMs) {
      stats.slow++;
      note('slow', i, c, `${ms.toFixed(0)} ms`);
    }
    if (growth > target.capBytes(c)) {
      stats.overCap++;
      note('over-cap', i, c, `${growth} bytes > cap ${target.capBytes(c)}`);
    }
    if (error === null) {
      const problem = c.expect && target.check ? target.check(result, c) : null;
      if (problem) {
        stats.crashes++;
        note('wrong-result', i, c, problem);
      } else stats.valid++;
    } else if (target.isClean(error)) {
      if (c.kind === 'valid') {
        stats.crashes++;
        note('rejected-valid', i, c, error.message);
      } else stats.clean++;
    } else {
      stats.crashes++;
      note('crash', i, c, `${error?.name}: ${error?.message}`);
    }
  }
  return stats;
}

/** A clean error: the class, a message with the format's prefix, bounded in length. */
export function cleanError(error, Class, prefix) {
  return error instanceof Class && prefix.test(error.message) && error.message.length < 2000;
}

/** The targets, given the parsers under test (from src in the vitest suites, from dist in the script). */
export function targets({
  decodeSafetensors,
  entryToTypedArray,
  SafetensorsError,
  parseIdx,
  decodeIdx,
  readIdx,
  readIdxSync,
  IdxError,
  parseCsv,
  CsvError,
  tmpFile,
}) {
  const MiB = 1024 * 1024;
  // The fuzz caps gzip inflation at 16 MiB; every case may grow memory by at most that, 64 times
  // its input (CSV rows are objects) and 32 MiB of slack for the runtime.
  const IDX_MAX = 16 * MiB;
  const cap = (c) => IDX_MAX + 64 * (c.input.length ?? 0) + 32 * MiB;
  const idxClean = (e) => cleanError(e, IdxError, /^(parseIdx|decodeIdx|readIdx|readIdxSync): /);
  const list = [];
  if (decodeSafetensors) {
    list.push({
      name: 'safetensors',
      make: safetensorsCase,
      run(c) {
        const out = decodeSafetensors(c.input);
        for (const [name, e] of Object.entries(out.tensors)) entryToTypedArray(e, name);
        return out;
      },
      check: (res, c) => checkSafetensors(res, c.expect),
      isClean: (e) => cleanError(e, SafetensorsError, /^safetensors: /),
      capBytes: cap,
    });
  }
  if (parseIdx) {
    list.push({
      name: 'idx-raw',
      make: idxRawCase,
      run: (c) => parseIdx(c.input),
      check: (res, c) => checkIdx(res, c.expect),
      isClean: idxClean,
      capBytes: cap,
    });
  }
  if (decodeIdx) {
    list.push({
      name: 'idx-gzip',
      make: idxGzipCase,
      // Each of the three gzip readers in turn: the DecompressionStream one, the streaming
      // node:zlib one and the synchronous node:zlib one.
      async run(c, i) {
        if (i % 3 === 0) return decodeIdx(c.input, { maxBytes: IDX_MAX });
        const path = tmpFile(c.input);
        return i % 3 === 1 ? readIdx(path, { maxBytes: IDX_MAX }) : readIdxSync(path, { maxBytes: IDX_MAX });
      },
      check: (res, c) => checkIdx(res, c.expect),
      isClean: idxClean,
      capBytes: cap,
    });
  }
  if (parseCsv) {
    list.push({
      name: 'csv',
      make: csvCase,
      run(c) {
        const t = parseCsv(c.input, c.options);
        // Reading the table back is part of using it: every column, and the numeric matrix.
        for (const name of t.columns) t.column(name);
        if (!t.types.includes('string')) t.toFloat32();
        return t;
      },
      isClean: (e) => cleanError(e, CsvError, /^parseCsv: /),
      capBytes: (c) => 64 * c.input.length + 32 * MiB,
    });
  }
  return list;
}
