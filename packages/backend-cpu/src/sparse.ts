import type { CpuKernelTable } from './kernel.js';

/** The sparse and segment kernels (SegmentReduce, SpMM, Sddmm). */
export const sparseKernels: CpuKernelTable = {};
