/*
 * Strided iteration lives in core's backend toolkit, shared with the CPU backend; this module
 * re-exports it for the wasm host code (`mergeDims` feeds the wasm odometer loops).
 */
export { aroundAxis, broadcastStrides, mergeDims, StridedRuns } from '@myelin/core/kit';
