import { Generator } from '@myelin/core';

/**
 * Echo-state networks (Jaeger 2001; the recipe of Lukoševičius, "A practical guide to applying
 * echo state networks", 2012): a fixed random recurrent reservoir, scaled to a chosen spectral
 * radius, driven by the input; only the linear readout is trained, in closed form by ridge
 * regression. Everything runs on the host in float64: a reservoir of a few hundred units and a
 * few thousand steps is a few matrix–vector products per step, and the readout one small solve.
 *
 *   x̃_t = tanh(W_in [1; u_t] + W x_{t−1}),  x_t = (1 − a) x_{t−1} + a x̃_t      (guide eqs. 2–3)
 *   y_t = W_out [1; u_t; x_t],  W_out = argmin ‖Y − W_out Z‖² + β‖W_out‖²       (eqs. 4, 9)
 */

/**
 * The spectral radius max |λ_i| of a square row-major matrix, by Gelfand's formula
 * ρ = lim ‖Wᵏv‖^{1/k}: the mean log growth of a renormalised power iteration over `steps` steps
 * after `burnIn`. It needs no eigen-decomposition of a non-symmetric matrix and is exact in the
 * limit whether the dominant eigenvalue is real or a complex pair; the error is O(1/steps).
 */
export function spectralRadius(
  w: ArrayLike<number>,
  n: number,
  options: { steps?: number; burnIn?: number; seed?: number } = {},
): number {
  const op = 'spectralRadius';
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: n must be an integer ≥ 1, got ${n}`);
  if (w.length !== n * n)
    throw new RangeError(`${op}: a ${n}×${n} matrix needs ${n * n} values, got ${w.length}`);
  const steps = options.steps ?? 4000;
  const burnIn = options.burnIn ?? 500;
  const gen = new Generator(options.seed ?? 0);
  let v = Float64Array.from(gen.normal(n));
  let next = new Float64Array(n);
  let logGrowth = 0;
  for (let k = 0; k < burnIn + steps; k++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += w[i * n + j]! * v[j]!;
      next[i] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) return 0; // nilpotent along v: every further power is 0
    if (k >= burnIn) logGrowth += Math.log(norm);
    for (let i = 0; i < n; i++) next[i]! /= norm;
    [v, next] = [next, v];
  }
  return Math.exp(logGrowth / steps);
}

/**
 * Solve the ridge regression W = argmin ‖Y − Z W‖² + β‖W‖² in closed form, (ZᵀZ + βI) W = ZᵀY, by
 * Cholesky: `z` is `[rows, features]`, `y` `[rows, outputs]`, the result `[features, outputs]`.
 */
export function ridgeRegression(
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  features: number,
  outputs: number,
  beta: number,
): Float64Array {
  const op = 'ridgeRegression';
  if (z.length !== rows * features) {
    throw new RangeError(
      `${op}: the design matrix should be ${rows}×${features} (${rows * features} values), got ${z.length}`,
    );
  }
  if (y.length !== rows * outputs) {
    throw new RangeError(
      `${op}: the targets should be ${rows}×${outputs} (${rows * outputs} values), got ${y.length}`,
    );
  }
  if (!(beta >= 0)) throw new RangeError(`${op}: beta must be ≥ 0, got ${beta}`);
  const f = features;
  const a = new Float64Array(f * f);
  const b = new Float64Array(f * outputs);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < f; i++) {
      const zi = z[r * f + i]!;
      if (zi === 0) continue;
      for (let j = 0; j <= i; j++) a[i * f + j]! += zi * z[r * f + j]!;
      for (let o = 0; o < outputs; o++) b[i * outputs + o]! += zi * y[r * outputs + o]!;
    }
  }
  for (let i = 0; i < f; i++) a[i * f + i]! += beta;
  // Cholesky A = L Lᵀ on the lower triangle, then two triangular solves.
  const l = new Float64Array(f * f);
  for (let i = 0; i < f; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * f + j]!;
      for (let k = 0; k < j; k++) s -= l[i * f + k]! * l[j * f + k]!;
      if (i === j) {
        if (!(s > 0)) {
          throw new RangeError(
            `${op}: ZᵀZ + βI is not positive definite (pivot ${i}); raise beta (got ${beta})`,
          );
        }
        l[i * f + i] = Math.sqrt(s);
      } else l[i * f + j] = s / l[j * f + j]!;
    }
  }
  for (let o = 0; o < outputs; o++) {
    for (let i = 0; i < f; i++) {
      let s = b[i * outputs + o]!;
      for (let k = 0; k < i; k++) s -= l[i * f + k]! * b[k * outputs + o]!;
      b[i * outputs + o] = s / l[i * f + i]!;
    }
    for (let i = f - 1; i >= 0; i--) {
      let s = b[i * outputs + o]!;
      for (let k = i + 1; k < f; k++) s -= l[k * f + i]! * b[k * outputs + o]!;
      b[i * outputs + o] = s / l[i * f + i]!;
    }
  }
  return b;
}

export interface EchoStateOptions {
  /** Inputs per step (default 1). */
  inputSize?: number;
  /** Reservoir units N (default 200). */
  reservoirSize?: number;
  /** The spectral radius W is scaled to (default 0.9; below 1 for the echo-state property in practice). */
  spectralRadius?: number;
  /** W_in ~ U(−s, s), bias column included (default 1). */
  inputScaling?: number;
  /** Leaking rate a in (0, 1] (default 1: no leak). */
  leakRate?: number;
  /** Share of non-zero reservoir weights (default 0.1). */
  density?: number;
  /** Ridge penalty β of the readout (default 1e-6). */
  ridge?: number;
  seed?: number;
}

/** Explicit weights, row-major: `win` is `[N, 1 + inputSize]` (bias column first), `w` is `[N, N]`. */
export interface EchoStateWeights {
  inputSize: number;
  reservoirSize: number;
  win: Float64Array;
  w: Float64Array;
  leakRate?: number;
  ridge?: number;
}

/**
 * An echo-state network with a ridge-regression readout.
 *
 * @example
 * const esn = new EchoStateNetwork({ reservoirSize: 200, spectralRadius: 0.9, seed: 1 });
 * esn.fit(u, y, 1, 50);                   // u, y: [T] one input and one target per step; 50 washout steps
 * const { outputs } = esn.run(uTest, 1, esn.lastState);
 */
export class EchoStateNetwork {
  readonly inputSize: number;
  readonly reservoirSize: number;
  readonly leakRate: number;
  readonly ridge: number;
  /** `[N, 1 + inputSize]`: bias column, then one column per input. */
  readonly win: Float64Array;
  /** `[N, N]`, scaled to the requested spectral radius. */
  readonly w: Float64Array;
  /** `[outputs, 1 + inputSize + N]` once fitted. */
  wout: Float64Array | null = null;
  outputSize = 0;
  /** The reservoir state after the last `fit` or `run`. */
  lastState: Float64Array;

  constructor(options: EchoStateOptions | EchoStateWeights = {}) {
    const op = 'EchoStateNetwork';
    if ('win' in options) {
      const { inputSize, reservoirSize: n, win, w } = options;
      if (win.length !== n * (1 + inputSize)) {
        throw new RangeError(
          `${op}: win should be [${n}, ${1 + inputSize}] (${n * (1 + inputSize)} values), got ${win.length}`,
        );
      }
      if (w.length !== n * n)
        throw new RangeError(`${op}: w should be [${n}, ${n}] (${n * n} values), got ${w.length}`);
      this.inputSize = inputSize;
      this.reservoirSize = n;
      this.win = Float64Array.from(win);
      this.w = Float64Array.from(w);
      this.leakRate = options.leakRate ?? 1;
      this.ridge = options.ridge ?? 1e-6;
    } else {
      this.inputSize = options.inputSize ?? 1;
      const n = (this.reservoirSize = options.reservoirSize ?? 200);
      if (!Number.isInteger(n) || n < 1)
        throw new RangeError(`${op}: reservoirSize must be an integer ≥ 1, got ${n}`);
      if (!Number.isInteger(this.inputSize) || this.inputSize < 1) {
        throw new RangeError(`${op}: inputSize must be an integer ≥ 1, got ${this.inputSize}`);
      }
      const rho = options.spectralRadius ?? 0.9;
      if (!(rho > 0)) throw new RangeError(`${op}: spectralRadius must be > 0, got ${rho}`);
      const density = options.density ?? 0.1;
      if (!(density > 0 && density <= 1))
        throw new RangeError(`${op}: density must be in (0, 1], got ${density}`);
      this.leakRate = options.leakRate ?? 1;
      this.ridge = options.ridge ?? 1e-6;
      const gen = new Generator(options.seed ?? 0);
      const s = options.inputScaling ?? 1;
      this.win = Float64Array.from(gen.uniform(n * (1 + this.inputSize)), (r) => (2 * r - 1) * s);
      const vals = gen.uniform(n * n);
      const keep = gen.uniform(n * n);
      this.w = Float64Array.from(vals, (r, i) => (keep[i]! < density ? r - 0.5 : 0));
      const current = spectralRadius(this.w, n, { seed: (options.seed ?? 0) + 1 });
      if (current > 0) for (let i = 0; i < this.w.length; i++) this.w[i]! *= rho / current;
    }
    if (!(this.leakRate > 0 && this.leakRate <= 1)) {
      throw new RangeError(`${op}: leakRate must be in (0, 1], got ${this.leakRate}`);
    }
    this.lastState = new Float64Array(this.reservoirSize);
  }

  /** One reservoir update from state `x` (read) into `out` (written) for input `u` (`inputSize` values). */
  step(x: Float64Array, u: ArrayLike<number>, out: Float64Array): void {
    const n = this.reservoirSize;
    const k = 1 + this.inputSize;
    const a = this.leakRate;
    for (let i = 0; i < n; i++) {
      let s = this.win[i * k]!;
      for (let j = 0; j < this.inputSize; j++) s += this.win[i * k + 1 + j]! * u[j]!;
      for (let j = 0; j < n; j++) s += this.w[i * n + j]! * x[j]!;
      out[i] = (1 - a) * x[i]! + a * Math.tanh(s);
    }
  }

  #checkState(op: string, x0: ArrayLike<number> | undefined): Float64Array {
    if (x0 === undefined) return new Float64Array(this.reservoirSize);
    if (x0.length !== this.reservoirSize) {
      throw new RangeError(
        `${op}: the initial state has ${x0.length} values, expected the reservoir size ${this.reservoirSize}`,
      );
    }
    return Float64Array.from(x0);
  }

  #checkInputs(op: string, inputs: ArrayLike<number>): number {
    if (inputs.length % this.inputSize !== 0) {
      throw new RangeError(
        `${op}: ${inputs.length} input values is not a whole number of steps of ${this.inputSize}`,
      );
    }
    return inputs.length / this.inputSize;
  }

  /** Reservoir states `[T, N]` driven by `inputs` (`[T, inputSize]`) from `x0` (default zeros). */
  states(inputs: ArrayLike<number>, x0?: ArrayLike<number>): Float64Array {
    const op = 'EchoStateNetwork.states';
    const steps = this.#checkInputs(op, inputs);
    const n = this.reservoirSize;
    const out = new Float64Array(steps * n);
    let x: Float64Array = this.#checkState(op, x0);
    const u = new Float64Array(this.inputSize);
    for (let t = 0; t < steps; t++) {
      for (let j = 0; j < this.inputSize; j++) u[j] = inputs[t * this.inputSize + j]!;
      const row = out.subarray(t * n, (t + 1) * n);
      this.step(x, u, row);
      x = row;
    }
    if (steps > 0) this.lastState = Float64Array.from(x);
    return out;
  }

  /** The readout's features [1; u_t; x_t] of every step, `[T, 1 + inputSize + N]`. */
  #features(inputs: ArrayLike<number>, states: Float64Array, steps: number, from: number): Float64Array {
    const n = this.reservoirSize;
    const d = 1 + this.inputSize + n;
    const z = new Float64Array((steps - from) * d);
    for (let t = from; t < steps; t++) {
      const r = (t - from) * d;
      z[r] = 1;
      for (let j = 0; j < this.inputSize; j++) z[r + 1 + j] = inputs[t * this.inputSize + j]!;
      z.set(states.subarray(t * n, (t + 1) * n), r + 1 + this.inputSize);
    }
    return z;
  }

  /**
   * Drive the reservoir with `inputs` (`[T, inputSize]`) from zeros, drop the first `washout`
   * steps, and fit the readout to `targets` (`[T, outputSize]`) by ridge regression.
   */
  fit(inputs: ArrayLike<number>, targets: ArrayLike<number>, outputSize: number, washout = 0): this {
    const op = 'EchoStateNetwork.fit';
    const steps = this.#checkInputs(op, inputs);
    if (targets.length !== steps * outputSize) {
      throw new RangeError(
        `${op}: ${steps} input steps need ${steps * outputSize} target values (${outputSize} per step), got ${targets.length}`,
      );
    }
    if (!Number.isInteger(washout) || washout < 0 || washout >= steps) {
      throw new RangeError(
        `${op}: washout must be an integer in [0, ${steps}) for ${steps} steps, got ${washout}`,
      );
    }
    const states = this.states(inputs);
    const d = 1 + this.inputSize + this.reservoirSize;
    const z = this.#features(inputs, states, steps, washout);
    const y = Float64Array.from(
      { length: (steps - washout) * outputSize },
      (_, i) => targets[washout * outputSize + i]!,
    );
    const wt = ridgeRegression(z, y, steps - washout, d, outputSize, this.ridge);
    // Store as [outputs, d] (the guide's W_out).
    this.wout = new Float64Array(outputSize * d);
    for (let i = 0; i < d; i++)
      for (let o = 0; o < outputSize; o++) this.wout[o * d + i] = wt[i * outputSize + o]!;
    this.outputSize = outputSize;
    return this;
  }

  /** Readout of one step's features: `outputSize` values. */
  readout(u: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const wout = this.wout;
    if (!wout) throw new Error('EchoStateNetwork.readout: the readout is not fitted yet; call fit first');
    const d = 1 + this.inputSize + this.reservoirSize;
    const y = new Float64Array(this.outputSize);
    for (let o = 0; o < this.outputSize; o++) {
      let s = wout[o * d]!;
      for (let j = 0; j < this.inputSize; j++) s += wout[o * d + 1 + j]! * u[j]!;
      for (let j = 0; j < this.reservoirSize; j++) s += wout[o * d + 1 + this.inputSize + j]! * x[j]!;
      y[o] = s;
    }
    return y;
  }

  /** Drive with `inputs` from `x0` and read out every step: outputs `[T, outputSize]`. */
  run(inputs: ArrayLike<number>, x0?: ArrayLike<number>): Float64Array {
    const op = 'EchoStateNetwork.run';
    if (!this.wout) throw new Error(`${op}: the readout is not fitted yet; call fit first`);
    const steps = this.#checkInputs(op, inputs);
    const states = this.states(inputs, this.#checkState(op, x0));
    const out = new Float64Array(steps * this.outputSize);
    const n = this.reservoirSize;
    for (let t = 0; t < steps; t++) {
      const u = Array.prototype.slice.call(inputs, t * this.inputSize, (t + 1) * this.inputSize) as number[];
      out.set(this.readout(u, states.subarray(t * n, (t + 1) * n)), t * this.outputSize);
    }
    return out;
  }

  /**
   * Run free for `steps` steps from state `x0` (the state before `u0`) and input `u0`, feeding each output back as
   * the next input (a generative, iterated multi-step forecast; needs outputSize = inputSize).
   */
  generate(x0: ArrayLike<number>, u0: ArrayLike<number>, steps: number): Float64Array {
    const op = 'EchoStateNetwork.generate';
    if (!this.wout) throw new Error(`${op}: the readout is not fitted yet; call fit first`);
    if (this.outputSize !== this.inputSize) {
      throw new RangeError(
        `${op}: feeding outputs back needs outputSize = inputSize, got ${this.outputSize} and ${this.inputSize}`,
      );
    }
    if (u0.length !== this.inputSize)
      throw new RangeError(`${op}: u0 has ${u0.length} values, expected ${this.inputSize}`);
    let x: Float64Array = this.#checkState(op, x0);
    let next: Float64Array = new Float64Array(this.reservoirSize);
    let u: Float64Array = Float64Array.from(u0);
    const out = new Float64Array(steps * this.outputSize);
    for (let t = 0; t < steps; t++) {
      this.step(x, u, next);
      [x, next] = [next, x];
      u = this.readout(u, x);
      out.set(u, t * this.outputSize);
    }
    return out;
  }
}
