/**
 * Myelin on `@myelin/backend-cpu`, in its native (PyTorch) layouts: NCHW images and
 * [out, in, kh, kw] filters.
 */

import type { BenchLibrary, Prepared } from '../cases.js';

type Core = typeof import('@myelin/core');
type Tensor = ReturnType<Core['tensor']>;

/** One op over fixed inputs: `await data()` inside the timed run, so lazy work is counted. */
function prepared(op: () => Tensor, inputs: Tensor[]): Prepared {
  return {
    async run() {
      const y = op();
      await y.data();
      y.dispose();
    },
    async result() {
      const y = op();
      const v = Float32Array.from(await y.data());
      y.dispose();
      return v;
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

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
    return `cannot load Myelin (${(err as Error).message.split('\n')[0]})`;
  }
  const missing = ['use', 'tensor', 'matmul', 'conv2d', 'add', 'relu'].filter(
    (name) => typeof (core as unknown as Record<string, unknown>)[name] !== 'function',
  );
  if (typeof cpuBackend !== 'function') missing.push('cpuBackend (@myelin/backend-cpu)');
  if (missing.length > 0) return `Myelin is missing ${missing.join(', ')}`;
  await core.use(cpuBackend());

  return {
    name: 'myelin',
    matmul(a, b, n) {
      const ta = core.tensor(a, { shape: [n, n] });
      const tb = core.tensor(b, { shape: [n, n] });
      return prepared(() => core.matmul(ta, tb), [ta, tb]);
    },
    conv2d(x, w, d) {
      const tx = core.tensor(x, { shape: [d.batch, d.inChannels, d.height, d.width] });
      const tw = core.tensor(w, { shape: [d.outChannels, d.inChannels, d.kernel, d.kernel] });
      return prepared(() => core.conv2d(tx, tw, { padding: 'same' }), [tx, tw]);
    },
    add(a, b) {
      const ta = core.tensor(a);
      const tb = core.tensor(b);
      return prepared(() => core.add(ta, tb), [ta, tb]);
    },
    relu(a) {
      const ta = core.tensor(a);
      return prepared(() => core.relu(ta), [ta]);
    },
  };
}
