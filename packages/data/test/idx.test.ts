import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIdx, IdxError, isGzip, parseIdx } from '../src/index.js';
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
