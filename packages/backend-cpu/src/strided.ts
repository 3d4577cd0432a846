/*
 * Strided iteration lives in core's backend toolkit, shared with the wasm backend's host code;
 * this module re-exports it for the CPU kernels.
 */
export { broadcastStrides, copyRuns, StridedRuns } from '@myelin/core/kit';
