/**
 * The webgpu suite with the cases for a real GPU (`large`), as `bench/gpu/build-payload.mjs`
 * bundles it for a machine with no npm: `MYELIN_DAWN=vulkan node suite.mjs` there.
 */
import { runWebGpuBench } from '../src/libs/myelin-webgpu.js';

const minTimeMs = Number(process.env.MIN_TIME ?? 1000);
await runWebGpuBench({ minTimeMs, large: true, filter: process.env.FILTER ?? '' });
process.exit(0);
