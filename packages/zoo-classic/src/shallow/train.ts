import { Generator, indexSelect, scope, type Tensor, tensor, type Variable } from '@myelin/core';
import { Adam, SGD } from '@myelin/optim';
import { type LinearLoss, type LinearModel, linearLoss } from './linear.js';
import { checkFeatures, checkLabels } from './preprocess.js';

/** How a shallow network is trained by (sub)gradient descent. */
export interface GradientOptions {
  /** Passes over the rows. */
  epochs: number;
  /** Learning rate. */
  lr: number;
  /** Rows per step; 0 (default) = the whole set per step (batch gradient descent). */
  batchSize?: number;
  /** `'sgd'` (default, with `momentum`) or `'adam'`. */
  optimizer?: 'sgd' | 'adam';
  /** SGD momentum (default 0). */
  momentum?: number;
  /** Seeds the mini-batch order (default 0). */
  seed?: number;
  /** Called after every epoch with its mean objective (loss + penalty). */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Stops between steps when aborted (the loop then throws the signal's reason). */
  signal?: AbortSignal;
}

/**
 * The loop every gradient-trained shallow model shares: `objective(xb, yb)` (a one-element
 * tensor) minimised over `parameters` by SGD or Adam, in mini-batches of the rows of `x` and `y`.
 * Each step runs in a `scope`, so the live tensor count is the same after every epoch. Returns the
 * mean objective of each epoch.
 */
export async function gradientDescent(
  op: string,
  parameters: Variable[],
  objective: (xb: Tensor, yb: Tensor) => Tensor,
  x: Tensor,
  y: Tensor,
  options: GradientOptions,
): Promise<number[]> {
  const { epochs, lr } = options;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new RangeError(`${op}: epochs must be an integer ≥ 1, got ${epochs}`);
  if (!(lr > 0)) throw new RangeError(`${op}: lr must be > 0, got ${lr}`);
  const n = x.shape[0]!;
  if (n === 0) throw new RangeError(`${op}: got 0 rows, expected at least 1`);
  const batch = options.batchSize ? Math.min(options.batchSize, n) : n;
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`${op}: batchSize must be a non-negative integer, got ${options.batchSize}`);
  const optimizer =
    options.optimizer === 'adam'
      ? new Adam(parameters, { lr })
      : new SGD(parameters, { lr, momentum: options.momentum ?? 0 });
  const gen = new Generator(options.seed ?? 0);
  const history: number[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = batch === n ? null : gen.permutation(n);
      let total = 0;
      for (let start = 0; start < n; start += batch) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error(`${op}: stopped`);
        const end = Math.min(n, start + batch);
        const loss = scope(() => {
          optimizer.zeroGrad();
          let xb = x;
          let yb = y;
          if (order) {
            const idx = tensor(order.subarray(start, end), { shape: [end - start], dtype: 'int32' });
            xb = indexSelect(x, 0, idx);
            yb = indexSelect(y, 0, idx);
          }
          const l = objective(xb, yb);
          l.backward();
          optimizer.step();
          return l;
        });
        try {
          total += (await loss.data())[0]! * (end - start);
        } finally {
          loss.dispose();
        }
      }
      const mean = total / n;
      if (!Number.isFinite(mean))
        throw new RangeError(`${op}: the objective diverged (${mean}) in epoch ${epoch}; lower lr`);
      history.push(mean);
      options.onEpoch?.(epoch, mean);
    }
  } finally {
    // Leave no gradients behind: the model holds its parameters only.
    optimizer.zeroGrad({ setToNone: true });
    optimizer.dispose();
  }
  return history;
}

export interface TrainLinearOptions extends GradientOptions {
  /** The loss (default the model's own, `model.loss`). */
  loss?: LinearLoss;
  /** L2 penalty `½·l2·‖W‖²` on the weights (not the bias); the SVM's λ. Default 0. */
  l2?: number;
}

/**
 * Train a linear model (`Adaline`, `LogisticRegression`, `SoftmaxRegression`, `LinearSVM`, or a
 * `Perceptron` on its criterion) by (sub)gradient descent on host rows `x` (`[N, inFeatures]`)
 * and labels `y` (`0 … classes−1`). Returns the mean objective per epoch.
 *
 * @example
 * const svm = new LinearSVM(4, 3);
 * await trainLinear(svm, x, y, { epochs: 200, lr: 0.1, l2: 1e-3 });
 */
export async function trainLinear(
  model: LinearModel,
  x: Float32Array,
  y: Int32Array,
  options: TrainLinearOptions,
): Promise<number[]> {
  const op = `trainLinear(${model.constructor.name})`;
  const n = checkFeatures(op, x, model.inFeatures);
  checkLabels(op, y, n, model.classes);
  const l2 = options.l2 ?? 0;
  if (!(l2 >= 0)) throw new RangeError(`${op}: l2 must be ≥ 0, got ${l2}`);
  const kind = options.loss ?? model.loss;
  const X = tensor(x, { shape: [n, model.inFeatures] });
  const Y = tensor(y, { shape: [n], dtype: 'int32' });
  try {
    return await gradientDescent(
      op,
      model.parameters(),
      (xb, yb) => {
        const l = linearLoss(kind, model.forward(xb), yb);
        return l2 > 0
          ? l.add(
              model.weight
                .square()
                .sum()
                .mul(l2 / 2),
            )
          : l;
      },
      X,
      Y,
      options,
    );
  } finally {
    X.dispose();
    Y.dispose();
  }
}

export interface PerceptronOptions {
  /** Passes over the rows (stops early after a pass without a mistake). */
  epochs: number;
  /** Step size η of the rule `w ← w + η·t·x` (default 1; with a zero start its scale does not matter). */
  lr?: number;
  /**
   * Gallant's (1990) pocket: keep the weights that made the fewest training mistakes so far
   * (checked after every update), and end with those. Default true.
   */
  pocket?: boolean;
  /** Seeds the order of the rows in each pass (default 0). */
  seed?: number;
}

/** What `trainPerceptron` did. */
export interface PerceptronResult {
  /** Training mistakes of the final weights' predictions, after each pass. */
  errors: number[];
  /** Updates made in all. */
  updates: number;
  /** Training mistakes of the weights it ends with (the pocket's, when on). */
  finalErrors: number;
}

/**
 * Rosenblatt's perceptron rule on a binary `Perceptron`: for each row in turn (a fresh random order
 * each pass), when `t·(w·x + b) ≤ 0` with `t = ±1`, update `w ← w + η·t·x`, `b ← b + η·t`. On
 * linearly separable data it stops after finitely many updates (Novikoff, 1962); on other data the
 * pocket keeps the best weights seen. Runs on the host in float64 (the rule is a sequence of
 * single-row updates, not a batched gradient), then writes the weights into the model.
 */
export function trainPerceptron(
  model: LinearModel,
  x: Float32Array,
  y: Int32Array,
  options: PerceptronOptions,
): PerceptronResult {
  const op = 'trainPerceptron';
  if (model.outputs !== 1)
    throw new RangeError(`${op}: needs a one-output (binary) model, got ${model.outputs} outputs`);
  const d = model.inFeatures;
  const n = checkFeatures(op, x, d);
  checkLabels(op, y, n, 2);
  if (n === 0) throw new RangeError(`${op}: got 0 rows, expected at least 1`);
  const { epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new RangeError(`${op}: epochs must be an integer ≥ 1, got ${epochs}`);
  const lr = options.lr ?? 1;
  if (!(lr > 0)) throw new RangeError(`${op}: lr must be > 0, got ${lr}`);
  const pocket = options.pocket ?? true;
  const w = new Float64Array(d + 1); // weights, then the bias
  const mistakes = (v: Float64Array) => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      let s = v[d]!;
      for (let j = 0; j < d; j++) s += v[j]! * x[i * d + j]!;
      if ((2 * y[i]! - 1) * s <= 0) m++;
    }
    return m;
  };
  let best = Float64Array.from(w);
  let bestErrors = mistakes(w);
  const gen = new Generator(options.seed ?? 0);
  const errors: number[] = [];
  let updates = 0;
  for (let epoch = 0; epoch < epochs && bestErrors > 0; epoch++) {
    let changed = false;
    for (const i of gen.permutation(n)) {
      const t = 2 * y[i]! - 1;
      let s = w[d]!;
      for (let j = 0; j < d; j++) s += w[j]! * x[i * d + j]!;
      if (t * s > 0) continue;
      for (let j = 0; j < d; j++) w[j]! += lr * t * x[i * d + j]!;
      w[d]! += lr * t;
      updates++;
      changed = true;
      if (pocket) {
        const e = mistakes(w);
        if (e < bestErrors) {
          bestErrors = e;
          best = Float64Array.from(w);
        }
      }
    }
    errors.push(mistakes(w));
    if (!changed) break;
  }
  const final = pocket ? best : w;
  scope(() => {
    model.weight.assign(tensor(Float32Array.from(final.subarray(0, d)), { shape: [1, d] }));
    model.bias.assign(tensor(Float32Array.of(final[d]!), { shape: [1] }));
  });
  return { errors, updates, finalErrors: mistakes(final) };
}
