import { fmtShape, Generator, Module, noGrad, type Seed, scope, type Tensor, tensor } from '@myelin/core';
import { Linear, LSTM } from '@myelin/nn';
import { generatorOf } from './attention.js';

/**
 * A DeepAR-style forecaster (Salinas et al. 2020, "DeepAR: probabilistic forecasting with
 * autoregressive recurrent networks"): an LSTM reads, at each step t, the previous value z_{t−1}
 * and the covariates of step t, and emits the mean μ_t and scale σ_t = softplus(·) of a Gaussian
 * over z_t. Training maximises the likelihood of the observed values (teacher forcing); forecasts
 * are sample paths, each sample fed back as the next input, so intervals come from the paths.
 */

/** ½·log(2π). */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The mean Gaussian negative log-likelihood log σ + (y − μ)²/(2σ²) + ½ log 2π over every element
 * (`torch.nn.GaussianNLLLoss(full=True)` with variance σ²).
 */
export function gaussianNll(mu: Tensor, sigma: Tensor, target: Tensor): Tensor {
  const op = 'gaussianNll';
  for (const [name, t] of [
    ['sigma', sigma],
    ['target', target],
  ] as const) {
    if (t.shape.length !== mu.shape.length || t.shape.some((d, i) => d !== mu.shape[i])) {
      throw new RangeError(
        `${op}: ${name} has shape ${fmtShape(t.shape)}, expected the mean's ${fmtShape(mu.shape)}`,
      );
    }
  }
  return sigma.log().add(target.sub(mu).div(sigma).square().mul(0.5)).add(HALF_LOG_2PI).mean();
}

export interface GaussianLstmOptions {
  /** Covariates per step, beside the previous value (default 0). */
  covariates?: number;
  /** LSTM units (default 32). */
  hiddenSize?: number;
  /** Stacked LSTM layers (default 1). */
  numLayers?: number;
  seed?: Seed;
}

/** What the network says about every step of a sequence. */
export interface GaussianOutput {
  /** `[B, T]` means. */
  mu: Tensor;
  /** `[B, T]` scales, > 0. */
  sigma: Tensor;
  /** The LSTM state after the last step. */
  state: [Tensor, Tensor];
}

/** The network of a DeepAR-style model: LSTM → (μ, softplus → σ) per step. */
export class GaussianLstm extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly lstm: LSTM;
  readonly mu: Linear;
  readonly sigma: Linear;

  constructor(options: GaussianLstmOptions = {}) {
    super();
    const gen = generatorOf(options.seed);
    this.inputSize = 1 + (options.covariates ?? 0);
    this.hiddenSize = options.hiddenSize ?? 32;
    this.numLayers = options.numLayers ?? 1;
    this.lstm = new LSTM(this.inputSize, this.hiddenSize, {
      batchFirst: true,
      numLayers: this.numLayers,
      seed: gen.fork(),
    });
    this.mu = new Linear(this.hiddenSize, 1, { seed: gen.fork() });
    this.sigma = new Linear(this.hiddenSize, 1, { seed: gen.fork() });
  }

  /** Inputs `[B, T, 1 + covariates]` (previous value first), optional LSTM state `[layers, B, H]` ×2. */
  forward(inputs: Tensor, state?: readonly [Tensor, Tensor] | null): GaussianOutput {
    const op = 'GaussianLstm.forward';
    if (inputs.rank !== 3 || inputs.shape[2] !== this.inputSize) {
      throw new RangeError(
        `${op}: inputs should be [batch, steps, ${this.inputSize}] (previous value + ${this.inputSize - 1} covariates), got ${fmtShape(inputs.shape)}`,
      );
    }
    if (state) {
      const want = [this.numLayers, inputs.shape[0]!, this.hiddenSize];
      for (const [i, t] of state.entries()) {
        if (t.rank !== 3 || t.shape.some((d, k) => d !== want[k])) {
          throw new RangeError(
            `${op}: the LSTM state ${i === 0 ? 'h' : 'c'} should be [${want.join(', ')}], got ${fmtShape(t.shape)}`,
          );
        }
      }
    }
    const [out, next] = this.lstm.forward(inputs, state ?? null);
    const mu = this.mu.forward(out).squeeze(2);
    // A floor keeps the likelihood finite when a scale collapses.
    const sigma = this.sigma.forward(out).squeeze(2).softplus().add(1e-3);
    return { mu, sigma, state: next };
  }
}

/**
 * Teacher-forcing inputs of a series: row i of the result holds `[z_{i−1}, covariates(i)…]` for
 * i in `[start, end)`, so the network at step i sees the value before it and predicts z_i.
 * `covariates` is `[n, c]` row-major for every index of `z` (and beyond, for forecasts).
 */
export function laggedInputs(
  z: ArrayLike<number>,
  covariates: ArrayLike<number>,
  c: number,
  start: number,
  end: number,
): Float32Array {
  const op = 'laggedInputs';
  if (start < 1 || end > z.length + 1 || start > end) {
    throw new RangeError(
      `${op}: steps [${start}, ${end}) need values before them within 0 … ${z.length - 1}`,
    );
  }
  if (covariates.length < end * c) {
    throw new RangeError(
      `${op}: covariates cover ${covariates.length / Math.max(c, 1)} steps, ${end} needed`,
    );
  }
  const out = new Float32Array((end - start) * (1 + c));
  for (let i = start; i < end; i++) {
    const r = (i - start) * (1 + c);
    out[r] = z[i - 1]!;
    for (let k = 0; k < c; k++) out[r + 1 + k] = covariates[i * c + k]!;
  }
  return out;
}

/**
 * Sample paths of the next `horizon` values after the series `z` (`context` last values read):
 * the network reads the context, then each step draws z ~ N(μ, σ²) for every path and feeds the
 * draw back. `covariates` (`[n, c]`) must cover `z.length + horizon` steps. Returns `[samples, horizon]`.
 */
export async function samplePaths(
  model: GaussianLstm,
  z: ArrayLike<number>,
  covariates: ArrayLike<number>,
  options: { context: number; horizon: number; samples: number; seed?: number },
): Promise<Float64Array> {
  const op = 'samplePaths';
  const c = model.inputSize - 1;
  const { context, horizon, samples } = options;
  if (!Number.isInteger(context) || context < 1 || context >= z.length) {
    throw new RangeError(
      `${op}: context must be an integer in [1, ${z.length}) for ${z.length} values, got ${context}`,
    );
  }
  if (covariates.length < (z.length + horizon) * c) {
    throw new RangeError(
      `${op}: covariates cover ${covariates.length / Math.max(c, 1)} steps; the forecast needs ${z.length + horizon}`,
    );
  }
  const gen = new Generator(options.seed ?? 0);
  const n = z.length;
  const paths = new Float64Array(samples * horizon);
  // Read the context once (batch 1), then carry its state into every path.
  const ctxInputs = laggedInputs(z, covariates, c, n - context, n);
  let state = noGrad(() =>
    scope(() => {
      const x = tensor(ctxInputs, { shape: [1, context, 1 + c] });
      const { state: s } = model.forward(x);
      return [s[0].tile([1, samples, 1]), s[1].tile([1, samples, 1])] as [Tensor, Tensor];
    }),
  );
  try {
    const prev = new Float32Array(samples).fill(z[n - 1]!);
    for (let h = 0; h < horizon; h++) {
      const step = new Float32Array(samples * (1 + c));
      for (let s = 0; s < samples; s++) {
        step[s * (1 + c)] = prev[s]!;
        for (let k = 0; k < c; k++) step[s * (1 + c) + 1 + k] = covariates[(n + h) * c + k]!;
      }
      const out = noGrad(() =>
        scope(() => {
          const o = model.forward(tensor(step, { shape: [samples, 1, 1 + c] }), state);
          return { mu: o.mu, sigma: o.sigma, state: o.state };
        }),
      );
      state[0].dispose();
      state[1].dispose();
      state = out.state;
      const [mu, sigma] = await Promise.all([out.mu.data(), out.sigma.data()]);
      out.mu.dispose();
      out.sigma.dispose();
      const eps = gen.normal(samples);
      for (let s = 0; s < samples; s++) {
        const v = mu[s]! + sigma[s]! * eps[s]!;
        prev[s] = v;
        paths[s * horizon + h] = v;
      }
    }
  } finally {
    state[0].dispose();
    state[1].dispose();
  }
  return paths;
}
