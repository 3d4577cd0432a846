import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIdx, IDX_DEFAULT_MAX_BYTES, IdxError, isGzip, parseIdx } from '../src/index.js';
import { readIdx, readIdxSync } from '../src/node/index.js';

/** Bytes of an IDX file written straight from the format description: magic, big-endian dims, data. */
function idxBytes(typeCode: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, typeCode, dims.length]);
  dims.forEach((d, i) => {
    out.set([(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255], 4 + 4 * i);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'myelin-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseIdx on hand-built buffers', () => {
  it('uint8 images [2, 2, 3]: shape, type and row-major bytes', () => {
    const pixels = Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    const a = parseIdx(idxBytes(0x08, [2, 2, 3], pixels));
    expect(a.type).toBe('uint8');
    expect(a.shape).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(pixels));
  });

  it('uint8 labels [5] (a 1-D file, like MNIST labels)', () => {
    const a = parseIdx(idxBytes(0x08, [5], Uint8Array.from([5, 0, 4, 1, 9])));
    expect(a.shape).toEqual([5]);
    expect(Array.from(a.data)).toEqual([5, 0, 4, 1, 9]);
  });

  it('multi-byte types are big-endian: int16, int32, float32, float64, int8', () => {
    // int16 -2 = 0xFFFE, 258 = 0x0102
    expect(Array.from(parseIdx(idxBytes(0x0b, [2], Uint8Array.from([0xff, 0xfe, 0x01, 0x02]))).data)).toEqual(
      [-2, 258],
    );
    // int32 16909060 = 0x01020304, -1 = 0xFFFFFFFF
    const i32 = parseIdx(idxBytes(0x0c, [2], Uint8Array.from([1, 2, 3, 4, 255, 255, 255, 255])));
    expect(i32.type).toBe('int32');
    expect(Array.from(i32.data)).toEqual([16909060, -1]);
    // float32 1.5 = 0x3FC00000, -2 = 0xC0000000
    const f32 = parseIdx(idxBytes(0x0d, [1, 2], Uint8Array.from([0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0])));
    expect(f32.shape).toEqual([1, 2]);
    expect(Array.from(f32.data)).toEqual([1.5, -2]);
    // float64 0.1 = 0x3FB999999999999A
    const f64 = parseIdx(
      idxBytes(0x0e, [1], Uint8Array.from([0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a])),
    );
    expect(f64.data[0]).toBe(0.1);
    expect(Array.from(parseIdx(idxBytes(0x09, [2], Uint8Array.from([0x80, 0x7f]))).data)).toEqual([
      -128, 127,
    ]);
  });

  it('typed errors: bad magic, unknown type, truncated header or data, trailing bytes, gzip', () => {
    const good = idxBytes(0x08, [2, 2], Uint8Array.from([1, 2, 3, 4]));
    const code = (bytes: Uint8Array) => {
      try {
        parseIdx(bytes, { source: 'x.idx' });
      } catch (e) {
        expect(e).toBeInstanceOf(IdxError);
        expect((e as Error).message).toContain('x.idx');
        return (e as IdxError).code;
      }
      return 'no error';
    };
    expect(code(Uint8Array.from([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0]))).toBe('bad-magic');
    expect(code(Uint8Array.from([0, 0, 0x07, 0x01, 0, 0, 0, 0]))).toBe('bad-type');
    expect(code(Uint8Array.from([0, 0, 8]))).toBe('truncated');
    expect(code(good.subarray(0, 10))).toBe('truncated'); // header needs 12 bytes
    expect(code(good.subarray(0, good.length - 1))).toBe('truncated');
    expect(code(Uint8Array.from([...good, 0]))).toBe('trailing-bytes');
    expect(code(gzipSync(good))).toBe('gzip');
    expect(() => parseIdx(good.subarray(0, 14))).toThrow(/shape \[2, 2\] of uint8 needs 16 bytes, got 14/);
  });
});

describe('gzip IDX', () => {
  const raw = idxBytes(0x08, [3, 2], Uint8Array.from([10, 20, 30, 40, 50, 60]));
  const gz = new Uint8Array(gzipSync(raw));

  it('decodeIdx un-gzips with DecompressionStream', async () => {
    expect(isGzip(gz)).toBe(true);
    const a = await decodeIdx(gz);
    expect(a.shape).toEqual([3, 2]);
    expect(Array.from(a.data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect((await decodeIdx(raw)).shape).toEqual([3, 2]);
  });

  it('readIdx / readIdxSync read raw and gzipped files (told apart by magic, not name)', async () => {
    const rawPath = join(tmp, 'a-idx2-ubyte');
    const gzPath = join(tmp, 'a-idx2-ubyte.gz');
    const misnamed = join(tmp, 'looks-raw-but-is-gzip');
    writeFileSync(rawPath, raw);
    writeFileSync(gzPath, gz);
    writeFileSync(misnamed, gz);
    for (const p of [rawPath, gzPath, misnamed]) {
      expect(Array.from((await readIdx(p)).data)).toEqual([10, 20, 30, 40, 50, 60]);
      expect(readIdxSync(p).shape).toEqual([3, 2]);
    }
  });

  it('truncated gzip is an IdxError with code gzip', async () => {
    const cut = join(tmp, 'cut.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 8));
    await expect(readIdx(cut)).rejects.toMatchObject({ name: 'IdxError', code: 'gzip' });
    expect(() => readIdxSync(cut)).toThrow(IdxError);
    await expect(decodeIdx(gz.subarray(0, 12))).rejects.toMatchObject({ code: 'gzip' });
  });
});

describe('hostile IDX files (issue 18): bounded inflation, one copy, checked dims', () => {
  /**
   * A gzip bomb: the IDX header in one gzip member, then `mib` members each inflating to 1 MiB of
   * zeros (gzip readers concatenate members). 1,024 of them are ~1 MB that inflate to 1 GiB.
   */
  function bomb(typeCode: number, dims: number[], mib: number): Uint8Array {
    const member = gzipSync(new Uint8Array(1 << 20));
    const head = gzipSync(idxBytes(typeCode, dims, new Uint8Array(0)));
    const out = new Uint8Array(head.length + mib * member.length);
    out.set(head);
    for (let k = 0; k < mib; k++) out.set(member, head.length + k * member.length);
    return out;
  }
  const GiB = 1024 * 1024 * 1024;
  const big = bomb(0x08, [1024, 1024, 1024], 1024);
  const bigPath = join(tmp, 'bomb-idx3-ubyte.gz');
  writeFileSync(bigPath, big);

  /** Runs `f`, returning its error and how much the process's ArrayBuffer memory grew meanwhile. */
  async function measure(f: () => unknown): Promise<{ error: IdxError | null; grew: number }> {
    const before = process.memoryUsage().arrayBuffers;
    let error: IdxError | null = null;
    try {
      await f();
    } catch (e) {
      error = e as IdxError;
    }
    return { error, grew: process.memoryUsage().arrayBuffers - before };
  }

  it('a 1 MB gzip declaring 1 GiB is refused before inflating, by all three readers', async () => {
    expect(big.length).toBeLessThan(1.2e6);
    for (const [name, f] of [
      ['decodeIdx', () => decodeIdx(big)],
      ['readIdx', () => readIdx(bigPath)],
      ['readIdxSync', () => readIdxSync(bigPath)],
    ] as const) {
      const { error, grew } = await measure(f);
      expect(error, name).toBeInstanceOf(IdxError);
      expect(error!.code, name).toBe('too-large');
      expect(error!.message, name).toMatch(
        new RegExp(
          `${name}: .*1073741840 bytes once inflated, over the 268435456-byte limit; pass \\{ maxBytes \\}`,
        ),
      );
      expect(grew, name).toBeLessThan(32 * 1024 * 1024);
    }
  });

  it('a header that under-declares its data stops inflation at the declared size (trailing-bytes)', async () => {
    // Declares 16 bytes, inflates to 1 GiB: the readers stop after the first chunk that overruns.
    const liar = bomb(0x08, [16], 1024);
    const path = join(tmp, 'liar.gz');
    writeFileSync(path, liar);
    for (const [name, f] of [
      ['decodeIdx', () => decodeIdx(liar, { maxBytes: 2 * GiB })],
      ['readIdx', () => readIdx(path, { maxBytes: 2 * GiB })],
      ['readIdxSync', () => readIdxSync(path, { maxBytes: 2 * GiB })],
    ] as const) {
      const { error, grew } = await measure(f);
      expect(error?.code, name).toBe('trailing-bytes');
      expect(grew, name).toBeLessThan(32 * 1024 * 1024);
    }
  });

  it('maxBytes raises or lowers the cap; a file within it reads into one buffer of its exact size', async () => {
    // 16 MiB of int32 zeros behind a [4, 1024, 1024] header.
    const gz = bomb(0x0c, [4, 1024, 1024], 16);
    const path = join(tmp, 'sixteen.gz');
    writeFileSync(path, gz);
    const need = 16 + 16 * 1024 * 1024;
    for (const read of [
      (o: { maxBytes?: number }) => decodeIdx(gz, o),
      (o: { maxBytes?: number }) => readIdx(path, o),
      async (o: { maxBytes?: number }) => readIdxSync(path, o),
    ]) {
      await expect(read({ maxBytes: need - 1 })).rejects.toMatchObject({ code: 'too-large' });
      const a = await read({ maxBytes: need });
      expect(a.type).toBe('int32');
      expect(a.shape).toEqual([4, 1024, 1024]);
      expect(a.data.length).toBe(4 * 1024 * 1024);
      // Converted in place: the result views the inflated buffer, which holds the file and no more.
      expect(a.data.buffer.byteLength).toBeLessThanOrEqual(need + 8);
      expect(a.data[0]).toBe(0);
      expect(a.data[a.data.length - 1]).toBe(0);
    }
    expect(IDX_DEFAULT_MAX_BYTES).toBe(256 * 1024 * 1024);
  });

  it('every element type survives the in-place conversion of readIdx and decodeIdx (generated values)', async () => {
    const types: [number, number, (v: DataView, i: number, x: number) => void, number[]][] = [
      [0x08, 1, (v, i, x) => v.setUint8(i, x), [0, 1, 200, 255]],
      [0x09, 1, (v, i, x) => v.setInt8(i, x), [-128, -1, 0, 127]],
      [0x0b, 2, (v, i, x) => v.setInt16(i, x, false), [-32768, -2, 258, 32767]],
      [0x0c, 4, (v, i, x) => v.setInt32(i, x, false), [-2147483648, -1, 16909060, 2147483647]],
      [0x0d, 4, (v, i, x) => v.setFloat32(i, x, false), [-2, 1.5, 0.25, 65504]],
      [0x0e, 8, (v, i, x) => v.setFloat64(i, x, false), [0.1, -1e300, 5e-324, 3]],
    ];
    for (const [code, size, set, values] of types) {
      // 1 to 3 dims: the data starts at byte 8, 12 or 16, so both 8-byte alignments are covered.
      for (let dims = 1; dims <= 3; dims++) {
        const shape = [values.length, ...Array(dims - 1).fill(1)];
        const data = new Uint8Array(values.length * size);
        values.forEach((x, i) => {
          set(new DataView(data.buffer), i * size, x);
        });
        const raw = idxBytes(code, shape, data);
        const path = join(tmp, `t${code}-${dims}`);
        writeFileSync(path, raw);
        writeFileSync(`${path}.gz`, gzipSync(raw));
        for (const a of [
          parseIdx(raw),
          await decodeIdx(gzipSync(raw)),
          await readIdx(path),
          await readIdx(`${path}.gz`),
          readIdxSync(path),
          readIdxSync(`${path}.gz`),
        ]) {
          expect(Array.from(a.data), `type 0x${code.toString(16)}, ${dims} dims`).toEqual(values);
          expect(a.shape).toEqual(shape);
        }
      }
    }
  });

  it('dims whose byte count passes 2^53 are refused as too-large, not truncated or wrapped', async () => {
    const huge = idxBytes(0x0e, [0xffffffff, 0xffffffff], new Uint8Array(0));
    expect(() => parseIdx(huge)).toThrow(
      /shape \[4294967295, 4294967295\] of float64 would need .* bytes, more than any file can hold/,
    );
    await expect(decodeIdx(gzipSync(huge))).rejects.toMatchObject({ code: 'too-large' });
    // A zero dim makes an empty array, whatever the other dims say.
    expect(parseIdx(idxBytes(0x08, [0, 0xffffffff], new Uint8Array(0))).data.length).toBe(0);
  });

  it('a gzip stream that ends inside the header or the data is truncated, not a crash', async () => {
    const raw = idxBytes(0x08, [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    for (let cut = 0; cut < raw.length; cut++) {
      const gz = gzipSync(raw.subarray(0, cut));
      const path = join(tmp, `cut-${cut}.gz`);
      writeFileSync(path, gz);
      for (const read of [() => decodeIdx(gz), () => readIdx(path), async () => readIdxSync(path)]) {
        await expect(read(), `cut at ${cut}`).rejects.toMatchObject({ name: 'IdxError', code: 'truncated' });
      }
    }
  });
});

describe('IDX error messages stay short (found by the long fuzz run)', () => {
  it('a header of 255 ten-digit dims gives a message under 300 characters, whatever the problem', async () => {
    const r = (k: number) => (Math.imul(k + 1, 2654435761) >>> 0) | 0x80000000;
    for (const zero of [false, true]) {
      // With a zero dim the shape holds nothing and the file has trailing bytes; without, it is too large.
      const dims = Array.from({ length: 255 }, (_, k) => (zero && k === 3 ? 0 : r(k) >>> 0));
      const raw = idxBytes(0x0d, dims, Uint8Array.from([1, 2, 3]));
      for (const read of [() => parseIdx(raw), () => decodeIdx(gzipSync(raw))]) {
        let e: IdxError | undefined;
        try {
          await read();
        } catch (err) {
          e = err as IdxError;
        }
        expect(e?.code).toBe(zero ? 'trailing-bytes' : 'too-large');
        expect(e!.message).toMatch(/shape \[\d+, \d+, \d+, \d+, \d+, \d+, \d+, \d+, … \(255 dims\)\]/);
        expect(e!.message.length).toBeLessThan(300);
      }
    }
  });
});
