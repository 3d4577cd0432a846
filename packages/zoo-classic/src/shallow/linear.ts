import {
  argmax,
  Generator,
  Module,
  noGrad,
  type Parameter,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '@myelin/core';
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  hingeLoss,
  multiMarginLoss,
  squaredHingeLoss,
} from '@myelin/nn';
import { checkFeatures } from './preprocess.js';
import { param } from './util.js';

/**
 * The linear classifiers of the textbooks as one-layer networks: scores `s = x·Wᵀ + b`, with
 * `weight` `[outputs, inFeatures]` and `bias` `[outputs]` (torch.nn.Linear's names and layout).
 * A binary model has one output (class 1 when `s > 0`); a multiclass one has one output per class
 * (the class of the largest score). What tells them apart is the loss they are trained on
 * (`LinearLoss`) and, for the perceptron, the update rule (`trainPerceptron`).
 */

/**
 * The training criterion of a linear model, with `t = ±1` the binary target (`t = 2y − 1`):
 *
 * - `'perceptron'`: `max(0, −t·s)`, Rosenblatt's criterion (Duda, Hart & Stork §5.5).
 * - `'squared'`: `½ (t − s)²`, Widrow & Hoff's LMS / Adaline.
 * - `'logistic'`: `log(1 + e^{−t·s})`, logistic regression.
 * - `'softmax'`: cross-entropy of `softmax(s)`, softmax (multinomial logistic) regression.
 * - `'hinge'`, `'squared-hinge'`: `max(0, 1 − t·s)` (and its square), the binary linear SVM.
 * - `'weston-watkins'`, `'weston-watkins-squared'`: `Σ_{j≠y} max(0, 1 − s_y + s_j)` (and squared
 *   terms), the multiclass SVM of Weston & Watkins (1999). torch.nn.MultiMarginLoss divides this by
 *   the class count; we do not, as the paper.
 */
export type LinearLoss =
  | 'perceptron'
  | 'squared'
  | 'logistic'
  | 'softmax'
  | 'hinge'
  | 'squared-hinge'
  | 'weston-watkins'
  | 'weston-watkins-squared';

const BINARY_LOSSES: readonly LinearLoss[] = ['perceptron', 'squared', 'logistic', 'hinge', 'squared-hinge'];

/** Whether `loss` trains a one-output (binary) model. */
export const isBinaryLoss = (loss: LinearLoss) => BINARY_LOSSES.includes(loss);

/**
 * The mean loss of `scores` (`[N, 1]` binary, `[N, C]` multiclass) against int32 class labels `y`
 * (`[N]`: 0/1 for binary losses, `0 … C−1` otherwise).
 */
export function linearLoss(kind: LinearLoss, scores: Tensor, y: Tensor): Tensor {
  const n = scores.shape[0];
  if (scores.rank !== 2 || y.rank !== 1 || y.shape[0] !== n) {
    throw new RangeError(
      `linearLoss: expected scores [N, C] and labels [N], got [${scores.shape.join(', ')}] and [${y.shape.join(', ')}]`,
    );
  }
  if (isBinaryLoss(kind)) {
    if (scores.shape[1] !== 1) {
      throw new RangeError(
        `linearLoss: the '${kind}' loss is binary and needs scores [N, 1], got [${scores.shape.join(', ')}]`,
      );
    }
    const s = scores.reshape([-1]);
    const y01 = y.cast('float32');
    const t = y01.mul(2).sub(1);
    switch (kind) {
      case 'perceptron':
        return t.mul(s).neg().relu().mean();
      case 'squared':
        return t.sub(s).square().mean().mul(0.5);
      case 'logistic':
        return binaryCrossEntropyWithLogits(s, y01);
      case 'hinge':
        return hingeLoss(s, t);
      default:
        return squaredHingeLoss(s, t);
    }
  }
  if (kind === 'softmax') return crossEntropy(scores, y);
  const c = scores.shape[1]!;
  return multiMarginLoss(scores, y, { p: kind === 'weston-watkins' ? 1 : 2 }).mul(c);
}

export interface LinearModelOptions {
  /** Seeds the initial weights (default: zeros, the textbooks' start). */
  seed?: number;
}

/** Scores `x·Wᵀ + b` of a linear model; see the file's comment. */
export class LinearModel extends Module {
  weight: Parameter;
  bias: Parameter;
  readonly inFeatures: number;
  readonly outputs: number;
  /** What it is trained on (`trainLinear`) unless told otherwise. */
  readonly loss: LinearLoss;

  constructor(inFeatures: number, outputs: number, loss: LinearLoss, options: LinearModelOptions = {}) {
    super();
    const name = this.constructor.name;
    if (!Number.isInteger(inFeatures) || inFeatures < 1)
      throw new RangeError(`${name}: inFeatures must be a positive integer, got ${inFeatures}`);
    if (!Number.isInteger(outputs) || outputs < 1)
      throw new RangeError(`${name}: outputs must be a positive integer, got ${outputs}`);
    if (isBinaryLoss(loss) !== (outputs === 1)) {
      throw new RangeError(
        `${name}: the '${loss}' loss needs ${isBinaryLoss(loss) ? 'one output (binary)' : 'one output per class (≥ 2)'}, got ${outputs}`,
      );
    }
    this.inFeatures = inFeatures;
    this.outputs = outputs;
    this.loss = loss;
    if (options.seed === undefined) {
      this.weight = param(zeros([outputs, inFeatures]));
    } else {
      // Small random weights (N(0, 0.01²)), for losses whose zero start is a saddle.
      const g = new Generator(options.seed);
      this.weight = param(tensor(g.normal(outputs * inFeatures, 0, 0.01), { shape: [outputs, inFeatures] }));
    }
    this.bias = param(zeros([outputs]));
  }

  /** The number of classes it tells apart (2 for a one-output model). */
  get classes(): number {
    return this.outputs === 1 ? 2 : this.outputs;
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(
        `${this.constructor.name}: input must be [N, ${this.inFeatures}], got [${x.shape.join(', ')}]`,
      );
    }
    return x.matmul(this.weight, { transposeB: true }).add(this.bias);
  }

  /** Class predictions for host rows `x` (`[N, inFeatures]` row-major). */
  async predict(x: Float32Array): Promise<Int32Array> {
    const n = checkFeatures(`${this.constructor.name}.predict`, x, this.inFeatures);
    if (n === 0) return new Int32Array(0);
    const p = noGrad(() =>
      scope(() => {
        const s = this.forward(tensor(x, { shape: [n, this.inFeatures] }));
        return this.outputs === 1 ? s.reshape([-1]).greater(0).cast('int32') : argmax(s, 1);
      }),
    );
    try {
      return Int32Array.from(await p.data());
    } finally {
      p.dispose();
    }
  }
}

/** Rosenblatt's perceptron (binary, one output; `trainPerceptron`, optionally with the pocket). */
export class Perceptron extends LinearModel {
  constructor(inFeatures: number, options: LinearModelOptions = {}) {
    super(inFeatures, 1, 'perceptron', options);
  }
}

/** Widrow & Hoff's Adaline: a linear unit trained on the squared error (LMS), thresholded at 0. */
export class Adaline extends LinearModel {
  constructor(inFeatures: number, options: LinearModelOptions = {}) {
    super(inFeatures, 1, 'squared', options);
  }
}

/** Binary logistic regression: `P(y = 1 | x) = σ(s)`. */
export class LogisticRegression extends LinearModel {
  constructor(inFeatures: number, options: LinearModelOptions = {}) {
    super(inFeatures, 1, 'logistic', options);
  }
}

/** Softmax (multinomial logistic) regression: `P(y = c | x) = softmax(s)_c`. */
export class SoftmaxRegression extends LinearModel {
  constructor(inFeatures: number, classes: number, options: LinearModelOptions = {}) {
    super(inFeatures, classes, 'softmax', options);
  }
}

export interface LinearSVMOptions extends LinearModelOptions {
  /** Squared hinge (L2-SVM) instead of the hinge (L1-SVM). Default false. */
  squared?: boolean;
}

/**
 * A linear SVM as a one-layer network: hinge (or squared hinge) loss plus `½λ‖W‖²` (pass `l2` to
 * `trainLinear`). Two classes: one output; more: Weston–Watkins multiclass, one output per class.
 */
export class LinearSVM extends LinearModel {
  constructor(inFeatures: number, classes: number, options: LinearSVMOptions = {}) {
    if (!Number.isInteger(classes) || classes < 2)
      throw new RangeError(`LinearSVM: classes must be an integer ≥ 2, got ${classes}`);
    const sq = options.squared ?? false;
    const loss: LinearLoss =
      classes === 2 ? (sq ? 'squared-hinge' : 'hinge') : sq ? 'weston-watkins-squared' : 'weston-watkins';
    super(inFeatures, classes === 2 ? 1 : classes, loss, options);
  }
}
