/**
 * The rnn row (issue #10): one LSTM training step — input 64, hidden 128, sequence 32, batch 32,
 * the forward over the whole sequence and the backward to every parameter of the layer — on
 * Myelin's wasm backend (2 threads, `nn.LSTM`), beside TF.js's wasm backend (`tf.layers.lstm` with
 * sigmoid gates under `tf.variableGrads`; one thread in Node, see libs/tfjs-wasm.ts) and PyTorch
 * on the CPU with the same 2 threads (`torch.nn.LSTM`, `/usr/bin/python3`).
 *
 *     node bench/dist/index.js rnn [--min-time=ms]
 *
 * The loss is Σ out ⊙ R for a fixed R, so every output step gets a cotangent. All three start from
 * the same weights (PyTorch's layout; TF.js gets W_ihᵀ, W_hhᵀ and b_ih + b_hh, its gate order
 * i, f, c, o being PyTorch's), so their first losses must agree: the check that the three compute
 * the same step. The libraries take turns in rounds (`timeTogether`), so a change in the machine's
 * load hits all of them. Context rows: a whole-sequence prototype (`lstmSequence`, what nn would
 * gain from one tape node per layer), and Myelin and PyTorch on one thread.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfNs from '@tensorflow/tfjs-core';
import { randomValues } from './harness.js';
import { loadTfjsWasm } from './libs/tfjs-wasm.js';
import { prepareTrainingRuns, type SuiteLibrary, type TrainingRun, table, timeTogether } from './suite.js';
import { startTorch, type TorchChild, torchMissing } from './torch.js';

export const LSTM_DIMS = { input: 64, hidden: 128, seq: 32, batch: 32 } as const;
const { input: I, hidden: H, seq: T, batch: N } = LSTM_DIMS;
const THREADS = 2;
const ROUNDS = 3;

/** The shared values: PyTorch-layout weights, the input [T, N, I] and the loss weights R [T, N, H]. */
interface LstmValues {
  wIh: Float32Array;
  wHh: Float32Array;
  bIh: Float32Array;
  bHh: Float32Array;
  x: Float32Array;
  r: Float32Array;
}

function lstmValues(): LstmValues {
  const bound = 1 / Math.sqrt(H);
  const scaled = (n: number, seed: number, s: number) => randomValues(n, seed).map((v) => v * s);
  return {
    wIh: scaled(4 * H * I, 51, bound),
    wHh: scaled(4 * H * H, 52, bound),
    bIh: scaled(4 * H, 53, bound),
    bHh: scaled(4 * H, 54, bound),
    x: randomValues(T * N * I, 55),
    r: randomValues(T * N * H, 56),
  };
}

interface LstmRun extends TrainingRun {
  firstLoss: number[];
  /** Wall time of every run (ms), warm-ups included. */
  samples?: number[];
}
interface LstmLibrary extends SuiteLibrary {
  train(v: LstmValues): Promise<LstmRun> | LstmRun;
  close?(): void;
}

// --- Myelin ---------------------------------------------------------------------------------

type Core = typeof import('@myelin/core');
type Tensor = import('@myelin/core').Tensor;

/**
 * A prototype of a whole-sequence LSTM layer (one direction, one layer), for the question "what
 * would nn gain from it": one recorded op for the whole sequence (`customGrad`) whose backward
 * runs per step only the fused cell backward and dh·W_hh, and takes the weight gradients of all
 * steps in one matmul each at the end ([4H, T·N]·[T·N, H] for W_hh, [4H, T·N]·[T·N, I] for W_ih)
 * instead of one small matmul and one accumulating add per step. Returns out [T, N, H].
 */
function lstmSequence(core: Core) {
  return core.customGrad((xs, wIh, wHh, bIh, bHh) => {
    const [t, n, i] = xs.shape as [number, number, number];
    const h = wHh.shape[1]!;
    const x2 = xs.reshape([t * n, i]);
    const gx = core.biasAct(x2.matmul(wIh, { transposeB: true }), bIh.add(bHh));
    const hs = [core.zeros([n, h])];
    const cs = [core.zeros([n, h])];
    const gates: Tensor[] = [];
    for (let s = 0; s < t; s++) {
      const g = core.slice(gx, [s * n, (s + 1) * n]).add(hs[s]!.matmul(wHh, { transposeB: true }));
      const [hNext, cNext] = core.lstmCell(g, cs[s]!);
      gates.push(g);
      hs.push(hNext);
      cs.push(cNext);
    }
    return {
      value: core.stack(hs.slice(1), 0),
      grad(dy) {
        const dys = dy.reshape([t * n, h]);
        let dh: Tensor | null = null;
        let dc = core.zeros([n, h]);
        const dgs: Tensor[] = new Array(t);
        for (let s = t - 1; s >= 0; s--) {
          const dout = core.slice(dys, [s * n, (s + 1) * n]);
          const [dg, dcPrev] = core.lstmCellGrad(gates[s]!, cs[s]!, dh ? dout.add(dh) : dout, dc);
          dgs[s] = dg;
          dc = dcPrev;
          if (s > 0) dh = dg.matmul(wHh);
        }
        const dG = core.concat(dgs, 0);
        const db = dG.sum(0);
        return [
          dG.matmul(wIh).reshape([t, n, i]),
          dG.matmul(x2, { transposeA: true }),
          dG.matmul(core.concat(hs.slice(0, t), 0), { transposeA: true }),
          db,
          db,
        ];
      },
    };
  });
}

/**
 * Myelin on wasm: `nn.LSTM` as built, or (`prototype`) the same parameters through `lstmSequence`.
 * One wasm backend per thread count, shared by the libraries that use it.
 */
async function myelinLibrary(prototype: boolean, threads = THREADS): Promise<LstmLibrary | string> {
  const core = await import('@myelin/core');
  const nn = await import('@myelin/nn');
  const { wasmBackend } = await import('@myelin/backend-wasm');
  let cached = wasmInstances.get(threads);
  if (!cached) {
    cached = await wasmBackend({ threads });
    wasmInstances.set(threads, cached);
  }
  const wasm = cached;
  const sequence = lstmSequence(core);
  return {
    name: `myelin-wasm ${wasm.threads}t${prototype ? ' seq-proto' : ''}`,
    activate: async () => {
      await core.use(wasm);
    },
    train(v) {
      const lstm = new nn.LSTM(I, H);
      const t = (values: Float32Array, shape: number[]) => core.tensor(values, { shape });
      lstm.loadStateDict({
        weight_ih_l0: t(v.wIh, [4 * H, I]),
        weight_hh_l0: t(v.wHh, [4 * H, H]),
        bias_ih_l0: t(v.bIh, [4 * H]),
        bias_hh_l0: t(v.bHh, [4 * H]),
      });
      const p = (name: string) => lstm.getParameter(name);
      const x = core.keep(t(v.x, [T, N, I]));
      const r = core.keep(t(v.r, [T, N, H]));
      const firstLoss: number[] = [];
      return timed({
        samplesPerRun: 1,
        firstLoss,
        async run() {
          lstm.zeroGrad();
          const loss = core.scope(() => {
            const out = prototype
              ? sequence(x, p('weight_ih_l0'), p('weight_hh_l0'), p('bias_ih_l0'), p('bias_hh_l0'))
              : lstm.forward(x)[0];
            const l = out.mul(r).sum();
            l.backward();
            return l.item();
          });
          if (firstLoss.length === 0) {
            firstLoss.push(loss);
            const missing = lstm.parameters().filter((q) => !q.grad);
            if (missing.length) throw new Error(`myelin: ${missing.length} parameters got no gradient`);
          }
        },
        dispose() {
          lstm.zeroGrad();
          lstm.dispose();
          x.dispose();
          r.dispose();
        },
      });
    },
  };
}
const wasmInstances = new Map<number, import('@myelin/backend-wasm').WasmBackend>();

/** Record each run's wall time (for the fastest step beside the median). */
function timed(run: LstmRun): LstmRun {
  const inner = run.run.bind(run);
  run.samples = [];
  run.run = async () => {
    const t0 = performance.now();
    await inner();
    run.samples!.push(performance.now() - t0);
  };
  return run;
}

// --- TF.js wasm -----------------------------------------------------------------------------

interface TfLayer {
  apply(x: tfNs.Tensor): tfNs.Tensor;
  setWeights(w: tfNs.Tensor[]): void;
  dispose(): void;
}
interface TfLayers {
  layers: {
    lstm(args: {
      units: number;
      returnSequences: boolean;
      recurrentActivation: string;
      kernelInitializer: string;
      recurrentInitializer: string;
      inputShape: number[];
    }): TfLayer;
  };
}

/** [rows, cols] row-major → its transpose. */
function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/** [T, N, F] → [N, T, F] (TF.js layers are batch-first). */
function batchFirst(a: Float32Array, f: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let s = 0; s < T; s++)
    for (let n = 0; n < N; n++) out.set(a.subarray((s * N + n) * f, (s * N + n + 1) * f), (n * T + s) * f);
  return out;
}

async function tfjsLibrary(): Promise<LstmLibrary | string> {
  const lib = await loadTfjsWasm(THREADS);
  if (typeof lib === 'string') return lib;
  const tf = await import('@tensorflow/tfjs-core');
  const layers = (await import(/* @vite-ignore */ '@tensorflow/tfjs-layers' as string)) as TfLayers;
  return {
    name: lib.name,
    activate: () => lib.activate(),
    train(v) {
      const layer = layers.layers.lstm({
        units: H,
        returnSequences: true,
        recurrentActivation: 'sigmoid',
        // Overwritten below; the default (orthogonal) calls a chained op that TF.js's Node
        // bundle does not register.
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        inputShape: [T, I],
      });
      const x = tf.tensor3d(batchFirst(v.x, I), [N, T, I]);
      const r = tf.tensor3d(batchFirst(v.r, H), [N, T, H]);
      tf.tidy(() => layer.apply(x)); // builds the weights
      const bias = v.bIh.map((b, i) => b + v.bHh[i]!);
      const weights = [
        tf.tensor2d(transpose2d(v.wIh, 4 * H, I), [I, 4 * H]),
        tf.tensor2d(transpose2d(v.wHh, 4 * H, H), [H, 4 * H]),
        tf.tensor1d(bias),
      ];
      layer.setWeights(weights);
      for (const w of weights) w.dispose();
      const firstLoss: number[] = [];
      return timed({
        samplesPerRun: 1,
        firstLoss,
        async run() {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x), r)) as tfNs.Scalar);
          const loss = (value.dataSync() as Float32Array)[0]!;
          if (firstLoss.length === 0) {
            if (Object.keys(grads).length !== 3)
              throw new Error(`tfjs: expected gradients of 3 variables, got ${Object.keys(grads).length}`);
            firstLoss.push(loss);
          }
          value.dispose();
          for (const g of Object.values(grads)) g.dispose();
        },
        dispose() {
          layer.dispose();
          x.dispose();
          r.dispose();
        },
      });
    },
  };
}

// --- PyTorch --------------------------------------------------------------------------------

/** The PyTorch side: loads the shared values from a raw float32 file, then one step per 'run' line. */
const TORCH_SOURCE = `
import sys
import numpy as np
import torch
threads, path = int(sys.argv[1]), sys.argv[2]
torch.set_num_threads(threads)
I, H, T, N = ${I}, ${H}, ${T}, ${N}
raw = np.fromfile(path, dtype=np.float32)
sizes = [4 * H * I, 4 * H * H, 4 * H, 4 * H, T * N * I, T * N * H]
parts, at = [], 0
for s in sizes:
    parts.append(torch.from_numpy(raw[at:at + s].copy()))
    at += s
lstm = torch.nn.LSTM(I, H)
with torch.no_grad():
    lstm.weight_ih_l0.copy_(parts[0].view(4 * H, I))
    lstm.weight_hh_l0.copy_(parts[1].view(4 * H, H))
    lstm.bias_ih_l0.copy_(parts[2])
    lstm.bias_hh_l0.copy_(parts[3])
x = parts[4].view(T, N, I)
r = parts[5].view(T, N, H)
print('ready', torch.__version__, torch.get_num_threads(), flush=True)
for line in sys.stdin:
    if line.strip() != 'run':
        break
    lstm.zero_grad(set_to_none=True)
    out, _ = lstm(x)
    loss = (out * r).sum()
    loss.backward()
    print('done', repr(loss.item()), flush=True)
`;

function torchLibrary(threadCount = THREADS): LstmLibrary | string {
  const missing = torchMissing('torch, numpy');
  if (missing) return missing;
  const threads = String(threadCount);
  let child: TorchChild | undefined;
  let dir: string | undefined;
  const lib: LstmLibrary = {
    name: `pytorch-cpu ${threads}t`,
    activate: async () => {},
    async train(v) {
      dir = mkdtempSync(join(tmpdir(), 'myelin-bench-rnn-'));
      const path = join(dir, 'values.f32');
      const all = [v.wIh, v.wHh, v.bIh, v.bHh, v.x, v.r];
      const buf = new Float32Array(all.reduce((s, a) => s + a.length, 0));
      let at = 0;
      for (const a of all) {
        buf.set(a, at);
        at += a.length;
      }
      writeFileSync(path, new Uint8Array(buf.buffer));
      const py = startTorch(['-c', TORCH_SOURCE, threads, path], threads, 'the LSTM script');
      child = py;
      const [version, used] = await py.expect('ready');
      if (used !== threads) throw new Error(`pytorch: runs ${used} threads, asked for ${threads}`);
      const firstLoss: number[] = [];
      lib.name = `pytorch ${version} cpu ${used}t`;
      return timed({
        samplesPerRun: 1,
        firstLoss,
        async run() {
          const [loss] = await py.run();
          if (firstLoss.length === 0) firstLoss.push(Number(loss));
        },
        dispose: () => py.quit(),
      });
    },
    close() {
      child?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return lib;
}

// --- the row --------------------------------------------------------------------------------

export interface RnnRow {
  library: string;
  /** Median milliseconds per step over the timed runs, or why there is none. */
  medianMs?: number;
  /** The fastest timed step (ms): the machine's load shows as the gap to the median. */
  minMs?: number;
  /** The first step's loss (the cross-check: the same step everywhere, equal to float32 rounding). */
  firstLoss?: number;
  error?: string;
}

export interface RnnResult {
  case: string;
  rows: RnnRow[];
  /** tfjs-wasm median / Myelin (nn.LSTM, 2 threads) median: > 1, Myelin is faster. */
  speedupOverTfjs?: number;
  /** PyTorch (2 threads) median / Myelin (nn.LSTM, 2 threads) median. */
  speedupOverPytorch?: number;
}

/** Run the LSTM step row: Myelin wasm (nn.LSTM, and the whole-sequence prototype), TF.js wasm and PyTorch CPU in alternating rounds. */
export async function runRnnBench(options: { minTimeMs: number }): Promise<RnnResult> {
  const name = `LSTM ${I}→${H}, seq ${T}, batch ${N}: forward + backward`;
  const values = lstmValues();
  // The figure is the first row against the third and fourth; the others are context: the
  // prototype, and both libraries on one thread (on a busy machine, threads that wait for each
  // other lose most: PyTorch's OpenMP team more than Myelin's task claiming).
  const libs: (LstmLibrary | string)[] = [
    await myelinLibrary(false),
    await myelinLibrary(true),
    await tfjsLibrary(),
    torchLibrary(),
    await myelinLibrary(false, 1),
    torchLibrary(1),
  ];
  const labels = [
    'myelin-wasm',
    'myelin-wasm seq-proto',
    'tfjs-wasm',
    'pytorch',
    'myelin-wasm 1t',
    'pytorch 1t',
  ];
  const labelled = libs.map((lib, i) => (typeof lib === 'string' ? `${labels[i]}: ${lib}` : lib));
  const { runs, prepared } = await prepareTrainingRuns(labelled, values);
  const times = await timeTogether(
    { name, unit: 'samples/s', work: 1, train: (lib: LstmLibrary) => runs.get(lib)! },
    prepared,
    options.minTimeMs,
    { rounds: ROUNDS },
  );
  const rows: RnnRow[] = prepared.map((lib, i) => {
    const t = times[i]!;
    if (typeof lib === 'string') return { library: labels[i]!, error: lib };
    const run = runs.get(lib);
    lib.close?.();
    const row: RnnRow = { library: lib.name };
    if (t.throughput !== undefined) row.medianMs = 1000 / t.throughput;
    else row.error = t.error ?? 'no result';
    // The first sample of each round is a warm-up; the fastest of all is still a timed step's bound.
    if (run?.samples?.length) row.minMs = Math.min(...run.samples);
    if (run?.firstLoss[0] !== undefined) row.firstLoss = run.firstLoss[0];
    return row;
  });
  const result: RnnResult = { case: name, rows };
  const [m, , tj, pt] = rows.map((r) => r.medianMs);
  if (m !== undefined && tj !== undefined) result.speedupOverTfjs = tj / m;
  if (m !== undefined && pt !== undefined) result.speedupOverPytorch = pt / m;
  console.log(name);
  const { row, rule } = table([30, 10, 10, 14, 12]);
  console.log(row(['library', 'median ms', 'min ms', 'vs myelin-wasm', 'first loss']));
  console.log(rule);
  const fmt = (v: number | undefined, d = 1) => (v === undefined ? 'n/a' : v.toFixed(d));
  for (const r of rows) {
    const ratio = r.medianMs !== undefined && m !== undefined ? `${(r.medianMs / m).toFixed(2)}×` : 'n/a';
    console.log(row([r.library, fmt(r.medianMs), fmt(r.minMs), ratio, fmt(r.firstLoss, 4)]));
    if (r.error) console.log(`  ${r.library}: ${r.error}`);
  }
  const mins = rows.map((r) => r.minMs);
  const ratio = (a: number | undefined, b: number | undefined, d: number) =>
    a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(d);
  console.log(
    `tfjs-wasm / myelin-wasm: ${ratio(tj, m, 1)}× (medians), ${ratio(mins[2], mins[0], 1)}× (fastest steps); pytorch / myelin-wasm: ${ratio(pt, m, 2)}× (medians), ${ratio(mins[3], mins[0], 2)}× (fastest steps)`,
  );
  return result;
}
