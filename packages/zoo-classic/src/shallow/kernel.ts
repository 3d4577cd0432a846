import {
  argmax,
  Module,
  noGrad,
  type Parameter,
  scope,
  type Tensor,
  tensor,
  type Variable,
  zeros,
} from '@myelin/core';
import { isBinaryLoss, type LinearLoss, linearLoss } from './linear.js';
import { checkFeatures, checkLabels } from './preprocess.js';
import { type GradientOptions, gradientDescent } from './train.js';
import { buffer, param } from './util.js';

/** A positive-definite kernel `k(a, b)`. */
export type Kernel =
  /** `exp(−γ‖a − b‖²)`. */
  | { kind: 'rbf'; gamma: number }
  /** `(γ·a·b + coef0)^degree`. */
  | { kind: 'polynomial'; degree: number; gamma: number; coef0: number }
  /** `a·b`. */
  | { kind: 'linear' };

function checkKernel(op: string, k: Kernel): void {
  if (k.kind === 'linear') return;
  if (!(k.gamma > 0)) throw new RangeError(`${op}: the ${k.kind} kernel's gamma must be > 0, got ${k.gamma}`);
  if (k.kind === 'polynomial') {
    if (!Number.isInteger(k.degree) || k.degree < 1)
      throw new RangeError(`${op}: the polynomial kernel's degree must be an integer ≥ 1, got ${k.degree}`);
    if (!(k.coef0 >= 0))
      throw new RangeError(`${op}: the polynomial kernel's coef0 must be ≥ 0, got ${k.coef0}`);
  } else if (k.kind !== 'rbf') {
    throw new RangeError(
      `${op}: unknown kernel ${JSON.stringify((k as { kind: unknown }).kind)}; expected rbf, polynomial or linear`,
    );
  }
}

/**
 * The Gram matrix `K[i, j] = k(a_i, b_j)` of rows `a` `[N, D]` and `b` `[M, D]`, as tensor ops (so
 * differentiable in both). The RBF kernel uses `‖a‖² + ‖b‖² − 2a·b`, clamped at 0 against rounding.
 */
export function kernelMatrix(a: Tensor, b: Tensor, kernel: Kernel): Tensor {
  const op = 'kernelMatrix';
  checkKernel(op, kernel);
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
    throw new RangeError(
      `${op}: expected rows [N, D] and [M, D], got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  }
  const dot = a.matmul(b, { transposeB: true });
  switch (kernel.kind) {
    case 'linear':
      return dot;
    case 'polynomial':
      return dot.mul(kernel.gamma).add(kernel.coef0).pow(kernel.degree);
    case 'rbf': {
      const aa = a.square().sum(1, { keepdims: true });
      const bb = b.square().sum(1).reshape([1, -1]);
      return aa.add(bb).sub(dot.mul(2)).relu().mul(-kernel.gamma).exp();
    }
  }
}

export interface KernelSVMOptions {
  /** Squared hinge instead of hinge (binary), or squared Weston–Watkins terms (multiclass). */
  squared?: boolean;
}

/**
 * A kernel SVM as a network over kernel features: the hidden layer computes `k(x, s_j)` against
 * every training row `s_j` (the `support` buffer, fixed), the output layer is linear,
 * `f(x) = Σ_j α_j·k(x, s_j) + b`, with `weight` = α `[outputs, N]`. By the representer theorem the
 * SVM's solution has this form, so training α by (sub)gradient descent on
 * `mean hinge + ½λ·Σ_c α_cᵀKα_c` (the RKHS norm) solves the SVM in the primal (Chapelle, 2007)
 * — no QP solver, the same optimisers as every other network here. After training most α_j are
 * small rather than exactly 0 (gradient descent gives no exact sparsity, unlike SMO).
 * Two classes: one output; more: Weston–Watkins, one output per class.
 */
export class KernelSVM extends Module {
  support: Variable;
  weight: Parameter;
  bias: Parameter;
  readonly kernel: Kernel;
  readonly inFeatures: number;
  readonly outputs: number;
  readonly loss: LinearLoss;

  constructor(
    support: Float32Array,
    inFeatures: number,
    classes: number,
    kernel: Kernel,
    options: KernelSVMOptions = {},
  ) {
    super();
    const op = 'KernelSVM';
    checkKernel(op, kernel);
    const n = checkFeatures(op, support, inFeatures);
    if (n === 0) throw new RangeError(`${op}: got 0 support rows, expected at least 1`);
    if (!Number.isInteger(classes) || classes < 2)
      throw new RangeError(`${op}: classes must be an integer ≥ 2, got ${classes}`);
    const sq = options.squared ?? false;
    this.loss =
      classes === 2 ? (sq ? 'squared-hinge' : 'hinge') : sq ? 'weston-watkins-squared' : 'weston-watkins';
    this.kernel = kernel;
    this.inFeatures = inFeatures;
    this.outputs = classes === 2 ? 1 : classes;
    this.support = buffer(tensor(support, { shape: [n, inFeatures] }));
    this.weight = param(zeros([this.outputs, n]));
    this.bias = param(zeros([this.outputs]));
  }

  get classes(): number {
    return this.outputs === 1 ? 2 : this.outputs;
  }

  /** The kernel features `k(x, s_j)`, `[N, supportCount]`. */
  features(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(`KernelSVM: input must be [N, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    return kernelMatrix(x, this.support, this.kernel);
  }

  forward(x: Tensor): Tensor {
    return this.features(x).matmul(this.weight, { transposeB: true }).add(this.bias);
  }

  /** Class predictions for host rows `x` (`[N, inFeatures]`). */
  async predict(x: Float32Array): Promise<Int32Array> {
    const n = checkFeatures('KernelSVM.predict', x, this.inFeatures);
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

export interface TrainKernelSVMOptions extends GradientOptions {
  /** λ of the RKHS-norm penalty `½λ·Σ_c α_cᵀKα_c` (default 1e-3). sklearn's C is about `1/(λN)`. */
  l2?: number;
}

/**
 * Train a `KernelSVM` on its own support rows with labels `y` (`0 … classes−1`, one per support
 * row): the Gram matrix `K` is computed once, then α and b follow (sub)gradient descent on
 * the mean hinge loss of `K·αᵀ + b` plus the RKHS penalty. Returns the mean objective per epoch.
 */
export async function trainKernelSVM(
  model: KernelSVM,
  y: Int32Array,
  options: TrainKernelSVMOptions,
): Promise<number[]> {
  const op = 'trainKernelSVM';
  const n = model.support.shape[0]!;
  checkLabels(op, y, n, model.classes);
  const l2 = options.l2 ?? 1e-3;
  if (!(l2 >= 0)) throw new RangeError(`${op}: l2 must be ≥ 0, got ${l2}`);
  if (!isBinaryLoss(model.loss) && model.outputs < 3) throw new RangeError(`${op}: inconsistent model`);
  const K = noGrad(() => scope(() => kernelMatrix(model.support, model.support, model.kernel)));
  const Y = tensor(y, { shape: [n], dtype: 'int32' });
  try {
    return await gradientDescent(
      op,
      [model.weight, model.bias],
      (kb, yb) => {
        const scores = kb.matmul(model.weight, { transposeB: true }).add(model.bias);
        const l = linearLoss(model.loss, scores, yb);
        if (l2 === 0) return l;
        // Σ_c α_c·K·α_cᵀ = sum((α·K) ⊙ α).
        return l.add(
          model.weight
            .matmul(K)
            .mul(model.weight)
            .sum()
            .mul(l2 / 2),
        );
      },
      K,
      Y,
      options,
    );
  } finally {
    K.dispose();
    Y.dispose();
  }
}
