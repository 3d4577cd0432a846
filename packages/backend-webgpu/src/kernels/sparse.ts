import type { KernelAttrs, OutputSpec, SegmentReduction, TensorInfo } from '@myelin/core';
import { bufferOf, type GpuKernel, type GpuKernelTable, header, main1d, meta, output } from '../kernel.js';
import { MATH_WGSL } from './math.wgsl.js';

/*
 * The sparse kernels of graph neural networks, all gathers: every output element is written by
 * one thread (or one workgroup) that walks its own contiguous run of entries in order, so nothing
 * needs atomics (WGSL has no float atomics) and every result is deterministic.
 *
 * - SegmentReduce: one thread per (segment, feature) folds rows offsets[s] … offsets[s+1]−1 of x
 *   (segments are contiguous, so the thread reads one strided column run; neighbouring threads
 *   read neighbouring features of the same row).
 * - SpMM: one thread per (row, feature) folds values[k]·x[colIdx[k], f] over the row's entries.
 *   When rows are long on average (≥ 64 entries) and F is small, a workgroup per (row, feature)
 *   splits the entries over 64 threads and halves the partials in shared memory instead, so a
 *   row of a million entries is not one thread's serial loop.
 * - Sddmm: one thread per entry loops over F; for F ≥ 256 a workgroup per entry splits F over 64
 *   threads and halves the partials.
 *
 * Entry loops run UNROLL entries per iteration (see `entries`: llvmpipe's loop cap). Offsets are
 * clamped into [0, E] in the shader (core validates them on the host; the clamp only
 * keeps a bad offset from reading past a buffer).
 */

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Entries per row on average above which SpMM uses a workgroup per (row, feature). */
const LONG_ROW = 64;
/** Features from which Sddmm uses a workgroup per entry. */
const WIDE_SDDMM = 256;
/** The largest F for which the workgroup-per-row SpMM is used (beyond it, F threads suffice). */
const NARROW_SPMM = 16;

function fail(kernel: string, message: string): never {
  throw new RangeError(`${kernel}: ${message}`);
}

function checkDType(kernel: string, name: string, t: TensorInfo, dtype: 'float32' | 'int32'): void {
  if (t.dtype !== dtype) throw new TypeError(`${kernel}: ${name} must be ${dtype}, got ${t.dtype}`);
}

function checkOutput(kernel: string, spec: OutputSpec | undefined, want: readonly number[]): OutputSpec {
  if (!spec || spec.shape.join(',') !== want.join(',')) {
    fail(kernel, `the output spec has shape ${spec ? fmt(spec.shape) : 'none'}; expected ${fmt(want)}`);
  }
  return spec;
}

/** Entries per iteration of an unrolled entry loop. */
const UNROLL = 8;

/**
 * WGSL running `body` for `v` = lo … hi−1 in order, UNROLL entries per loop iteration. Mesa's
 * llvmpipe (the adapter of GPU-less machines) ends all loops of an invocation after 65,535
 * iterations in total, which would silently truncate a segment of more entries; unrolled, a
 * segment may hold half a million.
 */
function entries(v: string, lo: string, hi: string, body: string): string {
  const steps: string[] = [];
  for (let u = 0; u < UNROLL; u++) {
    steps.push(`{ let ${v} = ${v}0 + ${u}; if (${v} < ${hi}) { ${body} } }`);
  }
  return `for (var ${v}0 = ${lo}; ${v}0 < ${hi}; ${v}0 += ${UNROLL}) {
    ${steps.join('\n    ')}
  }`;
}

/** [identity, fold(acc, v)] of a segment reduction; NaN propagates through max and min. */
function fold(reduce: SegmentReduction): [string, string] {
  switch (reduce) {
    case 'sum':
    case 'mean':
      return ['0.0', 'acc + v'];
    case 'max':
      return ['-inf_()', 'maximum_(acc, v)'];
    case 'min':
      return ['inf_()', 'minimum_(acc, v)'];
  }
}

/** params: [S·F, F, E]; x (E, F), offsets (S+1) → out (S, F). */
function segmentSource(reduce: SegmentReduction): string {
  const [ident, step] = fold(reduce);
  const finish = reduce === 'mean' ? 'acc / f32(hi - lo)' : 'acc';
  return `${MATH_WGSL}
${header([
  ['xs', 'f32'],
  ['offsets', 'i32'],
  ['out', 'f32'],
])}
${main1d(`  let F = params[1];
  let E = params[2];
  let s = i / F;
  let f = i - s * F;
  let lo = clamp(offsets[s], 0, E);
  let hi = clamp(offsets[s + 1], lo, E);
  var acc = ${ident};
  ${entries('e', 'lo', 'hi', `let v = xs[e * F + f]; acc = ${step};`)}
  out[i] = select(0.0, ${finish}, hi > lo);`)}`;
}

const segmentReduce: GpuKernel<KernelAttrs['SegmentReduce']> = (rt, { inputs, attrs, outputs }) => {
  const K = 'SegmentReduce';
  const [x, offsets] = inputs as [TensorInfo, TensorInfo];
  checkDType(K, 'x', x, 'float32');
  checkDType(K, 'offsets', offsets, 'int32');
  if (x.shape.length < 1) fail(K, `x must have at least one dim (E, …F), got shape ${fmt(x.shape)}`);
  if (offsets.shape.length !== 1 || offsets.shape[0]! < 1) {
    fail(K, `offsets must be 1-D with S+1 ≥ 1 entries, got shape ${fmt(offsets.shape)}`);
  }
  if (!['sum', 'mean', 'max', 'min'].includes(attrs.reduce)) {
    fail(K, `reduce must be 'sum', 'mean', 'max' or 'min', got '${attrs.reduce}'`);
  }
  const S = offsets.shape[0]! - 1;
  const F = size(x.shape.slice(1));
  const spec = checkOutput(K, outputs[0], [S, ...x.shape.slice(1)]);
  const out = output(rt, spec);
  if (S * F > 0) {
    rt.dispatch(
      segmentSource(attrs.reduce),
      meta([S * F, F, x.shape[0]!]),
      [bufferOf(x), bufferOf(offsets), out.buffer as GPUBuffer],
      S * F,
    );
  }
  return [out];
};

/** A workgroup per output element: `setup` sets `lo`, `hi`; each thread folds `term(k)` for k ≡ t (mod 64). */
function treeSource(arrays: [string, string][], setup: string, term: string): string {
  return `${header(arrays)}
var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let valid = o < params[0];
  var acc = 0.0;
  if (valid) {
${setup}
    for (var k = lo + i32(t); k < hi; k += 64) { acc += ${term}; }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h >> 1u) {
    if (t < h) { part[t] = part[t] + part[t + h]; }
    workgroupBarrier();
  }
  if (valid && t == 0u) { out[o] = part[0]; }
}`;
}

/** One workgroup per output element, over two grid dims when above 65,535. */
function groupsFor(n: number): [number, number, number] {
  const gx = Math.min(n, 65535);
  return [gx, Math.ceil(n / gx), 1];
}

const spmm: GpuKernel<KernelAttrs['SpMM']> = (rt, { inputs, outputs }) => {
  const K = 'SpMM';
  const [rowPtr, colIdx, values, x] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  checkDType(K, 'rowPtr', rowPtr, 'int32');
  checkDType(K, 'colIdx', colIdx, 'int32');
  checkDType(K, 'values', values, 'float32');
  checkDType(K, 'x', x, 'float32');
  if (rowPtr.shape.length !== 1 || rowPtr.shape[0]! < 1) {
    fail(K, `rowPtr must be 1-D with R+1 ≥ 1 entries, got shape ${fmt(rowPtr.shape)}`);
  }
  if (colIdx.shape.length !== 1 || values.shape.join(',') !== colIdx.shape.join(',')) {
    fail(K, `colIdx and values must both be (nnz), got ${fmt(colIdx.shape)} and ${fmt(values.shape)}`);
  }
  if (x.shape.length !== 2) fail(K, `x must be 2-D (C, F), got shape ${fmt(x.shape)}`);
  const R = rowPtr.shape[0]! - 1;
  const nnz = colIdx.shape[0]!;
  const F = x.shape[1]!;
  const out = output(rt, checkOutput(K, outputs[0], [R, F]));
  const n = R * F;
  if (n === 0) return [out];
  const buffers = [
    bufferOf(rowPtr),
    bufferOf(colIdx),
    bufferOf(values),
    bufferOf(x),
    out.buffer as GPUBuffer,
  ];
  const arrays: [string, string][] = [
    ['rowPtr', 'i32'],
    ['colIdx', 'i32'],
    ['vals', 'f32'],
    ['xs', 'f32'],
    ['out', 'f32'],
  ];
  const words = meta([n, F, nnz]);
  if (nnz >= LONG_ROW * R && F <= NARROW_SPMM) {
    const setup = `    let F = params[1];
    let r = o / F;
    let f = o - r * F;
    let lo = clamp(rowPtr[r], 0, params[2]);
    let hi = clamp(rowPtr[r + 1], lo, params[2]);`;
    rt.dispatch(treeSource(arrays, setup, 'vals[k] * xs[colIdx[k] * F + f]'), words, buffers, groupsFor(n));
    return [out];
  }
  const source = `${header(arrays)}
${main1d(`  let F = params[1];
  let r = i / F;
  let f = i - r * F;
  let lo = clamp(rowPtr[r], 0, params[2]);
  let hi = clamp(rowPtr[r + 1], lo, params[2]);
  var acc = 0.0;
  ${entries('k', 'lo', 'hi', 'acc += vals[k] * xs[colIdx[k] * F + f];')}
  out[i] = acc;`)}`;
  rt.dispatch(source, words, buffers, n);
  return [out];
};

const sddmm: GpuKernel<KernelAttrs['Sddmm']> = (rt, { inputs, outputs }) => {
  const K = 'Sddmm';
  const [rows, cols, a, b] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  checkDType(K, 'rows', rows, 'int32');
  checkDType(K, 'cols', cols, 'int32');
  checkDType(K, 'a', a, 'float32');
  checkDType(K, 'b', b, 'float32');
  if (rows.shape.length !== 1 || rows.shape.join(',') !== cols.shape.join(',')) {
    fail(K, `rows and cols must both be (nnz), got ${fmt(rows.shape)} and ${fmt(cols.shape)}`);
  }
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[1]) {
    fail(K, `a and b must be (R, F) and (C, F) with the same F, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const nnz = rows.shape[0]!;
  const F = a.shape[1]!;
  const out = output(rt, checkOutput(K, outputs[0], [nnz]));
  if (nnz === 0) return [out];
  const buffers = [bufferOf(rows), bufferOf(cols), bufferOf(a), bufferOf(b), out.buffer as GPUBuffer];
  const arrays: [string, string][] = [
    ['rows', 'i32'],
    ['cols', 'i32'],
    ['av', 'f32'],
    ['bs', 'f32'],
    ['out', 'f32'],
  ];
  const words = meta([nnz, F]);
  if (F >= WIDE_SDDMM) {
    const setup = `    let F = params[1];
    let ra = rows[o] * F;
    let cb = cols[o] * F;
    let lo = 0;
    let hi = F;`;
    rt.dispatch(treeSource(arrays, setup, 'av[ra + k] * bs[cb + k]'), words, buffers, groupsFor(nnz));
    return [out];
  }
  const source = `${header(arrays)}
${main1d(`  let F = params[1];
  let ra = rows[i] * F;
  let cb = cols[i] * F;
  var acc = 0.0;
  ${entries('f', '0', 'F', 'acc += av[ra + f] * bs[cb + f];')}
  out[i] = acc;`)}`;
  rt.dispatch(source, words, buffers, nnz);
  return [out];
};

/** The sparse and segment kernels (SegmentReduce, SpMM, Sddmm). */
export const sparseKernels: GpuKernelTable = {
  SegmentReduce: segmentReduce,
  SpMM: spmm,
  Sddmm: sddmm,
};

/** Exposed for tests: which SpMM / Sddmm variant a shape gets. */
export const SPARSE_THRESHOLDS = { LONG_ROW, WIDE_SDDMM, NARROW_SPMM } as const;
