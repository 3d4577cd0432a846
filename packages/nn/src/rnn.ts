/**
 * Recurrent layers with PyTorch's parameter names, shapes, gate orders and default initialisation
 * (every weight and bias U(±1/√hidden)):
 *
 * - RNN:  h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)  (or relu)
 * - LSTM: gates i, f, g, o (that order in the stacked weights); c' = f·c + i·g, h' = o·tanh(c')
 *         (times W_hr with projSize)
 * - GRU:  gates r, z, n; n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h
 *
 * Per layer and direction: one matmul of every step's input with W_ih (all gates at once), then per
 * step one matmul h·W_hhᵀ and one call of core's fused cell (`lstmCell` / `gruCell`: the gate maths
 * and, in backward, `lstmCellGrad` / `gruCellGrad`, one kernel each where the backend fuses them).
 *
 * Multi-layer stacks name their parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
 * `bias_hh_l{k}` (+ `_reverse` for the backward direction, `weight_hr_l{k}` for LSTM projections),
 * cells `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` — so PyTorch state dicts load as they are.
 *
 * RNN, LSTM and GRU also take a PackedSequence (packed-sequence.ts) and return one: ragged batches
 * run without touching the padding, and the final states are each sequence's true last step.
 */
import {
  concat,
  dropout,
  fmtShape,
  type Generator,
  gruCell,
  lstmCell,
  Module,
  type Parameter,
  relu,
  type Seed,
  scope,
  split,
  stack,
  type Tensor,
  tanh,
  tensor,
  unbind,
  zeros,
} from '@myelin/core';
import { isPackedSequence, type PackedSequence, packedSequence } from './packed-sequence.js';
import { generatorFrom, param, positiveInt, uniformTensor } from './util.js';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** x·Wᵀ (+ b). */
function affine(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = x.matmul(w, { transposeB: true });
  return b ? y.add(b) : y;
}

/**
 * The bias added to the input part of the gates. Where b_hh enters the gates only as a sum with
 * b_ih (RNN and LSTM) it is folded in once here, so a step adds no bias; GRU keeps b_hn inside
 * r·(W_hn·h + b_hn), so its b_hh stays in the step.
 */
function inputBias(mode: Mode, bIh: Tensor | null, bHh: Tensor | null): Tensor | null {
  return mode !== 'GRU' && bIh && bHh ? bIh.add(bHh) : bIh;
}

/**
 * One step of a cell given the input part of the gates `gx` (= W_ih·x + b_ih, plus b_hh except for
 * GRU, see `inputBias`) and the previous state; returns the new [h, c] (c only for LSTM). One
 * matmul h·W_hhᵀ for all gates, then one fused cell call (core's `lstmCell` / `gruCell`).
 */
function step(
  mode: Mode,
  gx: Tensor,
  h: Tensor,
  c: Tensor | null,
  wHh: Tensor,
  bHh: Tensor | null,
  wHr: Tensor | null,
): [Tensor, Tensor | null] {
  switch (mode) {
    case 'RNN_TANH':
      return [tanh(gx.add(affine(h, wHh, null))), null];
    case 'RNN_RELU':
      return [relu(gx.add(affine(h, wHh, null))), null];
    case 'LSTM': {
      const [h2, c2] = lstmCell(gx.add(affine(h, wHh, null)), c!);
      return [wHr ? h2.matmul(wHr, { transposeB: true }) : h2, c2];
    }
    case 'GRU':
      return [gruCell(gx, affine(h, wHh, bHh), h), null];
  }
}

export interface RNNOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Inputs and outputs are [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training (default 0). */
  dropout?: number;
  /** Run a second direction over the reversed sequence and concatenate (default false). */
  bidirectional?: boolean;
  /** Seeds the initialisation and the between-layer dropout masks. */
  seed?: Seed;
}

abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly #mode: Mode;
  readonly #gen: Generator | undefined;

  protected constructor(
    mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions & { projSize?: number },
  ) {
    super();
    const op = mode.startsWith('RNN') ? 'RNN' : mode;
    positiveInt(op, inputSize, 'inputSize');
    positiveInt(op, hiddenSize, 'hiddenSize');
    this.#mode = mode;
    this.numLayers = positiveInt(op, options.numLayers ?? 1, 'numLayers');
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new RangeError(`${op}: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = options.projSize ?? 0;
    if (
      !Number.isInteger(this.projSize) ||
      this.projSize < 0 ||
      (this.projSize > 0 && this.projSize >= hiddenSize)
    )
      throw new RangeError(`${op}: projSize must be an integer in [0, hiddenSize), got ${this.projSize}`);
    this.#gen = generatorFrom(options.seed);
    const gate = GATES[mode] * hiddenSize;
    const out = this.projSize || hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Parameter>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < dirs; dir++) {
        const sfx = `_l${layer}${dir ? '_reverse' : ''}`;
        const inSize = layer === 0 ? inputSize : out * dirs;
        self[`weight_ih${sfx}`] = param(uniformTensor([gate, inSize], bound, this.#gen));
        self[`weight_hh${sfx}`] = param(uniformTensor([gate, out], bound, this.#gen));
        if (this.bias) {
          self[`bias_ih${sfx}`] = param(uniformTensor([gate], bound, this.#gen));
          self[`bias_hh${sfx}`] = param(uniformTensor([gate], bound, this.#gen));
        }
        if (this.projSize)
          self[`weight_hr${sfx}`] = param(uniformTensor([this.projSize, hiddenSize], bound, this.#gen));
      }
    }
  }

  /** A parameter by its PyTorch name (`weight_ih_l0`, `bias_hh_l1_reverse`, …). */
  getParameter(name: string): Parameter {
    const p = (this as unknown as Record<string, Parameter | undefined>)[name];
    if (!p) throw new RangeError(`${this.constructor.name}: no parameter '${name}'`);
    return p;
  }

  private maybe(name: string): Parameter | null {
    return (this as unknown as Record<string, Parameter | undefined>)[name] ?? null;
  }

  /**
   * Run the stack over `x` ([seq, batch, input], [batch, seq, input] with batchFirst, or unbatched
   * [seq, input]) from initial states `h0` (and `c0` for LSTM), [layers·dirs, batch, hidden]
   * (zeros when omitted). Returns the last layer's outputs at every step and the final states.
   */
  protected run(x: Tensor, h0: Tensor | null, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const op = this.constructor.name;
    const mode = this.#mode;
    const unbatched = x.rank === 2;
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(
        `${op}: input must be [seq, batch, ${this.inputSize}] (or unbatched [seq, ${this.inputSize}]), got ${fmtShape(x.shape)}`,
      );
    let seqFirst = unbatched ? x.unsqueeze(1) : this.batchFirst ? x.transpose(0, 1) : x;
    seqFirst = seqFirst.cast('float32');
    const [T, N, I] = seqFirst.shape as [number, number, number];
    if (I !== this.inputSize)
      throw new RangeError(
        `${op}: input has ${I} features (shape ${fmtShape(x.shape)}) but the layer expects ${this.inputSize}`,
      );
    const dirs = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    const out = this.projSize || H;
    const states = (s: Tensor | null, size: number, what: string): Tensor[] => {
      const want = [this.numLayers * dirs, N, size];
      if (!s) return [];
      const s3 = unbatched ? s.unsqueeze(1) : s;
      if (s3.rank !== 3 || s3.shape.some((d, i) => d !== want[i]))
        throw new RangeError(
          `${op}: ${what} must be ${fmtShape(unbatched ? [want[0]!, size] : want)}, got ${fmtShape(s.shape)}`,
        );
      return unbind(s3, 0);
    };
    const hs0 = states(h0, out, 'h0');
    const cs0 = mode === 'LSTM' ? states(c0, H, 'c0') : [];

    let input = seqFirst;
    const hn: Tensor[] = [];
    const cn: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const sfx = `_l${layer}${dir ? '_reverse' : ''}`;
        const k = layer * dirs + dir;
        const wHh = this.getParameter(`weight_hh${sfx}`);
        const bHh = this.maybe(`bias_hh${sfx}`);
        const wHr = this.maybe(`weight_hr${sfx}`);
        // The input part of every step's gates in one matmul.
        const In = input.shape[2]!;
        const gx = affine(
          input.reshape([T * N, In]),
          this.getParameter(`weight_ih${sfx}`),
          inputBias(mode, this.maybe(`bias_ih${sfx}`), bHh),
        ).reshape([T, N, -1]);
        // One tape node for all steps' slices (core's unbind), not T slices that each send back a
        // zero-padded full-size gradient.
        const gxs = unbind(gx, 0);
        let h = hs0[k] ?? zeros([N, out]);
        let c: Tensor | null = mode === 'LSTM' ? (cs0[k] ?? zeros([N, H])) : null;
        const ys: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          [h, c] = step(mode, gxs[t]!, h, c, wHh, bHh, wHr);
          ys[t] = h;
        }
        outs.push(T > 0 ? stack(ys, 0) : zeros([0, N, out]));
        hn.push(h);
        if (c) cn.push(c);
      }
      input = dirs === 2 ? concat(outs, 2) : outs[0]!;
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1)
        input = dropout(input, this.dropout, { training: true, seed: this.#gen });
    }
    let output = input;
    let hOut = stack(hn, 0);
    let cOut = cn.length ? stack(cn, 0) : null;
    if (unbatched) {
      output = output.squeeze(1);
      hOut = hOut.squeeze(1);
      cOut = cOut ? cOut.squeeze(1) : null;
    } else if (this.batchFirst) output = output.transpose(0, 1);
    return [output, hOut, cOut];
  }

  /**
   * Run the stack over a PackedSequence: per step only the `batchSizes[t]` sequences still running
   * take part (the batch is sorted longest first, so they are the leading rows), the others keep
   * their state, so each final state is taken at its sequence's true last step (the backward
   * direction starts each sequence at its own last step). Initial and final states are in the
   * original batch order, as PyTorch's.
   */
  protected runPacked(
    x: PackedSequence,
    h0: Tensor | null,
    c0: Tensor | null,
  ): [PackedSequence, Tensor, Tensor | null] {
    const op = this.constructor.name;
    const mode = this.#mode;
    const data = x.data.cast('float32');
    if (data.rank !== 2 || data.shape[1] !== this.inputSize)
      throw new RangeError(
        `${op}: packed data must be [Σ lengths, ${this.inputSize}], got ${fmtShape(x.data.shape)}`,
      );
    const bs = Array.from(x.batchSizes);
    const T = bs.length;
    const N = T ? bs[0]! : 0;
    const dirs = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    const out = this.projSize || H;
    const perm = x.sortedIndices ? tensor(Array.from(x.sortedIndices), { dtype: 'int32' }) : null;
    const states = (s: Tensor | null, size: number, what: string): Tensor[] => {
      const want = [this.numLayers * dirs, N, size];
      if (!s) return [];
      if (s.rank !== 3 || s.shape.some((d, i) => d !== want[i]))
        throw new RangeError(`${op}: ${what} must be ${fmtShape(want)}, got ${fmtShape(s.shape)}`);
      // To the sorted order the packed data is in.
      return unbind(perm ? s.cast('float32').indexSelect(1, perm) : s.cast('float32'), 0);
    };
    const hs0 = states(h0, out, 'h0');
    const cs0 = mode === 'LSTM' ? states(c0, H, 'c0') : [];
    /** The first n rows of s, and s with its first n rows replaced by r. */
    const head = (s: Tensor, n: number) => (n === s.shape[0] ? s : s.slice([0, n]));
    const merge = (s: Tensor, r: Tensor, n: number) =>
      n === s.shape[0] ? r : concat([r, s.slice([n, s.shape[0]!])], 0);

    let input = data;
    const hn: Tensor[] = [];
    const cn: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const sfx = `_l${layer}${dir ? '_reverse' : ''}`;
        const k = layer * dirs + dir;
        const wHh = this.getParameter(`weight_hh${sfx}`);
        const bHh = this.maybe(`bias_hh${sfx}`);
        const wHr = this.maybe(`weight_hr${sfx}`);
        const gx = affine(
          input,
          this.getParameter(`weight_ih${sfx}`),
          inputBias(mode, this.maybe(`bias_ih${sfx}`), bHh),
        );
        const gxs = T ? split(gx, bs, 0) : [];
        let h = hs0[k] ?? zeros([N, out]);
        let c: Tensor | null = mode === 'LSTM' ? (cs0[k] ?? zeros([N, H])) : null;
        const ys: Tensor[] = new Array(T);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          const n = bs[t]!;
          const [h2, c2] = step(mode, gxs[t]!, head(h, n), c ? head(c, n) : null, wHh, bHh, wHr);
          ys[t] = h2;
          h = merge(h, h2, n);
          if (c && c2) c = merge(c, c2, n);
        }
        outs.push(T ? concat(ys, 0) : zeros([0, out]));
        hn.push(h);
        if (c) cn.push(c);
      }
      input = dirs === 2 ? concat(outs, 1) : outs[0]!;
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1)
        input = dropout(input, this.dropout, { training: true, seed: this.#gen });
    }
    const unperm = x.unsortedIndices ? tensor(Array.from(x.unsortedIndices), { dtype: 'int32' }) : null;
    const back = (s: Tensor) => (unperm ? s.indexSelect(1, unperm) : s);
    const hOut = back(stack(hn, 0));
    const cOut = cn.length ? back(stack(cn, 0)) : null;
    return [packedSequence(input, x.batchSizes, x.sortedIndices, x.unsortedIndices), hOut, cOut];
  }
}

/**
 * Elman RNN (torch.nn.RNN) with tanh (default) or relu.
 *
 * @example
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const [output, hn] = rnn.forward(x);   // x [seq, batch, 10] → output [seq, batch, 20], hn [2, batch, 20]
 */
export class RNN extends RNNBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RNNOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new RangeError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${nl}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
  }

  /** Padded input (a PackedSequence given here at run time goes to {@link forwardPacked}). */
  forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    if (isPackedSequence(x)) return this.forwardPacked(x, h0) as unknown as [Tensor, Tensor];
    const [out, h] = this.run(x, h0 ?? null, null);
    return [out, h];
  }

  /**
   * A packed batch (PyTorch's forward with a PackedSequence): returns the packed outputs and the
   * final states [layers·dirs, batch, hidden], each taken at its sequence's last step, in the
   * original batch order.
   */
  forwardPacked(x: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor] {
    const [out, h] = this.runPacked(x, h0 ?? null, null);
    return [out, h];
  }
}

/**
 * Long short-term memory (torch.nn.LSTM; Hochreiter & Schmidhuber, 1997), gate order i, f, g, o.
 * `projSize` > 0 adds PyTorch's output projection (`weight_hr_l{k}`), so h has projSize features.
 *
 * @example
 * const lstm = new LSTM(8, 16, { batchFirst: true, bidirectional: true });
 * const [out, [hn, cn]] = lstm.forward(x);   // x [batch, seq, 8] → out [batch, seq, 32]
 */
export class LSTM extends RNNBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RNNOptions & {
      projSize?: number;
      /**
       * Start every layer's forget-gate bias at this value instead of PyTorch's U(±1/√hidden)
       * (Jozefowicz et al., 2015, recommend 1: remember by default early in training). The
       * effective forget bias b_ih + b_hh is set: b_ih's forget slice to forgetBias, b_hh's to 0.
       * Default: off (PyTorch's initialisation, which has no such option). Needs bias.
       */
      forgetBias?: number;
    } = {},
  ) {
    super('LSTM', inputSize, hiddenSize, options);
    if (options.forgetBias !== undefined) {
      const fb = options.forgetBias;
      if (!Number.isFinite(fb)) throw new RangeError(`LSTM: forgetBias must be a finite number, got ${fb}`);
      if (!this.bias) throw new RangeError('LSTM: forgetBias needs bias: true (the layer has no biases)');
      setForgetBias(this, hiddenSize, fb);
    }
  }

  /** Padded input (a PackedSequence given here at run time goes to {@link forwardPacked}). */
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    if (isPackedSequence(x)) return this.forwardPacked(x, state) as unknown as [Tensor, [Tensor, Tensor]];
    const [out, h, c] = this.run(x, state?.[0] ?? null, state?.[1] ?? null);
    return [out, [h, c!]];
  }

  /**
   * A packed batch (PyTorch's forward with a PackedSequence): returns the packed outputs and the
   * final [h, c], each taken at its sequence's last step, in the original batch order.
   */
  forwardPacked(
    x: PackedSequence,
    state?: readonly [Tensor, Tensor] | null,
  ): [PackedSequence, [Tensor, Tensor]] {
    const [out, h, c] = this.runPacked(x, state?.[0] ?? null, state?.[1] ?? null);
    return [out, [h, c!]];
  }
}

/** Set the forget slice [H, 2H) of every bias_ih (to fb) and bias_hh (to 0) of an LSTM stack. */
function setForgetBias(m: Module, H: number, fb: number): void {
  for (const [name, p] of m.namedParameters()) {
    const isIh = name.startsWith('bias_ih');
    if (!isIh && !name.startsWith('bias_hh')) continue;
    const v = Float32Array.from(p.dataSync() as Float32Array);
    v.fill(isIh ? fb : 0, H, 2 * H);
    scope(() => p.assign(tensor(v, { shape: p.shape })));
  }
}

/** Gated recurrent unit (torch.nn.GRU; Cho et al., 2014), gate order r, z, n; h' = (1 − z)·n + z·h. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  /** Padded input (a PackedSequence given here at run time goes to {@link forwardPacked}). */
  forward(x: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    if (isPackedSequence(x)) return this.forwardPacked(x, h0) as unknown as [Tensor, Tensor];
    const [out, h] = this.run(x, h0 ?? null, null);
    return [out, h];
  }

  /**
   * A packed batch (PyTorch's forward with a PackedSequence): returns the packed outputs and the
   * final states [layers·dirs, batch, hidden], each taken at its sequence's last step, in the
   * original batch order.
   */
  forwardPacked(x: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor] {
    const [out, h] = this.runPacked(x, h0 ?? null, null);
    return [out, h];
  }
}

// ---------------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------------

abstract class CellBase extends Module {
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  readonly #mode: Mode;

  protected constructor(
    mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: { bias?: boolean; seed?: Seed },
  ) {
    super();
    const op = new.target.name;
    positiveInt(op, inputSize, 'inputSize');
    positiveInt(op, hiddenSize, 'hiddenSize');
    this.#mode = mode;
    const gen = generatorFrom(options.seed);
    const gate = GATES[mode] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    this.weight_ih = param(uniformTensor([gate, inputSize], bound, gen));
    this.weight_hh = param(uniformTensor([gate, hiddenSize], bound, gen));
    const bias = options.bias ?? true;
    this.bias_ih = bias ? param(uniformTensor([gate], bound, gen)) : null;
    this.bias_hh = bias ? param(uniformTensor([gate], bound, gen)) : null;
  }

  get weightIh(): Parameter {
    return this.weight_ih;
  }
  get weightHh(): Parameter {
    return this.weight_hh;
  }
  get biasIh(): Parameter | null {
    return this.bias_ih;
  }
  get biasHh(): Parameter | null {
    return this.bias_hh;
  }

  protected cell(x: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    const op = this.constructor.name;
    if ((x.rank !== 1 && x.rank !== 2) || x.shape[x.rank - 1] !== this.inputSize)
      throw new RangeError(
        `${op}: input must be [batch, ${this.inputSize}] or [${this.inputSize}], got ${fmtShape(x.shape)}`,
      );
    const unbatched = x.rank === 1;
    const x2 = (unbatched ? x.unsqueeze(0) : x).cast('float32');
    const N = x2.shape[0]!;
    const prep = (s: Tensor | null): Tensor => {
      if (!s) return zeros([N, this.hiddenSize]);
      const s2 = unbatched ? s.unsqueeze(0) : s;
      if (s2.rank !== 2 || s2.shape[0] !== N || s2.shape[1] !== this.hiddenSize)
        throw new RangeError(`${op}: state must be [${N}, ${this.hiddenSize}], got ${fmtShape(s.shape)}`);
      return s2;
    };
    const gx = affine(x2, this.weight_ih, inputBias(this.#mode, this.bias_ih, this.bias_hh));
    let [h2, c2] = step(
      this.#mode,
      gx,
      prep(h),
      this.#mode === 'LSTM' ? prep(c) : null,
      this.weight_hh,
      this.bias_hh,
      null,
    );
    if (unbatched) {
      h2 = h2.squeeze(0);
      c2 = c2 ? c2.squeeze(0) : null;
    }
    return [h2, c2];
  }
}

/** One step of an Elman RNN (torch.nn.RNNCell): h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh). */
export class RNNCell extends CellBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: { bias?: boolean; nonlinearity?: 'tanh' | 'relu'; seed?: Seed } = {},
  ) {
    super(
      (options.nonlinearity ?? 'tanh') === 'tanh' ? 'RNN_TANH' : 'RNN_RELU',
      inputSize,
      hiddenSize,
      options,
    );
  }

  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.cell(x, h ?? null, null)[0];
  }
}

/** One LSTM step (torch.nn.LSTMCell): returns [h', c']. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; seed?: Seed } = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [h, c] = this.cell(x, state?.[0] ?? null, state?.[1] ?? null);
    return [h, c!];
  }
}

/** One GRU step (torch.nn.GRUCell). */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; seed?: Seed } = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.cell(x, h ?? null, null)[0];
  }
}
