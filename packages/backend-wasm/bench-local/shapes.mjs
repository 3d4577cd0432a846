// GF/s of the GEMM on given shapes: node bench-local/shapes.mjs threads m,k,n[,tA,tB] ...
import { wasmBackend } from '../dist/index.js';

const threads = Number(process.argv[2]);
const b = await wasmBackend({ threads });
for (const spec of process.argv.slice(3)) {
  const [m, k, n, ta, tb] = spec.split(',').map(Number);
  const A = {
    dataId: b.write(new Float32Array(m * k).fill(0.5), 'float32'),
    shape: ta ? [k, m] : [m, k],
    dtype: 'float32',
  };
  const B = {
    dataId: b.write(new Float32Array(k * n).fill(0.25), 'float32'),
    shape: tb ? [n, k] : [k, n],
    dtype: 'float32',
  };
  const go = () =>
    b.free(
      b.kernels.MatMul({
        inputs: [A, B],
        attrs: { transposeA: !!ta, transposeB: !!tb },
        outputs: [{ shape: [m, n], dtype: 'float32' }],
      })[0],
    );
  for (let i = 0; i < 10; i++) go();
  const t = performance.now();
  let r = 0;
  while (performance.now() - t < 400) {
    go();
    r++;
  }
  const ms = (performance.now() - t) / r;
  console.log(`${spec.padEnd(16)} ${ms.toFixed(3)} ms  ${((2 * m * n * k) / ms / 1e6).toFixed(1)} GF/s`);
}
b.dispose();
