/**
 * `@myelin/backend-webgpu`: Myelin's WebGPU backend. Every kernel of core's contract is a WGSL
 * compute shader; storage is pooled GPU buffers; dispatches are batched into command buffers and
 * `await t.data()` is the sync point. Importing the package registers it with core as 'webgpu'
 * (priority 3: preferred over wasm and cpu when a GPU adapter exists), so `await use('webgpu')`
 * works; `await use(webgpuBackend())` picks an instance explicitly.
 *
 * Node needs the optional peer dependency `webgpu` (Dawn).
 */
import { registerBackend } from '@myelin/core';
import { webgpuBackend } from './backend.js';

registerBackend('webgpu', () => webgpuBackend(), { priority: 3 });

export { WebGpuBackend, webgpuBackend } from './backend.js';
export type { WebGpuOptions } from './device.js';
