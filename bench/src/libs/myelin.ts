/**
 * Myelin on `@myelin/backend-cpu`, in its native (PyTorch) layouts: NCHW images and
 * [out, in, kh, kw] filters.
 */

import type { BenchLibrary } from '../cases.js';
import { firstLine } from '../load.js';
import { myelinKernels } from './myelin-common.js';

type Core = typeof import('@myelin/core');

/**
 * Load Myelin lazily, so the TF.js half still runs while Myelin's ops or CPU kernels are missing:
 * resolves to an error message instead of throwing.
 */
export async function loadMyelin(): Promise<BenchLibrary | string> {
  let core: Core;
  let cpuBackend: typeof import('@myelin/backend-cpu')['cpuBackend'];
  try {
    core = await import('@myelin/core');
    ({ cpuBackend } = await import('@myelin/backend-cpu'));
  } catch (err) {
    return `cannot load Myelin (${firstLine(err)})`;
  }
  const missing = ['use', 'tensor', 'matmul', 'conv2d', 'add', 'relu'].filter(
    (name) => typeof (core as unknown as Record<string, unknown>)[name] !== 'function',
  );
  if (typeof cpuBackend !== 'function') missing.push('cpuBackend (@myelin/backend-cpu)');
  if (missing.length > 0) return `Myelin is missing ${missing.join(', ')}`;
  await core.use(cpuBackend());

  const { matmul, conv2d, add, relu } = myelinKernels(core);
  return { name: 'myelin', matmul, conv2d, add, relu };
}
