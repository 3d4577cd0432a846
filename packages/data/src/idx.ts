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
 * `@myelin/data/node` has `readIdx(path)`, which un-gzips with `node:zlib`. Gzipped input is
 * untrusted input: the readers inflate into one buffer of the size the header declares, refuse a
 * header over `maxBytes` (default 256 MiB) before inflating, and stop as soon as the data runs past
 * the declared size, so a gzip bomb costs at most the smaller of the two.
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
export type IdxErrorCode = 'bad-magic' | 'bad-type' | 'truncated' | 'trailing-bytes' | 'gzip' | 'too-large';

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

/**
 * The default cap on the size of a gzipped IDX file once inflated: 256 MiB. Fashion-MNIST's
 * training images, the largest of the usual IDX files, are 47 MB; the cap stops a small gzip
 * bomb (1 MB that inflates to 1 GiB) before it is inflated. Raise it with `maxBytes`.
 */
export const IDX_DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Options of the IDX readers. */
export interface IdxOptions {
  /** A name for error messages (a file path). */
  source?: string;
  /**
   * The most bytes a gzipped file may inflate to (default `IDX_DEFAULT_MAX_BYTES`, 256 MiB). A
   * file whose header declares more is refused before it is inflated, with code `too-large`.
   */
  maxBytes?: number;
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

/** A shape for messages: up to 8 dims, then a count (a header may hold 255 dims of 10 digits). */
function shapeText(shape: readonly number[]): string {
  if (shape.length <= 8) return `[${shape.join(', ')}]`;
  return `[${shape.slice(0, 8).join(', ')}, … (${shape.length} dims)]`;
}

function hex(b: number | undefined): string {
  return b === undefined ? '--' : `0x${b.toString(16).padStart(2, '0')}`;
}

/** What the header says: element type, shape, and the header's and the whole file's byte counts. */
interface IdxHeader {
  type: IdxType;
  elementBytes: number;
  shape: number[];
  count: number;
  headerBytes: number;
  totalBytes: number;
}

/**
 * Read the header at the start of `bytes`, or return null when more bytes are needed to finish
 * it (a stream that has not delivered them yet). `prefix` starts each message (`parseIdx: x.idx: `).
 */
function readHeader(bytes: Uint8Array, prefix: string, complete: boolean): IdxHeader | null {
  if (bytes.length < 4) {
    if (!complete) return null;
    throw new IdxError(
      'truncated',
      `${prefix}${bytes.length} bytes is shorter than the 4-byte IDX magic number`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(
      'bad-magic',
      `${prefix}bad magic number ${hex(bytes[0])} ${hex(bytes[1])} ${hex(bytes[2])} ${hex(bytes[3])}; an IDX file starts with 0x00 0x00 <type> <dims>`,
    );
  }
  const info = TYPES[bytes[2]!];
  if (!info) {
    throw new IdxError(
      'bad-type',
      `${prefix}unknown element type ${hex(bytes[2])}; IDX types are 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64`,
    );
  }
  const dims = bytes[3]!;
  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) {
    if (!complete) return null;
    throw new IdxError(
      'truncated',
      `${prefix}truncated header: ${dims} dimensions need ${headerBytes} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < dims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  const totalBytes = headerBytes + count * info.bytes;
  // Up to 255 dims of up to 2^32 - 1: the product can pass 2^53, where byte counts stop being exact.
  if (!Number.isSafeInteger(totalBytes)) {
    throw new IdxError(
      'too-large',
      `${prefix}shape ${shapeText(shape)} of ${info.type} would need ${totalBytes} bytes, more than any file can hold (2^53)`,
    );
  }
  return { type: info.type, elementBytes: info.bytes, shape, count, headerBytes, totalBytes };
}

function checkLength(h: IdxHeader, length: number, prefix: string): void {
  if (length < h.totalBytes) {
    throw new IdxError(
      'truncated',
      `${prefix}truncated data: shape ${shapeText(h.shape)} of ${h.type} needs ${h.totalBytes} bytes, got ${length}`,
    );
  }
  if (length > h.totalBytes) {
    throw new IdxError(
      'trailing-bytes',
      `${prefix}${length - h.totalBytes} bytes after the data of shape ${shapeText(h.shape)} ${h.type} (expected ${h.totalBytes} bytes in all)`,
    );
  }
}

function prefixOf(op: string, source: string | undefined): string {
  return `${op}: ${source ? `${source}: ` : ''}`;
}

/**
 * Decode raw (not gzipped) IDX bytes. uint8 data is returned as a view on `bytes` (no copy); other
 * types are converted from big-endian into a fresh typed array.
 *
 * @param options.source a name for error messages (a file path)
 * @throws IdxError on a bad magic number, an unknown type, truncated or over-long data, dims whose
 *   product passes 2^53 bytes, or gzip input
 */
export function parseIdx(bytes: Uint8Array, options: { source?: string } = {}): IdxArray {
  const prefix = prefixOf('parseIdx', options.source);
  if (isGzip(bytes)) {
    throw new IdxError(
      'gzip',
      `${prefix}the data is gzipped (magic 0x1f 0x8b); use decodeIdx(bytes) or readIdx(path) from @myelin/data/node`,
    );
  }
  const h = readHeader(bytes, prefix, true)!;
  checkLength(h, bytes.length, prefix);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: h.type, shape: h.shape, data: readElements(view, h.headerBytes, h.count, h.type) };
}

/**
 * `parseIdx` for bytes the caller owns and gives up (a buffer just read or inflated): multi-byte
 * elements are byte-swapped in place and viewed, not copied, when they are aligned, so the file
 * is held once. @internal
 */
export function parseOwnedIdx(bytes: Uint8Array, op: string, source?: string): IdxArray {
  const prefix = prefixOf(op, source);
  const h = readHeader(bytes, prefix, true)!;
  checkLength(h, bytes.length, prefix);
  const at = bytes.byteOffset + h.headerBytes;
  if (h.elementBytes === 1 || at % h.elementBytes !== 0 || !HOST_IS_LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { type: h.type, shape: h.shape, data: readElements(view, h.headerBytes, h.count, h.type) };
  }
  const raw = new Uint8Array(bytes.buffer, at, h.count * h.elementBytes);
  const w = h.elementBytes;
  for (let i = 0; i < raw.length; i += w) {
    for (let a = i, b = i + w - 1; a < b; a++, b--) {
      const t = raw[a]!;
      raw[a] = raw[b]!;
      raw[b] = t;
    }
  }
  const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[
    h.type as 'int16' | 'int32' | 'float32' | 'float64'
  ];
  return { type: h.type, shape: h.shape, data: new Ctor(bytes.buffer as ArrayBuffer, at, h.count) };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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

/** `maxBytes` checked: a positive integer, or the default. */
export function maxBytesOf(options: IdxOptions, op: string): number {
  const m = options.maxBytes ?? IDX_DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(m) || m < 4) {
    throw new RangeError(`${op}: maxBytes must be an integer of at least 4, got ${m}`);
  }
  return m;
}

/**
 * Collect an inflating stream into one buffer of exactly the size the IDX header declares,
 * refusing, as soon as it is known, a header that declares more than `maxBytes` and a stream that
 * runs past the declared size (so a gzip bomb costs at most `min(maxBytes, declared size)` plus a
 * chunk). The data section is 8-byte aligned in the buffer, so `parseOwnedIdx` can convert in
 * place. Errors of the stream itself surface as the `gzip` errors `chunks` throws. @internal
 */
export async function collectIdx(
  chunks: AsyncIterable<Uint8Array>,
  op: string,
  options: IdxOptions,
): Promise<Uint8Array> {
  const prefix = prefixOf(op, options.source);
  const maxBytes = maxBytesOf(options, op);
  let head = new Uint8Array(0);
  let out: Uint8Array | null = null;
  let written = 0;
  let h: IdxHeader | null = null;
  for await (const chunk of chunks) {
    if (!out) {
      // The header is at most 4 + 4 * 255 bytes: gather it before sizing the buffer.
      const more = new Uint8Array(head.length + chunk.length);
      more.set(head);
      more.set(chunk, head.length);
      head = more;
      h = readHeader(head.subarray(0, 1024), prefix, false);
      if (!h) continue;
      if (h.totalBytes > maxBytes) throw tooLarge(h, maxBytes, prefix);
      const pad = (8 - (h.headerBytes % 8)) % 8;
      out = new Uint8Array(new ArrayBuffer(pad + h.totalBytes), pad, h.totalBytes);
      const first = head;
      head = new Uint8Array(0);
      if (first.length > h.totalBytes) throw overrun(h, prefix);
      out.set(first);
      written = first.length;
      continue;
    }
    if (written + chunk.length > h!.totalBytes) throw overrun(h!, prefix);
    out.set(chunk, written);
    written += chunk.length;
  }
  if (!out) {
    readHeader(head, prefix, true); // throws: the stream ended inside the header
    throw new IdxError('truncated', `${prefix}the stream ended inside the header`);
  }
  checkLength(h!, written, prefix);
  return out;
}

/**
 * The file size the header at the start of `start` (a prefix of the inflated data) declares, or
 * null when `start` ends inside the header; a header over `maxBytes` throws `too-large`. @internal
 */
export function collectIdxHeader(
  start: Uint8Array,
  op: string,
  source: string,
  maxBytes: number,
): number | null {
  const prefix = prefixOf(op, source);
  const h = readHeader(start, prefix, false);
  if (h && h.totalBytes > maxBytes) throw tooLarge(h, maxBytes, prefix);
  return h ? h.totalBytes : null;
}

function tooLarge(h: IdxHeader, maxBytes: number, prefix: string): IdxError {
  return new IdxError(
    'too-large',
    `${prefix}the header declares shape ${shapeText(h.shape)} of ${h.type}, ${h.totalBytes} bytes once inflated, over the ${maxBytes}-byte limit; pass { maxBytes } to read a file this large`,
  );
}

function overrun(h: IdxHeader, prefix: string): IdxError {
  return new IdxError(
    'trailing-bytes',
    `${prefix}the data inflates past the ${h.totalBytes} bytes that shape ${shapeText(h.shape)} of ${h.type} needs`,
  );
}

/**
 * Decode IDX bytes, raw or gzipped (detected by the magic number). Un-gzips with the platform's
 * `DecompressionStream`, so it works in browsers too, streaming into one buffer of the size the
 * header declares: a header over `maxBytes` (default 256 MiB) or data that inflates past its
 * header's size is refused without inflating the rest.
 *
 * @example
 * const labels = await decodeIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export async function decodeIdx(bytes: Uint8Array, options: IdxOptions = {}): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, options);
  const DS = (
    globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }
  ).DecompressionStream;
  if (!DS) {
    throw new IdxError('gzip', 'decodeIdx: this platform has no DecompressionStream; un-gzip the data first');
  }
  maxBytesOf(options, 'decodeIdx');
  const prefix = prefixOf('decodeIdx', options.source);
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DS('gzip'))
    .getReader();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          throw new IdxError('gzip', `${prefix}corrupt or truncated gzip data (${(e as Error).message})`);
        }
        if (r.done) return;
        yield r.value;
      }
    } finally {
      // Stops inflating when the reader gives up early (a refused header, an overrun).
      reader.cancel().catch(() => {});
    }
  }
  return parseOwnedIdx(await collectIdx(chunks(), 'decodeIdx', options), 'decodeIdx', options.source);
}
