/**
 * `@myelin/backend-wasm`: Myelin's WebAssembly backend — AssemblyScript kernels compiled with
 * 128-bit SIMD, split over worker threads sharing one memory where `SharedArrayBuffer` exists.
 * Importing the package registers it with core as `'wasm'` (priority 2, above the CPU backend):
 *
 * ```ts
 * import '@myelin/backend-wasm';
 * import { use } from '@myelin/core';
 * await use('wasm');
 * ```
 */
import { registerBackend } from '@myelin/core';
import { wasmBackend } from './backend.js';

registerBackend('wasm', () => wasmBackend(), { priority: 2 });

export { Allocator } from './allocator.js';
export { WasmBackend, type WasmBackendOptions, wasmBackend } from './backend.js';
export { relaxedSimdAvailable } from './runtime.js';
