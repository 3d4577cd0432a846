import {
  concat,
  Generator,
  keep,
  log,
  Module,
  noGrad,
  roll,
  type Seed,
  scope,
  sigmoid,
  softmax,
  softplus,
  sqrt,
  sum,
  type Tensor,
  tanh,
  tensor,
  unsqueeze,
  zeros,
} from '@myelin/core';
import { binaryCrossEntropyWithLogits, Linear, LSTM, LSTMCell } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { epochCurves, runEpochs, trainStep } from './sequence-train.js';

/**
 * The neural Turing machine (Graves, Wayne and Danihelka 2014, "Neural Turing Machines";
 * Aggarwal §12.3): a controller network reads from and writes to an N×M memory through soft
 * weightings over its N rows. Each head turns the controller's output into a key k, a key
 * strength β, an interpolation gate g, a shift distribution s over {−1, 0, +1} and a sharpening
 * exponent γ (write heads also an erase vector e and an add vector a), and addresses the memory
 * in four stages (Eqs. 5–9 of the paper):
 *
 *   content        w^c(i) = softmax_i(β · K(k, M(i))),  K the cosine similarity    (5, 6)
 *   interpolation  w^g = g · w^c + (1 − g) · w_{t−1}                                 (7)
 *   shift          w̃(i) = Σ_j w^g(j) · s(i − j), indices modulo N                    (8)
 *   sharpening     w(i) = w̃(i)^γ / Σ_j w̃(j)^γ                                        (9)
 *
 * Reading is r = Σ_i w(i) M(i) (2); writing erases then adds (3, 4):
 * M(i) ← M(i) ⊙ (1 − w(i) e) + w(i) a.
 *
 * The constrained outputs follow the paper's ranges as the common PyTorch implementation does
 * (loudinthecloud/pytorch-ntm): β = softplus(β̂) ≥ 0, g = σ(ĝ), s = softmax(ŝ), γ = 1 + softplus(γ̂),
 * e = σ(ê), a = tanh(â). Sharpening is computed as softmax(γ · log(w̃ + ε)), the same quantity
 * without a 0^γ whose gradient with respect to γ is undefined.
 */

/** ε of the cosine similarity's norms and of the sharpening's logarithm. */
export const NTM_EPS = 1e-8;

/** The addressing parameters of one head at one step (batch first, already in range). */
export interface NTMAddressing {
  /** Key k, `[B, M]`. */
  key: Tensor;
  /** Key strength β ≥ 0, `[B, 1]`. */
  beta: Tensor;
  /** Interpolation gate g ∈ (0, 1), `[B, 1]`. */
  gate: Tensor;
  /** Shift distribution over (−1, 0, +1), `[B, 3]`, rows summing to 1. */
  shift: Tensor;
  /** Sharpening γ ≥ 1, `[B, 1]`. */
  gamma: Tensor;
}

function checkMemory(op: string, memory: Tensor): [number, number, number] {
  if (memory.rank !== 3)
    throw new RangeError(`${op}: memory must be [batch, N, M], got [${memory.shape.join(', ')}]`);
  return memory.shape as unknown as [number, number, number];
}

function checkShape(op: string, what: string, t: Tensor, expected: readonly number[]): void {
  if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i]))
    throw new RangeError(`${op}: ${what} must be [${expected.join(', ')}], got [${t.shape.join(', ')}]`);
}

/**
 * The N×M memory's operations: content addressing, location addressing, reading and writing,
 * each a pure function of tensors (the memory is a value `[B, N, M]`, not state), so autograd
 * reaches every input.
 */
export const NTMMemory = {
  /** Cosine similarity K(k, M(i)) of the key with every row, `[B, N]` (Eq. 6). */
  similarity(memory: Tensor, key: Tensor): Tensor {
    const [b, , m] = checkMemory('NTMMemory.similarity', memory);
    checkShape('NTMMemory.similarity', 'key', key, [b, m]);
    const k = unsqueeze(key, 1); // [B, 1, M]
    const dot = sum(memory.mul(k), -1); // [B, N]
    const memNorm = sqrt(sum(memory.square(), -1).add(NTM_EPS));
    const keyNorm = sqrt(sum(k.square(), -1).add(NTM_EPS)); // [B, 1]
    return dot.div(memNorm.mul(keyNorm));
  },

  /** The head's weighting `[B, N]` from the four addressing stages (Eqs. 5–9). */
  address(memory: Tensor, a: NTMAddressing, previous: Tensor): Tensor {
    const [b, n] = checkMemory('NTMMemory.address', memory);
    checkShape('NTMMemory.address', 'beta', a.beta, [b, 1]);
    checkShape('NTMMemory.address', 'gate', a.gate, [b, 1]);
    checkShape('NTMMemory.address', 'shift', a.shift, [b, 3]);
    checkShape('NTMMemory.address', 'gamma', a.gamma, [b, 1]);
    checkShape('NTMMemory.address', 'previous weighting', previous, [b, n]);
    const content = softmax(NTMMemory.similarity(memory, a.key).mul(a.beta), -1);
    const gated = content.mul(a.gate).add(previous.mul(a.gate.neg().add(1)));
    // w̃(i) = s(+1)·w^g(i−1) + s(0)·w^g(i) + s(−1)·w^g(i+1): a 3-tap circular convolution.
    const s = (j: number) => a.shift.slice(null, [j, j + 1]);
    const shifted = roll(gated, 1, 1)
      .mul(s(2))
      .add(gated.mul(s(1)))
      .add(roll(gated, -1, 1).mul(s(0)));
    return softmax(log(shifted.add(NTM_EPS)).mul(a.gamma), -1);
  },

  /** r = Σ_i w(i) M(i), `[B, M]` (Eq. 2). */
  read(memory: Tensor, weighting: Tensor): Tensor {
    const [b, n] = checkMemory('NTMMemory.read', memory);
    checkShape('NTMMemory.read', 'weighting', weighting, [b, n]);
    return sum(memory.mul(unsqueeze(weighting, 2)), 1);
  },

  /** The memory after erasing with e then adding a at weighting w, `[B, N, M]` (Eqs. 3, 4). */
  write(memory: Tensor, weighting: Tensor, erase: Tensor, add: Tensor): Tensor {
    const [b, n, m] = checkMemory('NTMMemory.write', memory);
    checkShape('NTMMemory.write', 'weighting', weighting, [b, n]);
    checkShape('NTMMemory.write', 'erase', erase, [b, m]);
    checkShape('NTMMemory.write', 'add', add, [b, m]);
    const w = unsqueeze(weighting, 2); // [B, N, 1]
    const erased = memory.mul(w.mul(unsqueeze(erase, 1)).neg().add(1));
    return erased.add(w.mul(unsqueeze(add, 1)));
  },
} as const;

/** The sizes of an NTM head's outputs: key M, β, g, 3 shifts, γ; write heads add e and a (M each). */
export function ntmHeadSize(memoryWidth: number, mode: 'read' | 'write'): number {
  return memoryWidth + 6 + (mode === 'write' ? 2 * memoryWidth : 0);
}

/**
 * One read or write head: a linear map `fc` from the controller's state to the head's
 * parameters, squashed into their ranges (see the file comment).
 */
export class NTMHead extends Module {
  readonly fc: Linear;
  constructor(
    readonly mode: 'read' | 'write',
    controllerSize: number,
    readonly memoryWidth: number,
    options: { seed?: Seed } = {},
  ) {
    super();
    if (mode !== 'read' && mode !== 'write')
      throw new RangeError(`NTMHead: mode must be 'read' or 'write', got ${String(mode)}`);
    this.fc = new Linear(controllerSize, ntmHeadSize(memoryWidth, mode), options);
  }

  /** The head's addressing (and, for a write head, erase and add vectors) from the controller `[B, H]`. */
  forward(h: Tensor): NTMAddressing & { erase?: Tensor; add?: Tensor } {
    const o = this.fc.forward(h);
    const m = this.memoryWidth;
    const part = (from: number, to: number) => o.slice(null, [from, to]);
    const out: NTMAddressing & { erase?: Tensor; add?: Tensor } = {
      key: part(0, m),
      beta: softplus(part(m, m + 1)),
      gate: sigmoid(part(m + 1, m + 2)),
      shift: softmax(part(m + 2, m + 5), -1),
      gamma: softplus(part(m + 5, m + 6)).add(1),
    };
    if (this.mode === 'write') {
      out.erase = sigmoid(part(m + 6, 2 * m + 6));
      out.add = tanh(part(2 * m + 6, 3 * m + 6));
    }
    return out;
  }
}

export interface NeuralTuringMachineOptions {
  /** Input features per step. */
  inputSize: number;
  /** Output features per step (logits). */
  outputSize: number;
  /** Memory rows N (default 128, as the paper's copy task). */
  memorySize?: number;
  /** Memory row width M (default 20). */
  memoryWidth?: number;
  /** LSTM controller units (default 100). */
  hiddenSize?: number;
  /** Read heads (default 1); there is one write head. */
  readHeads?: number;
  seed?: Seed;
}

/** What `NeuralTuringMachine.forward` returns: logits, and the weightings when asked. */
export interface NTMOutput {
  /** `[B, T, outputSize]`. */
  logits: Tensor;
  /** Read weightings of the first read head, `[B, T, N]` (with `record`). */
  reads?: Tensor;
  /** Write weightings, `[B, T, N]` (with `record`). */
  writes?: Tensor;
}

/**
 * An NTM with an LSTM controller (`controller`, PyTorch's `LSTMCell` names), `readHeads` read
 * heads and one write head, and an output layer `fc` on [controller state, reads]. At every step
 * the controller reads [x_t, r_{t−1}], the read heads read the memory as it stands, the write head
 * then writes. Memory starts from a fixed random matrix (seeded, U(±1/√(N+M)), not trained) and
 * the weightings and reads from zero.
 *
 * @example
 * const ntm = new NeuralTuringMachine({ inputSize: 9, outputSize: 8, memorySize: 64, seed: 1 });
 * const { logits } = ntm.forward(x);  // x [B, T, 9] → [B, T, 8]
 */
export class NeuralTuringMachine extends Module {
  readonly controller: LSTMCell;
  readonly heads: NTMHead[];
  readonly fc: Linear;
  readonly memorySize: number;
  readonly memoryWidth: number;
  readonly hiddenSize: number;
  readonly readHeads: number;
  readonly inputSize: number;
  private readonly memoryInit: Float32Array;

  constructor(options: NeuralTuringMachineOptions) {
    super();
    const { inputSize, outputSize } = options;
    this.memorySize = options.memorySize ?? 128;
    this.memoryWidth = options.memoryWidth ?? 20;
    this.hiddenSize = options.hiddenSize ?? 100;
    this.readHeads = options.readHeads ?? 1;
    for (const [v, what] of [
      [inputSize, 'inputSize'],
      [outputSize, 'outputSize'],
      [this.memorySize, 'memorySize'],
      [this.memoryWidth, 'memoryWidth'],
      [this.hiddenSize, 'hiddenSize'],
      [this.readHeads, 'readHeads'],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`NeuralTuringMachine: ${what} must be a positive integer, got ${v}`);
    this.inputSize = inputSize;
    const gen = new Generator(typeof options.seed === 'number' ? options.seed : 0);
    const seed = () => gen.randint(0, 2 ** 30, 1)[0]!;
    const readSize = this.readHeads * this.memoryWidth;
    this.controller = new LSTMCell(inputSize + readSize, this.hiddenSize, { seed: seed() });
    this.heads = [];
    for (let i = 0; i < this.readHeads; i++)
      this.heads.push(new NTMHead('read', this.hiddenSize, this.memoryWidth, { seed: seed() }));
    this.heads.push(new NTMHead('write', this.hiddenSize, this.memoryWidth, { seed: seed() }));
    this.fc = new Linear(this.hiddenSize + readSize, outputSize, { seed: seed() });
    const stdev = 1 / Math.sqrt(this.memorySize + this.memoryWidth);
    this.memoryInit = Float32Array.from(
      gen.uniform(this.memorySize * this.memoryWidth),
      (u) => (2 * u - 1) * stdev,
    );
  }

  /** Run over `x` `[B, T, inputSize]`; `record` also returns the weightings over time. */
  forward(x: Tensor, options: { record?: boolean } = {}): NTMOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize)
      throw new RangeError(
        `NeuralTuringMachine: input must be [batch, steps, ${this.inputSize}], got [${x.shape.join(', ')}]`,
      );
    const [b, steps] = x.shape as unknown as [number, number];
    const n = this.memorySize;
    const m = this.memoryWidth;
    let memory = tensor(this.memoryInit, { shape: [1, n, m] }).broadcastTo([b, n, m]);
    let reads: Tensor[] = Array.from({ length: this.readHeads }, () => zeros([b, m]));
    const prev: Tensor[] = this.heads.map(() => zeros([b, n]));
    let state: [Tensor, Tensor] | null = null;
    const outputs: Tensor[] = [];
    const readW: Tensor[] = [];
    const writeW: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const xt = x.slice(null, [t, t + 1]).reshape([b, this.inputSize]);
      state = this.controller.forward(concat([xt, ...reads], 1), state);
      const h = state[0];
      const next: Tensor[] = [];
      this.heads.forEach((head, i) => {
        const p = head.forward(h);
        const w = NTMMemory.address(memory, p, prev[i]!);
        prev[i] = w;
        if (head.mode === 'read') {
          next.push(NTMMemory.read(memory, w));
          if (i === 0) readW.push(w);
        } else {
          memory = NTMMemory.write(memory, w, p.erase!, p.add!);
          writeW.push(w);
        }
      });
      reads = next;
      outputs.push(this.fc.forward(concat([h, ...reads], 1)));
    }
    const out: NTMOutput = { logits: stackSteps(outputs) };
    if (options.record) {
      out.reads = stackSteps(readW);
      out.writes = stackSteps(writeW);
    }
    return out;
  }
}

function stackSteps(xs: Tensor[]): Tensor {
  return concat(
    xs.map((t) => unsqueeze(t, 1)),
    1,
  );
}

/**
 * The copy task's LSTM baseline: `nn.LSTM` (batch first) and a linear read-out, with the same
 * `forward(x) → { logits }` face as the NTM.
 */
export class CopyLSTM extends Module {
  readonly rnn: LSTM;
  readonly fc: Linear;
  constructor(options: {
    inputSize: number;
    outputSize: number;
    hiddenSize?: number;
    layers?: number;
    seed?: Seed;
  }) {
    super();
    const gen = new Generator(typeof options.seed === 'number' ? options.seed : 0);
    const hidden = options.hiddenSize ?? 100;
    this.rnn = new LSTM(options.inputSize, hidden, {
      batchFirst: true,
      numLayers: options.layers ?? 1,
      seed: gen.randint(0, 2 ** 30, 1)[0]!,
    });
    this.fc = new Linear(hidden, options.outputSize, { seed: gen.randint(0, 2 ** 30, 1)[0]! });
  }
  forward(x: Tensor): NTMOutput {
    return { logits: this.fc.forward(this.rnn.forward(x)[0]) };
  }
}

// ---------------------------------------------------------------------------------------------
// The copy task (Graves et al. 2014, §4.1)

/** One batch of the copy task: `x` `[B, 2L+1, width+1]`, the targets `y` `[B, L, width]`. */
export interface CopyBatch {
  x: Tensor;
  y: Tensor;
  /** The sequence length L of this batch. */
  length: number;
  /** The target bits on the host, `B·L·width`. */
  bits: Float32Array;
}

/**
 * A copy-task batch (Graves et al. §4.1): L random `width`-bit vectors (L uniform in
 * [minLength, maxLength], one L per batch), a delimiter on an extra channel, then L blank steps
 * during which the model must output the vectors again.
 */
export function copyBatch(
  gen: Generator,
  batch: number,
  minLength: number,
  maxLength: number,
  width = 8,
): CopyBatch {
  if (!Number.isInteger(minLength) || minLength < 1 || !Number.isInteger(maxLength) || maxLength < minLength)
    throw new RangeError(
      `copyBatch: lengths must be integers with 1 ≤ minLength ≤ maxLength, got ${minLength} and ${maxLength}`,
    );
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`copyBatch: batch must be a positive integer, got ${batch}`);
  const length = gen.randint(minLength, maxLength + 1, 1)[0]!;
  const steps = 2 * length + 1;
  const c = width + 1;
  const u = gen.uniform(batch * length * width);
  const bits = Float32Array.from(u, (v) => (v < 0.5 ? 0 : 1));
  const x = new Float32Array(batch * steps * c);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++)
      for (let k = 0; k < width; k++) x[(b * steps + t) * c + k] = bits[(b * length + t) * width + k]!;
    x[(b * steps + length) * c + width] = 1;
  }
  return {
    x: tensor(x, { shape: [batch, steps, c] }),
    y: tensor(bits, { shape: [batch, length, width] }),
    length,
    bits,
  };
}

/** A model of the copy task: logits `[B, T, width]` for inputs `[B, T, width+1]`. */
export interface CopyModel extends Module {
  forward(x: Tensor, options?: { record?: boolean }): NTMOutput;
}

/** The logits of the answer steps (the last L of 2L+1) of a copy batch. */
export function copyLogits(model: CopyModel, batch: CopyBatch): Tensor {
  const logits = model.forward(batch.x).logits;
  return logits.slice(null, [batch.length + 1, 2 * batch.length + 1]);
}

/** Bits wrong per sequence: thresholded sigmoid (logit > 0) against the targets, summed over a sequence. */
export function bitErrors(logits: ArrayLike<number>, bits: ArrayLike<number>, batch: number): number {
  if (logits.length !== bits.length)
    throw new RangeError(`bitErrors: ${logits.length} logits for ${bits.length} target bits`);
  let wrong = 0;
  for (let i = 0; i < bits.length; i++) if ((logits[i]! > 0 ? 1 : 0) !== bits[i]) wrong++;
  return wrong / batch;
}

/** Trainable parameters of a module. */
function parameterCount(model: Module): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

/** The LSTM hidden size whose `CopyLSTM` has about `target` parameters (the baseline of similar size). */
export function lstmHiddenFor(target: number, inputSize: number, outputSize: number): number {
  let h = 1;
  while (4 * (h + 1) * (inputSize + h + 1 + 2) + (h + 1) * outputSize + outputSize <= target) h++;
  return h;
}

const copyOptions = [
  { name: 'steps', type: 'integer', default: 3000, min: 1, help: 'training batches' },
  { name: 'batchSize', type: 'integer', default: 32, min: 1, help: 'sequences per batch' },
  { name: 'minLength', type: 'integer', default: 1, min: 1, help: 'shortest training sequence' },
  { name: 'maxLength', type: 'integer', default: 10, min: 1, help: 'longest training sequence' },
  {
    name: 'testLength',
    type: 'integer',
    default: 20,
    min: 0,
    help: 'also test both models on sequences this long, longer than any seen in training (0: off)',
  },
  { name: 'memorySize', type: 'integer', default: 32, min: 1, help: 'memory rows N' },
  { name: 'memoryWidth', type: 'integer', default: 20, min: 1, help: 'memory row width M' },
  { name: 'hiddenSize', type: 'integer', default: 100, min: 1, help: 'LSTM controller units' },
  { name: 'lr', type: 'number', default: 0.01, min: 1e-8, help: "Adam's learning rate" },
  { name: 'clip', type: 'number', default: 10, min: 0, help: 'gradient norm clip (0: off)' },
  { name: 'evalEvery', type: 'integer', default: 50, min: 1, help: 'batches between evaluations' },
  {
    name: 'evalSequences',
    type: 'integer',
    default: 100,
    min: 1,
    help: 'sequences per evaluation, spread evenly over the lengths',
  },
  {
    name: 'baseline',
    type: 'boolean',
    default: true,
    help: 'also train an LSTM with about as many parameters on the same batches',
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the weights and the sequences' },
] as const;

export type NtmCopyOptions = OptionValues<typeof copyOptions>;

const WIDTH = 8;

/** Mean bits wrong per sequence (and the mean BCE) of `model` over fixed batches. */
async function copyScore(
  model: CopyModel,
  batches: readonly CopyBatch[],
): Promise<{ bits: number; loss: number }> {
  model.eval();
  let wrong = 0;
  let lossSum = 0;
  let seen = 0;
  for (const b of batches) {
    const batch = b.x.shape[0]!;
    const { logits, loss } = noGrad(() =>
      scope(() => {
        const logits = copyLogits(model, b);
        return { logits, loss: binaryCrossEntropyWithLogits(logits, b.y) };
      }),
    );
    const [l, v] = await Promise.all([logits.data(), loss.data()]);
    logits.dispose();
    loss.dispose();
    wrong += bitErrors(l, b.bits, 1);
    lossSum += v[0]! * batch;
    seen += batch;
  }
  model.train();
  return { bits: wrong / seen, loss: lossSum / seen };
}

/** Fixed evaluation batches: `count` sequences spread evenly over every length from minL to maxL. */
function fixedBatches(seed: number, count: number, minL: number, maxL: number): CopyBatch[] {
  const gen = new Generator(seed);
  const lengths = maxL - minL + 1;
  const out: CopyBatch[] = [];
  for (let k = 0; k < lengths; k++) {
    const batch = Math.floor(count / lengths) + (k < count % lengths ? 1 : 0);
    if (batch > 0) out.push(keep(copyBatch(gen, batch, minL + k, minL + k, WIDTH)));
  }
  return out;
}

/** Weightings `[B=1, T, N]` → one image `[N, T]`: memory rows down, time across. */
async function weightingImage(w: Tensor): Promise<Float32Array> {
  const [, steps, n] = w.shape as unknown as [number, number, number];
  const v = await w.data();
  const img = new Float32Array(n * steps);
  for (let t = 0; t < steps; t++) for (let i = 0; i < n; i++) img[i * steps + t] = v[t * n + i]!;
  return img;
}

/** Nearest-neighbour upscaling of `count` planes `[h, w]` by `zoom`, so small pictures stay readable. */
function upscale(data: Float32Array, count: number, h: number, w: number, zoom: number): Float32Array {
  const out = new Float32Array(count * h * w * zoom * zoom);
  const W = w * zoom;
  for (let p = 0; p < count; p++)
    for (let y = 0; y < h * zoom; y++)
      for (let x = 0; x < W; x++)
        out[(p * h * zoom + y) * W + x] = data[(p * h + Math.floor(y / zoom)) * w + Math.floor(x / zoom)]!;
  return out;
}

const ZOOM = 6;

async function emitWeightings(ctx: RecipeContext, ntm: NeuralTuringMachine, seed: number, length: number) {
  const b = copyBatch(new Generator(seed), 1, length, length, WIDTH);
  const out = noGrad(() => scope(() => ntm.eval().forward(b.x, { record: true })));
  ntm.train();
  const [w, r] = await Promise.all([weightingImage(out.writes!), weightingImage(out.reads!)]);
  const steps = 2 * length + 1;
  const n = ntm.memorySize;
  const data = new Float32Array(2 * n * steps);
  data.set(w, 0);
  data.set(r, n * steps);
  ctx.emit(
    samplesEvent(
      `NTM weightings over time (length ${length}; memory rows down, steps across)`,
      imageArray(upscale(data, 2, n, steps, ZOOM), [2, 1, n * ZOOM, steps * ZOOM]),
      { labels: ['write', 'read'] },
    ),
  );
  // Input, target and output, each [8, L] (bits down, time across).
  const logits = await out.logits.data();
  const io = new Float32Array(3 * WIDTH * length);
  const plane = WIDTH * length;
  for (let t = 0; t < length; t++)
    for (let k = 0; k < WIDTH; k++) {
      const bit = b.bits[t * WIDTH + k]!;
      io[k * length + t] = bit; // the input
      io[plane + k * length + t] = bit; // the target: the same bits
      io[2 * plane + k * length + t] = 1 / (1 + Math.exp(-logits[(length + 1 + t) * WIDTH + k]!));
    }
  ctx.emit(
    samplesEvent(
      `NTM copy of a length-${length} sequence (bits down, time across)`,
      imageArray(upscale(io, 3, WIDTH, length, ZOOM), [3, 1, WIDTH * ZOOM, length * ZOOM]),
      { labels: ['input', 'target', 'NTM output'] },
    ),
  );
  for (const t of [out.logits, out.reads!, out.writes!, b.x, b.y]) t.dispose();
}

/**
 * `ntm-copy`: the copy task of Graves et al. 2014 (§4.1): an NTM (LSTM controller, one read and one
 * write head) learns to reproduce sequences of random 8-bit vectors after a delimiter, beside an
 * LSTM baseline of about the same size trained on the same batches.
 */
export const ntmCopy: Recipe<NtmCopyOptions> = defineRecipe({
  name: 'ntm-copy',
  title: 'Neural Turing machine on the copy task',
  description:
    'An NTM (LSTM controller of 100 units, 32×20 memory, one read and one write head; Graves et al. 2014) ' +
    'learns to copy sequences of 1–10 random 8-bit vectors (the paper: 1–20, --max-length 20), beside an ' +
    'LSTM of about as many parameters trained on the same batches (Adam 0.01, batch 32, 3,000 batches, ' +
    'gradient norm clipped to 10). Reports bits wrong per sequence for both, on the training lengths and ' +
    'on longer sequences (20), and shows the NTM’s read and write weightings over time.',
  family: 'rnn',
  options: copyOptions,
  run: (o: NtmCopyOptions) =>
    recipeStream(async (ctx) => {
      if (o.minLength > o.maxLength)
        throw new RangeError(`ntm-copy: --min-length ${o.minLength} is above --max-length ${o.maxLength}`);
      if (o.testLength > o.memorySize)
        throw new RangeError(
          `ntm-copy: --test-length ${o.testLength} needs at least as many memory rows, got --memory-size ${o.memorySize}`,
        );
      const ntm = new NeuralTuringMachine({
        inputSize: WIDTH + 1,
        outputSize: WIDTH,
        memorySize: o.memorySize,
        memoryWidth: o.memoryWidth,
        hiddenSize: o.hiddenSize,
        seed: o.seed,
      });
      ctx.onEnd(() => ntm.dispose());
      const models: { name: string; model: CopyModel; optimizer: Adam }[] = [
        { name: 'NTM', model: ntm, optimizer: new Adam(ntm.parameters(), { lr: o.lr }) },
      ];
      const ntmParams = parameterCount(ntm);
      if (o.baseline) {
        const lstm = new CopyLSTM({
          inputSize: WIDTH + 1,
          outputSize: WIDTH,
          hiddenSize: lstmHiddenFor(ntmParams, WIDTH + 1, WIDTH),
          seed: o.seed + 1,
        });
        ctx.onEnd(() => lstm.dispose());
        models.push({ name: 'LSTM', model: lstm, optimizer: new Adam(lstm.parameters(), { lr: o.lr }) });
      }
      for (const m of models) ctx.onEnd(() => m.optimizer.dispose());
      const evalSet = fixedBatches(o.seed + 1000, o.evalSequences, o.minLength, o.maxLength);
      const longSet =
        o.testLength > 0 ? fixedBatches(o.seed + 2000, o.evalSequences, o.testLength, o.testLength) : [];
      ctx.onEnd(() => {
        for (const b of [...evalSet, ...longSet]) {
          b.x.dispose();
          b.y.dispose();
        }
      });
      const gen = new Generator(o.seed);
      const rounds = Math.ceil(o.steps / o.evalEvery);
      const records = await runEpochs(
        ctx,
        rounds,
        o.evalEvery,
        function* (round) {
          const n = Math.min(o.evalEvery, o.steps - round * o.evalEvery);
          for (let s = 0; s < n; s++)
            yield async () => {
              const batch = copyBatch(gen, o.batchSize, o.minLength, o.maxLength, WIDTH);
              try {
                let first = 0;
                for (const [i, m] of models.entries()) {
                  const loss = await trainStep(m.model, m.optimizer, o.clip, () =>
                    binaryCrossEntropyWithLogits(copyLogits(m.model, batch), batch.y),
                  );
                  if (i === 0) first = loss;
                }
                return { loss: first, samples: o.batchSize };
              } finally {
                batch.x.dispose();
                batch.y.dispose();
              }
            };
        },
        async () => {
          const out: Record<string, number> = {};
          for (const m of models) {
            const { bits, loss } = await copyScore(m.model, evalSet);
            if (m.name === 'NTM') out.loss = loss;
            out[`${m.name} bit errors`] = bits;
          }
          return out;
        },
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curves',
        spec: epochCurves(
          `ntm-copy: BCE and bits wrong per sequence (lengths ${o.minLength}–${o.maxLength}) every ${o.evalEvery} batches`,
          records,
          models.map((m) => ({ figure: `${m.name} bit errors`, title: `${m.name} bits wrong per sequence` })),
        ),
      });
      const last = records.at(-1)!.test;
      for (const m of models) {
        ctx.emit({
          type: 'metric',
          name: `${m.name} bit errors`,
          value: last[`${m.name} bit errors`]!,
          unit: 'bits/sequence',
        });
        ctx.emit({ type: 'metric', name: `${m.name} parameters`, value: parameterCount(m.model) });
        if (longSet.length) {
          const { bits } = await copyScore(m.model, longSet);
          ctx.emit({
            type: 'metric',
            name: `${m.name} bit errors at length ${o.testLength}`,
            value: bits,
            unit: 'bits/sequence',
          });
        }
      }
      await emitWeightings(ctx, ntm, o.seed + 3000, o.maxLength);
      if (o.testLength > 0) await emitWeightings(ctx, ntm, o.seed + 4000, o.testLength);
    }),
});

/** The recipes of this file, by name. */
export const ntmRecipes = { 'ntm-copy': ntmCopy } as const;
