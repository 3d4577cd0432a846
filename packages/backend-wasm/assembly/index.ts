/*
 * The kernels of @myelin/backend-wasm, compiled by `scripts/build-wasm.mjs` into two modules from
 * this one source: single-threaded (imported memory) and threaded (imported shared memory).
 * Every function works on byte addresses into the one memory; the host (src/) allocates and
 * passes pointers, so nothing here allocates. Thread jobs are `job*(args, tid, nt)`: each thread
 * reads the same args block and does its share.
 */
export { gemm, gemmScratchBytes, jobMatmul } from './gemm';
export { jobConvForward, jobConvInput, jobConvFilter, convScratchBytes } from './conv';
export { jobConvWinograd, jobConvWinogradFilter, winogradFilter, winogradFilterGrad, winogradScratchBytes } from './winograd';
export { jobMaxPool, jobAvgPool, jobMaxPoolGrad, jobAvgPoolGrad } from './pool';
export { unaryF32, unaryI32, unaryCount, predicate, binary, where, cast, addInto, jobBinary, jobUnary } from './elementwise';
export { reduceF32, f64ToF32, softmaxRows, softmaxAlong, layerNormRows } from './reduce';
export { jobRnnCell } from './rnn';
export { jobAttention } from './attention';
export { jobSparse } from './sparse';

/** First byte past the module's static data: the host's allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
