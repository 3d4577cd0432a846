/**
 * `@myelin/backend-cpu`: Myelin's pure-TypeScript CPU backend. It implements every kernel in
 * `@myelin/core`'s contract (primitives and the fused composites); registering it with core's
 * engine is up to the caller.
 */
export { CpuBackend, cpuBackend } from './backend.js';
