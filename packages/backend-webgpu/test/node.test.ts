import { runConformance } from '@myelin/backend-testkit';
import { describe, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';
import { CONFORMANCE_SKIPS, TOLERANCE } from './skips.js';

/*
 * The whole conformance suite on Dawn (the `webgpu` package) over OpenGL on Mesa llvmpipe: the one
 * WebGPU adapter a GPU-less Linux machine has. Needs Mesa's EGL/GL drivers (Debian: libegl1,
 * libgl1-mesa-dri); without an adapter the suite is reported as skipped with the reason.
 */

let backend: WebGpuBackend | null = null;
let reason = '';
try {
  backend = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

if (backend) {
  const b = backend;
  runConformance(() => b, { skip: CONFORMANCE_SKIPS, tolerance: TOLERANCE });
} else {
  describe('webgpu conformance in Node (Dawn over OpenGL)', () => {
    it.skip(`skipped: no WebGPU adapter here (${reason})`, () => {});
  });
}
