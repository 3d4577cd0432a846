import { runConformance } from '@myelin/backend-testkit';
import { wasmBackend } from '../src/index.js';

// The whole suite (PyTorch 1.13 golden fixtures, edge cases, operand layouts, finite differences,
// leak checks) on the threaded backend: two threads, so the split kernels run in the workers, and
// the relaxed-SIMD build (fused multiply-adds; vitest.config.ts enables it in Node 20).
runConformance(() => wasmBackend({ threads: 2, relaxedSimd: true }));
