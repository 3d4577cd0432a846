// Where the time of the bench's LSTM step goes (input 64, hidden 128, seq 32, batch 32, fwd + bwd):
//   [PROFILE=0] node bench-local/rnn-profile.mjs [threads=2] [variant=nn|cell|seq] [steps=10]
// nn: @myelin/nn's LSTM as built; cell: the loop written here over core's lstmCell (one matmul for
// every step's inputs, then per step h·W_hhᵀ, an add and the fused cell); seq: one recorded op for
// the whole sequence (customGrad, see lstmSequence). Prints wall and CPU time per step and the CPU
// time inside each kernel (MatMul by shape), so per-op overhead is the rest; on one thread the CPU
// time is the work itself, whatever else the machine runs. PROFILE=0 skips the per-kernel timing
// (for node --cpu-prof, which the wrappers would distort).
import { cpus, loadavg } from 'node:os';

const threads = Number(process.argv[2] ?? 2);
const variant = process.argv[3] ?? 'nn';
const steps = Number(process.argv[4] ?? 10);
const core = await import('@myelin/core');
const nn = await import(new URL('../../nn/dist/index.js', import.meta.url).href);
const { wasmBackend } = await import('../dist/index.js');
const wasm = await wasmBackend({ threads });
await core.use(wasm);

const [I, H, T, N] = [64, 128, 32, 32];
const rand = (n, seed) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
};
const x = core.keep(core.tensor(rand(T * N * I, 1), { shape: [T, N, I] }));
const r = core.keep(core.tensor(rand(T * N * H, 2), { shape: [T, N, H] }));
const lstm = new nn.LSTM(I, H, { seed: 3 });

/** The prototype: what nn.LSTM does over the fused cell, one layer, one direction. */
function cellForward() {
  const wIh = lstm.getParameter('weight_ih_l0');
  const wHh = lstm.getParameter('weight_hh_l0');
  const b = lstm.getParameter('bias_ih_l0').add(lstm.getParameter('bias_hh_l0'));
  const gx = core.biasAct(x.reshape([T * N, I]).matmul(wIh, { transposeB: true }), b).reshape([T, N, 4 * H]);
  const gxs = gx.split(1, 0);
  let h = core.zeros([N, H]);
  let c = core.zeros([N, H]);
  const ys = [];
  for (let t = 0; t < T; t++) {
    const gates = gxs[t].squeeze(0).add(h.matmul(wHh, { transposeB: true }));
    [h, c] = core.lstmCell(gates, c);
    ys.push(h);
  }
  return core.stack(ys, 0);
}

/**
 * The whole-sequence prototype: one recorded op for the layer (customGrad), its backward written
 * out — per step only the fused cell backward and dh·W_hh; the weight gradients of all steps in
 * one matmul each at the end ([4H, T·N]·[T·N, H] and [4H, T·N]·[T·N, I]).
 */
const lstmSequence = core.customGrad((xs, wIh, wHh, bIh, bHh) => {
  const gx = core.biasAct(xs.reshape([T * N, I]).matmul(wIh, { transposeB: true }), bIh.add(bHh));
  const hs = [core.zeros([N, H])];
  const cs = [core.zeros([N, H])];
  const gates = [];
  for (let t = 0; t < T; t++) {
    const g = core.slice(gx, [t * N, (t + 1) * N]).add(hs[t].matmul(wHh, { transposeB: true }));
    const [h, c] = core.lstmCell(g, cs[t]);
    gates.push(g);
    hs.push(h);
    cs.push(c);
  }
  const value = core.stack(hs.slice(1), 0);
  return {
    value,
    grad(dy) {
      const dys = dy.reshape([T * N, H]);
      let dh = null;
      let dc = core.zeros([N, H]);
      const dgs = new Array(T);
      for (let t = T - 1; t >= 0; t--) {
        const dout = core.slice(dys, [t * N, (t + 1) * N]);
        const dht = dh ? dout.add(dh) : dout;
        const [dg, dcPrev] = core.lstmCellGrad(gates[t], cs[t], dht, dc);
        dgs[t] = dg;
        dc = dcPrev;
        if (t > 0) dh = dg.matmul(wHh);
      }
      const dG = core.concat(dgs, 0);
      const hPrev = core.concat(hs.slice(0, T), 0);
      const db = dG.sum(0);
      return [
        dG.matmul(wIh).reshape([T, N, I]),
        dG.matmul(xs.reshape([T * N, I]), { transposeA: true }),
        dG.matmul(hPrev, { transposeA: true }),
        db,
        db,
      ];
    },
  };
});

function seqForward() {
  const p = (n) => lstm.getParameter(n);
  return lstmSequence(x, p('weight_ih_l0'), p('weight_hh_l0'), p('bias_ih_l0'), p('bias_hh_l0'));
}

function step() {
  lstm.zeroGrad();
  return core.scope(() => {
    const out = variant === 'cell' ? cellForward() : variant === 'seq' ? seqForward() : lstm.forward(x)[0];
    const l = out.mul(r).sum();
    l.backward();
    return l.item();
  });
}

const backend = core.getBackend();
const stats = new Map();
// PROFILE=0: no per-kernel timing (for --cpu-prof, which the wrappers would distort).
for (const [name, fn] of process.env.PROFILE === '0' ? [] : Object.entries(backend.kernels)) {
  backend.kernels[name] = (args) => {
    // CPU time (getrusage): on one thread it is the kernel's own work, whatever the machine's load.
    const t0 = process.cpuUsage();
    const res = fn(args);
    const dt = process.cpuUsage(t0);
    const key =
      name === 'MatMul'
        ? `MatMul ${args.inputs[0].shape}${args.attrs.transposeA ? 'ᵀ' : ''}·${args.inputs[1].shape}${args.attrs.transposeB ? 'ᵀ' : ''}`
        : name;
    const s = stats.get(key) ?? { ms: 0, calls: 0 };
    s.ms += (dt.user + dt.system) / 1000;
    s.calls++;
    stats.set(key, s);
    return res;
  };
}
const loss = step();
step();
stats.clear();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const wall = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
const kernelMs = [...stats.values()].reduce((a, s) => a + s.ms, 0) / steps;
const calls = [...stats.values()].reduce((a, s) => a + s.calls, 0) / steps;
console.log(
  `${variant}, ${wasm.threads} thread(s): ${wall.toFixed(1)} ms/step wall, ${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)} ms CPU; kernels ${kernelMs.toFixed(1)} ms in ${calls} calls; loss ${loss.toFixed(4)}; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
);
for (const [name, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
  console.log(
    `  ${name.padEnd(34)} ${(s.ms / steps).toFixed(2).padStart(7)} ms  ${(s.calls / steps).toFixed(0).padStart(5)} calls  ${((1000 * s.ms) / s.calls).toFixed(1).padStart(7)} µs/call`,
  );
}
const live = core.memory();
console.log(`live tensors after: ${live.tensors ?? JSON.stringify(live)}`);
process.exit(0);
