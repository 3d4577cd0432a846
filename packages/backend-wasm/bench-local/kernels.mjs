// Quick kernel timings on the built package: node bench-local/kernels.mjs [threads...]
import { wasmBackend } from '../dist/index.js';

function time(fn, minMs = 300) {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs || n < 3) {
    fn();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

const threadsList = process.argv.slice(2).map(Number);
for (const threads of threadsList.length ? threadsList : [1, 2]) {
  const b = await wasmBackend({ threads });
  const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const line = [];
  for (const n of [128, 256, 512, 1024]) {
    const a = { dataId: b.write(rand(n * n), 'float32'), shape: [n, n], dtype: 'float32' };
    const c = { dataId: b.write(rand(n * n), 'float32'), shape: [n, n], dtype: 'float32' };
    const ms = time(() =>
      b.free(
        b.kernels.MatMul({
          inputs: [a, c],
          attrs: { transposeA: false, transposeB: false },
          outputs: [{ shape: [n, n], dtype: 'float32' }],
        })[0],
      ),
    );
    line.push(`mm${n} ${((2 * n ** 3) / ms / 1e6).toFixed(1)} GF/s`);
  }
  const conv = (xs, ws, ys, stride, pad) => {
    const x = { dataId: b.write(rand(xs.reduce((p, q) => p * q)), 'float32'), shape: xs, dtype: 'float32' };
    const w = { dataId: b.write(rand(ws.reduce((p, q) => p * q)), 'float32'), shape: ws, dtype: 'float32' };
    const attrs = { stride: [stride, stride], pad: [pad, pad, pad, pad], dilation: [1, 1], groups: 1 };
    const ms = time(() =>
      b.free(b.kernels.Conv2d({ inputs: [x, w], attrs, outputs: [{ shape: ys, dtype: 'float32' }] })[0]),
    );
    const flops = 2 * ys.reduce((p, q) => p * q) * ws[1] * ws[2] * ws[3];
    return `${ms.toFixed(2)} ms ${(flops / ms / 1e6).toFixed(1)} GF/s`;
  };
  line.push(`conv32x28x28x32->64 ${conv([32, 32, 28, 28], [64, 32, 3, 3], [32, 64, 28, 28], 1, 1)}`);
  line.push(`conv224x3->64 7x7s2 ${conv([1, 3, 224, 224], [64, 3, 7, 7], [1, 64, 112, 112], 2, 3)}`);
  const x = { dataId: b.write(rand(1 << 20), 'float32'), shape: [1 << 20], dtype: 'float32' };
  const y = { dataId: b.write(rand(1 << 20), 'float32'), shape: [1 << 20], dtype: 'float32' };
  for (const op of ['Add', 'Mul']) {
    const ms = time(() =>
      b.free(
        b.kernels[op]({ inputs: [x, y], attrs: {}, outputs: [{ shape: [1 << 20], dtype: 'float32' }] })[0],
      ),
    );
    line.push(`${op} 2^20 ${(ms * 1000).toFixed(0)} us`);
  }
  for (const op of ['Relu', 'Exp', 'Sigmoid', 'Tanh']) {
    const ms = time(() =>
      b.free(b.kernels[op]({ inputs: [x], attrs: {}, outputs: [{ shape: [1 << 20], dtype: 'float32' }] })[0]),
    );
    line.push(`${op} 2^20 ${(ms * 1000).toFixed(0)} us`);
  }
  console.log(`threads=${threads}\n  ${line.join('\n  ')}`);
  b.dispose();
}
