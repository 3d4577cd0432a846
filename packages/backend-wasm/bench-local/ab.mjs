// Interleaved A/B of two builds of this package on the GEMM and convolution kernels:
//   cp -r dist bench-local/.out/a   (before)   …change, pnpm build…   cp -r dist bench-local/.out/b
//   node bench-local/ab.mjs bench-local/.out/a bench-local/.out/b [filter]     (THREADS=1 default)
// Both builds run in one process, alternating call by call. With THREADS=1 it times the process's
// CPU time per call, not the wall clock, so other jobs on a shared machine barely move it (an A/A
// run agrees to ~1%); with THREADS=2 it times the wall clock (and swings with the machine's load).
// Prints best and median GFLOP/s of each build and the ratio of their best times (> 1: b faster).
import { resolve } from 'node:path';

const [dirA, dirB, filter = ''] = process.argv.slice(2);
const threads = Number(process.env.THREADS ?? 1);
const libs = [];
for (const dir of [dirA, dirB]) {
  const { wasmBackend } = await import(`${resolve(dir)}/index.js`);
  libs.push(await wasmBackend({ threads }));
}
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const tensor = (b, shape) => ({
  dataId: b.write(rand(shape.reduce((p, q) => p * q, 1)), 'float32'),
  shape,
  dtype: 'float32',
});

const cases = [];
for (const [m, k, n, ta, tb] of [
  [512, 512, 512],
  [1024, 1024, 1024],
  [128, 784, 256],
  [784, 128, 256, 1, 0],
  [128, 256, 784, 0, 1],
]) {
  cases.push({
    name: `matmul ${m}×${k}×${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`,
    flops: 2 * m * n * k,
    make: (b) => {
      const A = tensor(b, ta ? [k, m] : [m, k]);
      const B = tensor(b, tb ? [n, k] : [k, n]);
      const attrs = { transposeA: !!ta, transposeB: !!tb };
      const outputs = [{ shape: [m, n], dtype: 'float32' }];
      return () => b.free(b.kernels.MatMul({ inputs: [A, B], attrs, outputs })[0]);
    },
  });
}
const convs = [
  ['3×3', [32, 32, 28, 28], [64, 32, 3, 3], [32, 64, 28, 28], 1, 1],
  ['7×7 s2', [1, 3, 224, 224], [64, 3, 7, 7], [1, 64, 112, 112], 2, 3],
];
for (const [label, xs, ws, ys, stride, pad] of convs) {
  const attrs = { stride: [stride, stride], pad: [pad, pad, pad, pad], dilation: [1, 1], groups: 1 };
  const flops = 2 * ys.reduce((p, q) => p * q) * ws[1] * ws[2] * ws[3];
  const kinds = [
    ['Conv2d', xs, ws, ys],
    ['Conv2dBackpropInput', ys, ws, xs],
    ['Conv2dBackpropFilter', xs, ys, ws],
  ];
  for (const [kernel, s0, s1, out] of kinds) {
    cases.push({
      name: `${kernel} ${label}`,
      flops,
      make: (b) => {
        const inputs = [tensor(b, s0), tensor(b, s1)];
        const outputs = [{ shape: out, dtype: 'float32' }];
        return () => b.free(b.kernels[kernel]({ inputs, attrs, outputs })[0]);
      },
    });
  }
}

function clock() {
  if (threads > 1) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

console.log(`${dirA} vs ${dirB}, ${threads} thread(s), ${threads > 1 ? 'wall clock' : 'CPU time'}`);
for (const c of cases.filter((x) => x.name.includes(filter))) {
  const fns = libs.map((b) => c.make(b));
  for (const f of fns) for (let i = 0; i < 2; i++) f();
  const times = [[], []];
  const start = performance.now();
  while (performance.now() - start < 800 || times[0].length < 6) {
    for (let j = 0; j < 2; j++) {
      const t = clock();
      fns[j]();
      times[j].push(clock() - t);
    }
  }
  const stats = times.map((ts) => {
    ts.sort((x, y) => x - y);
    return { best: ts[0], median: ts[ts.length >> 1] };
  });
  const gf = (ms) => (c.flops / ms / 1e6).toFixed(1).padStart(6);
  const cells = stats.map((s) => `best ${gf(s.best)} median ${gf(s.median)}`);
  console.log(`${c.name.padEnd(30)} ${cells.join('  |  ')}  ×${(stats[0].best / stats[1].best).toFixed(2)}`);
}
for (const b of libs) b.dispose();
process.exit(0);
