import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  entryToTypedArray,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsEntry,
  SafetensorsError,
  typedArrayToEntry,
} from '../src/io/safetensors.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  f32_bits?: number[];
  values?: number[];
  error_index?: number;
  error_value?: string;
}

const expected = JSON.parse(
  readFileSync(new URL('./fixtures/torch_mixed.expected.json', import.meta.url), 'utf8'),
) as {
  metadata: Record<string, string>;
  canonical_order: string[];
  tensors: Record<string, ExpectedTensor>;
  rounding: { f32_bits: number[]; f16_bits: number[]; bf16_bits: number[] };
};

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u64le(n: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, n % 2 ** 32, true);
  v.setUint32(4, Math.floor(n / 2 ** 32), true);
  return b;
}

/** A file with the given header JSON text (unpadded) and data section. */
function file(header: string | object, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = utf8(typeof header === 'string' ? header : JSON.stringify(header));
  return concat(u64le(h.length), h, data);
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** float32 bit patterns of a Float32Array; every NaN maps to one pattern so NaN equals NaN. */
function bitsOf(values: Float32Array): number[] {
  const bits = Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  return bits.map((b, i) => (Number.isNaN(values[i]) ? 0x7fc00000 : b));
}

describe('reading a file PyTorch 1.13 wrote (tools/gen_safetensors_fixture.py)', () => {
  const { tensors, metadata } = decodeSafetensors(fixture('torch_mixed.safetensors'));

  it('recovers the metadata and every tensor name, dtype and shape', () => {
    expect(metadata).toEqual(expected.metadata);
    expect(Object.keys(tensors)).toEqual(expected.canonical_order);
    for (const [name, e] of Object.entries(expected.tensors)) {
      expect(tensors[name]!.dtype, name).toBe(e.dtype);
      expect(tensors[name]!.shape, name).toEqual(e.shape);
    }
  });

  for (const [name, e] of Object.entries(expected.tensors)) {
    if (e.f32_bits !== undefined) {
      it(`${name} (${e.dtype}) converts to float32 exactly as torch's .float() does`, () => {
        const { dtype, values } = entryToTypedArray(tensors[name]!, name);
        expect(dtype).toBe('float32');
        expect(bitsOf(values as Float32Array)).toEqual(
          e.f32_bits!.map((b) => (isNaNBits(b) ? 0x7fc00000 : b)),
        );
      });
    } else if (e.values !== undefined) {
      it(`${name} (${e.dtype}) converts to ${e.dtype === 'BOOL' ? 'bool' : 'int32'} with torch's values`, () => {
        const { dtype, values } = entryToTypedArray(tensors[name]!, name);
        expect(dtype).toBe(e.dtype === 'BOOL' ? 'bool' : 'int32');
        expect(Array.from(values)).toEqual(e.values);
      });
    }
  }

  it('throws, naming the tensor, index and value, when an I64 value does not fit int32', () => {
    const e = expected.tensors.int64_big!;
    expect(() => entryToTypedArray(tensors.int64_big!, 'int64_big')).toThrow(
      `safetensors: tensor "int64_big" (I64) holds ${e.error_value} at flat index ${e.error_index}, outside int32`,
    );
  });

  it('accepts tensors in any header and data order (same tensors as the canonical file)', () => {
    const other = decodeSafetensors(fixture('torch_mixed_unordered.safetensors'));
    expect(other.metadata).toEqual(metadata);
    expect(Object.keys(other.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const name of Object.keys(tensors)) expect(other.tensors[name], name).toEqual(tensors[name]);
  });

  it('re-encodes to the same bytes: the writer reproduces the reference layout', () => {
    const bytes = fixture('torch_mixed.safetensors');
    const again = encodeSafetensors(
      decodeSafetensors(fixture('torch_mixed_unordered.safetensors')).tensors,
      metadata,
    );
    expect(again).toEqual(bytes);
  });
});

function isNaNBits(b: number): boolean {
  return (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
}

describe('byte-exact agreement with the reference writer (huggingface/safetensors tensor.rs tests)', () => {
  it('test_serialization: one F32 tensor "attn.0" of shape [1, 2, 3], header exactly 64 bytes', () => {
    const out = encodeSafetensors({
      'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: f32Bytes([0, 1, 2, 3, 4, 5]) },
    });
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(out).toEqual(concat(u64le(64), utf8(json), f32Bytes([0, 1, 2, 3, 4, 5])));
  });

  it('test_serialization_forced_alignement: the header is space-padded to 72 bytes', () => {
    const out = encodeSafetensors({
      attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: f32Bytes([0, 1, 2, 3, 4, 5]) },
    });
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    expect(out).toEqual(concat(u64le(72), utf8(json), f32Bytes([0, 1, 2, 3, 4, 5])));
  });

  it('test_empty: no tensors, with and without metadata', () => {
    expect(encodeSafetensors({})).toEqual(concat(u64le(8), utf8('{}      ')));
    expect(encodeSafetensors({}, { framework: 'pt' })).toEqual(
      concat(u64le(40), utf8('{"__metadata__":{"framework":"pt"}}     ')),
    );
    expect(decodeSafetensors(encodeSafetensors({}, { framework: 'pt' }))).toEqual({
      tensors: {},
      metadata: { framework: 'pt' },
    });
  });

  it('lays out larger dtypes first, then by name, so each tensor is aligned to its element size', () => {
    const out = encodeSafetensors({
      b: typedArrayToEntry(new Uint8Array([1]), 'bool', [1]),
      a: typedArrayToEntry(new Int32Array([1]), 'int32', [1], 'I64'),
      c: typedArrayToEntry(new Float32Array([1, 2]), 'float32', [2], 'F16'),
      d: typedArrayToEntry(new Float32Array([1]), 'float32', [1]),
    });
    const header = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + Number(out[0]))));
    expect(Object.keys(header)).toEqual(['a', 'd', 'c', 'b']);
    expect(header.c.data_offsets).toEqual([12, 16]);
  });
});

describe('writing: typedArrayToEntry and round trips', () => {
  it('rounds float32 to float16 and bfloat16 exactly as torch does (ties to even, overflow to inf)', () => {
    const { f32_bits, f16_bits, bf16_bits } = expected.rounding;
    const x = new Float32Array(new Uint32Array(f32_bits).buffer);
    const f16 = new Uint16Array(typedArrayToEntry(x, 'float32', [x.length], 'F16').data.slice().buffer);
    const bf16 = new Uint16Array(typedArrayToEntry(x, 'float32', [x.length], 'BF16').data.slice().buffer);
    // Any NaN pattern is a NaN: torch's vectorised bfloat16 cast writes 0xffff, c10's scalar one 0x7fc0.
    const f16NaN = (h: number) => ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 ? -1 : h);
    const bf16NaN = (h: number) => ((h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0 ? -1 : h);
    expect(Array.from(f16, f16NaN)).toEqual(f16_bits.map(f16NaN));
    expect(Array.from(bf16, bf16NaN)).toEqual(bf16_bits.map(bf16NaN));
  });

  it('every one of the 65536 float16 patterns survives F16 → float32 → F16 (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i;
    const entry: SafetensorsEntry = { dtype: 'F16', shape: [65536], data: new Uint8Array(all.buffer) };
    const f = entryToTypedArray(entry).values as Float32Array;
    const back = new Uint16Array(typedArrayToEntry(f, 'float32', [65536], 'F16').data.buffer);
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (nan ? !Number.isNaN(f[i]) : back[i] !== i) {
        throw new Error(`half 0x${i.toString(16)} → ${f[i]} → 0x${back[i]!.toString(16)}`);
      }
    }
    expect(f[0x0001]).toBe(2 ** -24);
    expect(f[0x03ff]).toBe(1023 * 2 ** -24);
    expect(f[0x7bff]).toBe(65504);
    expect(Object.is(f[0x8000], -0)).toBe(true);
  });

  it('round-trips float32, int32 and bool through every storable dtype', () => {
    const f = new Float32Array([0, -1.5, 3.25, 1e-3, -7e4]);
    const i = new Int32Array([0, -1, 2147483647, -2147483648, 5]);
    const b = new Uint8Array([1, 0, 0, 1]);
    const entries = {
      f32: typedArrayToEntry(f, 'float32', [5]),
      f64: typedArrayToEntry(f, 'float32', [5], 'F64'),
      i32: typedArrayToEntry(i, 'int32', [5]),
      i64: typedArrayToEntry(i, 'int32', [1, 5], 'I64'),
      u8: typedArrayToEntry(new Int32Array([0, 7, 255]), 'int32', [3], 'U8'),
      mask: typedArrayToEntry(b, 'bool', [2, 2]),
    };
    const { tensors } = decodeSafetensors(encodeSafetensors(entries, { note: 'round trip' }));
    expect(Array.from(entryToTypedArray(tensors.f32!).values)).toEqual(Array.from(f));
    expect(Array.from(entryToTypedArray(tensors.f64!).values)).toEqual(Array.from(f));
    expect(Array.from(entryToTypedArray(tensors.i32!).values)).toEqual(Array.from(i));
    expect(entryToTypedArray(tensors.i64!)).toEqual({ dtype: 'int32', values: i });
    expect(tensors.i64!.shape).toEqual([1, 5]);
    expect(Array.from(entryToTypedArray(tensors.u8!).values)).toEqual([0, 7, 255]);
    expect(entryToTypedArray(tensors.mask!)).toEqual({ dtype: 'bool', values: b });
  });

  it('converted values never alias the file bytes', () => {
    const bytes = encodeSafetensors({ w: typedArrayToEntry(new Float32Array([1, 2]), 'float32', [2]) });
    const { values } = entryToTypedArray(decodeSafetensors(bytes).tensors.w!);
    values[0] = 99;
    expect(Array.from(entryToTypedArray(decodeSafetensors(bytes).tensors.w!).values)).toEqual([1, 2]);
  });

  it('rejects values that do not fit or do not match', () => {
    expect(() => typedArrayToEntry(new Float32Array(6), 'float32', [2, 2])).toThrow(
      'typedArrayToEntry: shape [2, 2] holds 4 values but got 6',
    );
    expect(() => typedArrayToEntry(new Float32Array(1), 'float32', [1], 'I32')).toThrow(
      /cannot store float32 values as I32; cast to int32 or bool first/,
    );
    expect(() => typedArrayToEntry(new Int32Array([256]), 'int32', [1], 'U8')).toThrow(
      /value 256 at flat index 0 does not fit U8/,
    );
    expect(() => typedArrayToEntry(new Int32Array(1), 'float32', [1])).toThrow(
      /float32 needs a Float32Array/,
    );
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Uint8Array(4) } })).toThrow(
      'encodeSafetensors: tensor "w": shape [2] of F32 needs 8 bytes, but data has 4',
    );
    expect(() =>
      encodeSafetensors({ __metadata__: typedArrayToEntry(new Float32Array(1), 'float32', [1]) }),
    ).toThrow(/reserved/);
  });
});

describe('corrupt files: each problem gets its own error', () => {
  const w = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };

  it('a file shorter than the 8-byte length prefix', () => {
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow(
      'safetensors: file is 5 bytes, shorter than the 8-byte header length that starts every file',
    );
  });

  it('a header length beyond the end of the file', () => {
    expect(() => decodeSafetensors(concat(u64le(100), utf8('{}')))).toThrow(
      'safetensors: header length 100 runs past the end of the file (10 bytes, so at most 2 header bytes)',
    );
    expect(() => decodeSafetensors(concat(u64le(2 ** 40), utf8('{}')))).toThrow(
      /header length 1099511627776 runs past/,
    );
  });

  it('a header that is not UTF-8, not JSON, or not an object', () => {
    expect(() => decodeSafetensors(concat(u64le(2), new Uint8Array([0x7b, 0xff])))).toThrow(
      'safetensors: the 2-byte header is not valid UTF-8',
    );
    expect(() => decodeSafetensors(file('{"w": {'))).toThrow(/safetensors: header is not valid JSON \(/);
    expect(() => decodeSafetensors(file('[1, 2]'))).toThrow(/header must be a JSON object/);
  });

  it('an unknown dtype', () => {
    expect(() => decodeSafetensors(file({ w: { ...w, dtype: 'Q4' } }, new Uint8Array(16)))).toThrow(
      /safetensors: tensor "w" has unknown dtype "Q4" \(supported: BOOL, U8, .*\)/,
    );
  });

  it('a shape that disagrees with the offsets', () => {
    expect(() => decodeSafetensors(file({ w: { ...w, shape: [2, 3] } }, new Uint8Array(16)))).toThrow(
      'safetensors: tensor "w": shape [2, 3] of F32 needs 24 bytes, but data_offsets [0, 16] span 16',
    );
    expect(() => decodeSafetensors(file({ w: { ...w, shape: [2, -2] } }, new Uint8Array(16)))).toThrow(
      /tensor "w": shape must be an array of non-negative integers, got \[2,-2\]/,
    );
  });

  it('malformed offsets', () => {
    expect(() => decodeSafetensors(file({ w: { ...w, data_offsets: [16, 0] } }, new Uint8Array(16)))).toThrow(
      'safetensors: tensor "w": data_offsets must be [begin, end] with 0 <= begin <= end, got [16,0]',
    );
    expect(() => decodeSafetensors(file({ w: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)))).toThrow(
      /tensor "w": data_offsets must be \[begin, end\]/,
    );
  });

  it('truncated data', () => {
    const header = { w: { dtype: 'F32', shape: [10, 10], data_offsets: [0, 400] } };
    expect(() => decodeSafetensors(file(header, new Uint8Array(96)))).toThrow(
      'safetensors: tensor "w" needs bytes [0, 400) of the data section but only 96 bytes remain',
    );
  });

  it('overlapping tensors', () => {
    const header = { a: w, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    expect(() => decodeSafetensors(file(header, new Uint8Array(16)))).toThrow(
      'safetensors: tensors "a" and "b" overlap (bytes [8, 16) of the data section belong to both)',
    );
  });

  it('holes and trailing bytes in the data section', () => {
    const gap = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    };
    expect(() => decodeSafetensors(file(gap, new Uint8Array(12)))).toThrow(
      'safetensors: bytes [4, 8) of the data section belong to no tensor (before "b")',
    );
    expect(() => decodeSafetensors(file({ w }, new Uint8Array(20)))).toThrow(
      'safetensors: the data section has 20 bytes but the tensors cover only the first 16',
    );
  });

  it('metadata that is not all strings', () => {
    expect(() => decodeSafetensors(file({ __metadata__: { epoch: 3 } }))).toThrow(
      'safetensors: metadata "epoch" must be a string, got 3',
    );
  });

  it('zero-size tensors may share an offset; a valid hand-made file decodes', () => {
    const header = {
      e1: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
      e2: { dtype: 'I64', shape: [3, 0], data_offsets: [0, 0] },
      w,
    };
    const { tensors } = decodeSafetensors(file(header, f32Bytes([1, 2, 3, 4])));
    expect(Array.from(entryToTypedArray(tensors.w!).values)).toEqual([1, 2, 3, 4]);
    expect(entryToTypedArray(tensors.e2!).values.length).toBe(0);
  });
});

describe('hostile headers (issue 18): bounded, typed errors, never a raw crash', () => {
  /** The error a call throws (or null), so a test can check its class and message together. */
  function thrown(f: () => unknown): Error | null {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    return null;
  }
  const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

  it('shapes nested 2 to 100,000 deep are refused with a SafetensorsError (the 10,000-deep one overflowed the stack)', () => {
    for (const depth of [2, 3, 126, 127, 128, 129, 1000, 10_000, 100_000]) {
      const h = `{"w":{"dtype":"F32","shape":${nested(depth)},"data_offsets":[0,4]}}`;
      const e = thrown(() => decodeSafetensors(file(h, new Uint8Array(4))));
      expect(e, `depth ${depth}`).toBeInstanceOf(SafetensorsError);
      expect(e!.message, `depth ${depth}`).toMatch(/^safetensors: /);
      // Messages stay short whatever the file holds.
      expect(e!.message.length, `depth ${depth}`).toBeLessThan(400);
    }
    // Nesting in a part of the entry the reader ignores is capped the same way: 128 levels in all
    // (serde_json's limit), so 2 objects + 126 arrays pass and 2 + 127 do not.
    const ok = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${nested(126)}}}`;
    expect(decodeSafetensors(file(ok, new Uint8Array(4))).tensors.w!.shape).toEqual([1]);
    const over = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${nested(127)}}}`;
    expect(() => decodeSafetensors(file(over, new Uint8Array(4)))).toThrow(/nesting deeper than 128/);
  });

  it('every name Object.prototype carries, __proto__ aside, is an ordinary tensor name', () => {
    const names = Object.getOwnPropertyNames(Object.prototype).filter((n) => n !== '__proto__');
    expect(names.length).toBeGreaterThan(5);
    const header: Record<string, unknown> = {};
    names.forEach((n, k) => {
      header[n] = { dtype: 'U8', shape: [1], data_offsets: [k, k + 1] };
    });
    const data = Uint8Array.from(names, (_, k) => k);
    const { tensors } = decodeSafetensors(file(header, data));
    expect(Object.keys(tensors).sort()).toEqual([...names].sort());
    names.forEach((n, k) => {
      expect(Array.from(tensors[n]!.data), n).toEqual([k]);
    });
    expect(Object.getPrototypeOf(tensors)).toBeNull();
  });

  it('a tensor named __proto__ is refused (it vanished and re-prototyped the result)', () => {
    const e0 = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    const h = `{"__proto__":${JSON.stringify(e0)}}`;
    const e = thrown(() => decodeSafetensors(file(h, new Uint8Array(4))));
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e!.message).toMatch(/safetensors: a tensor is named "__proto__"/);
    expect(() => decodeSafetensors(file('{"__metadata__":{"__proto__":"x"}}'))).toThrow(SafetensorsError);
    const entries = Object.create(null) as Record<string, SafetensorsEntry>;
    Object.defineProperty(entries, '__proto__', {
      value: { dtype: 'F32', shape: [1], data: new Uint8Array(4) },
      enumerable: true,
    });
    expect(() => encodeSafetensors(entries)).toThrow(/"__proto__" cannot name a tensor/);
  });

  it('a name (or any key) given twice is refused, wherever it is (the last one used to win)', () => {
    const e = (o: number) => `{"dtype":"U8","shape":[1],"data_offsets":[${o},${o + 1}]}`;
    // The duplicate at each position of a 4-entry header, and inside an entry and the metadata.
    for (let k = 1; k < 4; k++) {
      const names = ['a', 'b', 'c', 'd'];
      names[k] = names[k - 1]!;
      const h = `{${names.map((n, j) => `"${n}":${e(j)}`).join(',')}}`;
      expect(thrown(() => decodeSafetensors(file(h, new Uint8Array(4))))?.message, h).toMatch(
        new RegExp(`safetensors: the header names tensor "${names[k]}" twice`),
      );
    }
    expect(() =>
      decodeSafetensors(file('{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}')),
    ).toThrow('safetensors: key "dtype" appears twice in one object of the header');
    expect(() => decodeSafetensors(file('{"__metadata__":{"a":"1","a":"2"}}'))).toThrow(
      /key "a" appears twice/,
    );
    // Escapes are decoded before comparing: "a" and "\u0061" are the same key.
    expect(() => decodeSafetensors(file(`{"a":${e(0)},"\\u0061":${e(1)}}`, new Uint8Array(2)))).toThrow(
      /names tensor "a" twice/,
    );
  });

  it('header length over the 100 MB cap of the reference reader (without reading it)', () => {
    const big = new Uint8Array(8 + SAFETENSORS_MAX_HEADER_BYTES + 8);
    big.set(u64le(SAFETENSORS_MAX_HEADER_BYTES + 8));
    expect(() => decodeSafetensors(big)).toThrow(/header length 100000008 is over the 100000000-byte limit/);
  });

  it('dims whose product overflows 2^53 bytes, non-integer and huge dims, and non-number offsets', () => {
    const w = (shape: string, offsets = '[0,4]') =>
      file(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}}`, new Uint8Array(4));
    expect(() => decodeSafetensors(w('[4294967296,4294967296]'))).toThrow(/more than any file can hold/);
    expect(() => decodeSafetensors(w('[9007199254740993]'))).toThrow(
      /shape must be an array of non-negative integers/,
    );
    for (const bad of ['[1.5]', '[1e400]', '["1"]', '[true]', '[null]', '{"0":1}', '1', '[-0.5]']) {
      expect(
        thrown(() => decodeSafetensors(w(bad))),
        bad,
      ).toBeInstanceOf(SafetensorsError);
    }
    for (const bad of ['["0","4"]', '[0,4,8]', '[0]', '[0,1e400]', '[-4,0]', 'null']) {
      expect(
        thrown(() => decodeSafetensors(w('[1]', bad))),
        bad,
      ).toBeInstanceOf(SafetensorsError);
    }
  });

  it('invalid JSON is refused like JSON.parse refuses it (a generated set of near-misses)', () => {
    const valid = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"v\\n\\u00e9"}}';
    expect(decodeSafetensors(file(valid, new Uint8Array(4))).metadata.k).toBe('v\né');
    // Every single-character deletion and every replacement by a JSON-significant character: our
    // parser must accept exactly when JSON.parse accepts (and the rest of the checks then decide).
    let agreed = 0;
    for (let k = 0; k < valid.length; k++) {
      for (const rep of ['', '"', '{', '}', '[', ']', ',', ':', '\\', '0', '-', 'e', ' ', '\u0001']) {
        const text = valid.slice(0, k) + rep + valid.slice(k + 1);
        let jsonOk = true;
        try {
          JSON.parse(text);
        } catch {
          jsonOk = false;
        }
        const e = thrown(() => decodeSafetensors(file(text, new Uint8Array(4))));
        const ourJsonOk = !(e?.message.startsWith('safetensors: header is not valid JSON') ?? false);
        if (ourJsonOk !== jsonOk && !/twice/.test(e?.message ?? '')) {
          throw new Error(
            `${JSON.stringify(text)}: JSON.parse ${jsonOk} but we ${ourJsonOk} (${e?.message})`,
          );
        }
        if (e) expect(e).toBeInstanceOf(SafetensorsError);
        agreed++;
      }
    }
    expect(agreed).toBe(valid.length * 14);
  });
});
