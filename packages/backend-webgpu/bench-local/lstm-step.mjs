// One LSTM training step on the built package: forward and backward through time of one layer
// (input 64, hidden 128, sequence 32, batch 32: the shape of issue #10's bench row), on webgpu with
// the fused cell kernels, on webgpu without them (core's decomposition into small ops), and on
// the cpu backend. Prints the median wall time of a step and the GPU dispatches per step.
//   cd packages/backend-webgpu && npx tsup && node bench-local/lstm-step.mjs [reps]
// On Mesa llvmpipe (the software adapter of a GPU-less machine) the times say nothing about a GPU;
// the dispatch counts are the same on any adapter.
import { cpuBackend } from '@myelin/backend-cpu';
import * as m from '@myelin/core';
import { webgpuBackend } from '../dist/index.js';

const reps = Number(process.argv[2] ?? 5);
const [input, hidden, seq, batch] = [64, 128, 32, 32];

async function timeStep(backend) {
  await m.use(backend);
  const k = 1 / Math.sqrt(hidden);
  const u = (shape, seed) =>
    m
      .rand(shape, { seed })
      .mul(2 * k)
      .sub(k);
  const params = m.keep([
    u([4 * hidden, input], 1),
    u([4 * hidden, hidden], 2),
    u([4 * hidden], 3),
    u([4 * hidden], 4),
  ]);
  const x = m.keep(m.randn([seq, batch, input], { seed: 5 }));
  const loss = (wIh, wHh, bIh, bHh) => {
    // all time steps' input gates in one matmul, then one matmul and one cell per step
    const gx = x
      .reshape([seq * batch, input])
      .matmul(wIh, { transposeB: true })
      .add(bIh)
      .reshape([seq, batch, 4 * hidden]);
    let h = m.zeros([batch, hidden]);
    let c = m.zeros([batch, hidden]);
    for (let t = 0; t < seq; t++) {
      const g = m
        .slice(gx, [t, t + 1])
        .reshape([batch, 4 * hidden])
        .add(h.matmul(wHh, { transposeB: true }).add(bHh));
      [h, c] = m.lstmCell(g, c);
    }
    return h.square().mean();
  };
  const step = async () => {
    const grads = m.scope(() => m.grad(loss, [0, 1, 2, 3])(...params));
    await Promise.all(grads.map((g) => g.data()));
    for (const g of grads) g.dispose();
  };
  await step(); // warm-up: pipelines compiled, buffers pooled
  const times = [];
  let dispatches = 0;
  for (let r = 0; r < reps; r++) {
    const before = backend.rt?.dispatches ?? 0;
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    dispatches = (backend.rt?.dispatches ?? 0) - before;
  }
  for (const t of [...params, x]) t.dispose();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], dispatches };
}

const fused = await webgpuBackend();
const unfused = await webgpuBackend();
for (const name of ['LstmCell', 'LstmCellGrad', 'GruCell', 'GruCellGrad']) delete unfused.kernels[name];
const rows = [
  ['webgpu, fused cells', fused],
  ['webgpu, decomposed cells', unfused],
  ['cpu', cpuBackend()],
];
console.log(
  `LSTM training step (input ${input}, hidden ${hidden}, seq ${seq}, batch ${batch}), median of ${reps}`,
);
console.log(`adapter: ${fused.adapterInfo}`);
for (const [label, backend] of rows) {
  const { ms, dispatches } = await timeStep(backend);
  const cells = backend.rt ? '' : backend.kernels.LstmCell ? ' (fused cells)' : ' (decomposed cells)';
  console.log(
    `${(label + cells).padEnd(26)} ${ms.toFixed(1).padStart(8)} ms${backend.rt ? `  ${dispatches} dispatches` : ''}`,
  );
}
process.exit(0);
