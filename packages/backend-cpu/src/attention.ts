import type { CpuKernelTable } from './kernel.js';

/** Fused scaled dot-product attention (Attention, AttentionGrad). */
export const attentionKernels: CpuKernelTable = {};
