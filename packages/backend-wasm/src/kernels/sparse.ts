import type { WasmKernelTable } from './kernel.js';

/** The sparse and segment kernels (SegmentReduce, SpMM, Sddmm). */
export const sparseKernels: WasmKernelTable = {};
