import { runConformance } from '@myelin/backend-testkit';
import { wasmBackend } from '../src/index.js';

// The same suite on one thread with the plain SIMD build: the module without shared memory or
// relaxed SIMD, as in a browser page that is not cross-origin isolated on an older engine.
runConformance(() => wasmBackend({ threads: 1, relaxedSimd: false }));
