import type { ConformanceOptions } from '@myelin/backend-testkit';

/**
 * No conformance case is skipped on WebGPU. (The gradients of sort and topk used to be: core's
 * host-side index bounds check read the kernel-produced indices synchronously; core's gradient
 * rules now scatter through trusted indices and skip the check.)
 */
export const SYNC_READ_SKIPS: readonly string[] = [];

export const CONFORMANCE_SKIPS: readonly string[] = SYNC_READ_SKIPS;

/** Default tolerances hold on Dawn/llvmpipe and SwiftShader; nothing is widened. */
export const TOLERANCE: ConformanceOptions['tolerance'] = {};
