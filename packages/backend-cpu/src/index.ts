/**
 * `@myelin/backend-cpu`: Myelin's pure-TypeScript CPU backend. It implements every kernel in
 * `@myelin/core`'s contract (primitives and the fused composites). Importing the package registers
 * it with core as 'cpu' (the lowest priority: every other backend is preferred when present), so
 * `await use('cpu')` works; `await use(cpuBackend())` picks an instance explicitly.
 */
import { registerBackend } from '@myelin/core';
import { cpuBackend } from './backend.js';

registerBackend('cpu', () => cpuBackend(), { priority: 1 });

export { CpuBackend, cpuBackend } from './backend.js';
