// Local throughput check for the CPU backend's GEMM paths (not shipped; run after `pnpm build`):
//   node packages/backend-cpu/bench-local/bench.mjs
import { cpuBackend } from '../dist/index.js';

const cpu = cpuBackend();

function random(size) {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** Median seconds per call over repeated calls for about `budget` seconds (after warm-up). */
function time(fn, budget = 1.5) {
  for (let i = 0; i < 2; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budget * 1000 || samples.length < 3) {
    const t = performance.now();
    fn();
    samples.push((performance.now() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function run(kernel, inputs, attrs, outShape) {
  const infos = inputs.map(([values, shape]) => ({
    dataId: cpu.write(values, 'float32'),
    shape,
    dtype: 'float32',
  }));
  const outputs = [{ shape: outShape, dtype: 'float32' }];
  return () => {
    const [id] = cpu.kernels[kernel]({ inputs: infos, attrs, outputs });
    cpu.free(id);
  };
}

for (const n of [128, 256, 512, 1024]) {
  const attrs = { transposeA: false, transposeB: false };
  const s = time(
    run(
      'MatMul',
      [
        [random(n * n), [n, n]],
        [random(n * n), [n, n]],
      ],
      attrs,
      [n, n],
    ),
  );
  console.log(
    `matmul ${n}x${n}x${n}: ${((2 * n ** 3) / s / 1e9).toFixed(2)} GFLOP/s (${(s * 1000).toFixed(1)} ms)`,
  );
}

// conv2d: batch 32, 28×28×32 → 64 channels, 3×3, pad 1.
const [N, C, H, W, O] = [32, 32, 28, 28, 64];
const convAttrs = { stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], groups: 1 };
const flops = 2 * N * O * H * W * C * 9;
const x = [random(N * C * H * W), [N, C, H, W]];
const w = [random(O * C * 9), [O, C, 3, 3]];
const dy = [random(N * O * H * W), [N, O, H, W]];
const cases = [
  ['Conv2d', [x, w], [N, O, H, W]],
  ['Conv2dBackpropInput', [dy, w], [N, C, H, W]],
  ['Conv2dBackpropFilter', [x, dy], [O, C, 3, 3]],
];
for (const [kernel, inputs, outShape] of cases) {
  const s = time(run(kernel, inputs, convAttrs, outShape), 3);
  console.log(
    `${kernel} [32,32,28,28]*[64,32,3,3]: ${(flops / s / 1e9).toFixed(2)} GFLOP/s (${(s * 1000).toFixed(1)} ms)`,
  );
}
