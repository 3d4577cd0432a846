/**
 * The IDX format of MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/ "file formats"):
 *
 *   bytes 0-1  0x00 0x00
 *   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions d
 *   then d big-endian uint32 sizes, then the elements, big-endian, row-major (last index fastest).
 *
 * Files are often gzipped (`*.gz`, magic 0x1f 0x8b). `parseIdx` reads raw bytes synchronously;
 * `decodeIdx` also un-gzips, with the platform's `DecompressionStream` (browsers, Node ≥ 18).
 * `@myelin/data/node` has `readIdx(path)`, which un-gzips with `node:zlib`.
 */

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array: element type, shape, and the elements in row-major order. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: IdxData;
}

/** Why an IDX buffer was rejected. */
export type IdxErrorCode = 'bad-magic' | 'bad-type' | 'truncated' | 'trailing-bytes' | 'gzip';

/** A malformed IDX buffer: `code` says what is wrong, the message says where. */
export class IdxError extends Error {
  override readonly name = 'IdxError';
  constructor(
    readonly code: IdxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  8: { type: 'uint8', bytes: 1 },
  9: { type: 'int8', bytes: 1 },
  11: { type: 'int16', bytes: 2 },
  12: { type: 'int32', bytes: 4 },
  13: { type: 'float32', bytes: 4 },
  14: { type: 'float64', bytes: 8 },
};

/** True when `bytes` starts with the gzip magic number 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(b: number | undefined): string {
  return b === undefined ? '--' : `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Decode raw (not gzipped) IDX bytes. uint8 data is returned as a view on `bytes` (no copy); other
 * types are converted from big-endian into a fresh typed array.
 *
 * @param options.source a name for error messages (a file path)
 * @throws IdxError on a bad magic number, an unknown type, truncated or over-long data, or gzip input
 */
export function parseIdx(bytes: Uint8Array, options: { source?: string } = {}): IdxArray {
  const src = options.source ? `${options.source}: ` : '';
  if (isGzip(bytes)) {
    throw new IdxError(
      'gzip',
      `parseIdx: ${src}the data is gzipped (magic 0x1f 0x8b); use decodeIdx(bytes) or readIdx(path) from @myelin/data/node`,
    );
  }
  if (bytes.length < 4) {
    throw new IdxError(
      'truncated',
      `parseIdx: ${src}${bytes.length} bytes is shorter than the 4-byte IDX magic number`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(
      'bad-magic',
      `parseIdx: ${src}bad magic number ${hex(bytes[0])} ${hex(bytes[1])} ${hex(bytes[2])} ${hex(bytes[3])}; an IDX file starts with 0x00 0x00 <type> <dims>`,
    );
  }
  const info = TYPES[bytes[2]!];
  if (!info) {
    throw new IdxError(
      'bad-type',
      `parseIdx: ${src}unknown element type ${hex(bytes[2])}; IDX types are 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64`,
    );
  }
  const dims = bytes[3]!;
  const header = 4 + 4 * dims;
  if (bytes.length < header) {
    throw new IdxError(
      'truncated',
      `parseIdx: ${src}truncated header: ${dims} dimensions need ${header} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < dims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  const need = header + count * info.bytes;
  if (bytes.length < need) {
    throw new IdxError(
      'truncated',
      `parseIdx: ${src}truncated data: shape [${shape.join(', ')}] of ${info.type} needs ${need} bytes, got ${bytes.length}`,
    );
  }
  if (bytes.length > need) {
    throw new IdxError(
      'trailing-bytes',
      `parseIdx: ${src}${bytes.length - need} bytes after the data of shape [${shape.join(', ')}] ${info.type} (expected ${need} bytes in all)`,
    );
  }
  return { type: info.type, shape, data: readElements(view, header, count, info.type) };
}

function readElements(view: DataView, at: number, n: number, type: IdxType): IdxData {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + at, n);
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + at, n);
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

/**
 * Decode IDX bytes, raw or gzipped (detected by the magic number). Un-gzips with the platform's
 * `DecompressionStream`, so it works in browsers too.
 *
 * @example
 * const labels = await decodeIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export async function decodeIdx(bytes: Uint8Array, options: { source?: string } = {}): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, options);
  return parseIdx(await gunzip(bytes, options.source), options);
}

async function gunzip(bytes: Uint8Array, source?: string): Promise<Uint8Array> {
  const DS = (
    globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }
  ).DecompressionStream;
  if (!DS) {
    throw new IdxError('gzip', 'decodeIdx: this platform has no DecompressionStream; un-gzip the data first');
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DS('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new IdxError(
      'gzip',
      `decodeIdx: ${source ? `${source}: ` : ''}corrupt or truncated gzip data (${(e as Error).message})`,
    );
  }
}
