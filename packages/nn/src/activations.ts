/**
 * Activation layers: one module per activation of `@myelin/core` (PyTorch's class names and
 * defaults), plus Softmax/LogSoftmax/Softmin, PReLU, Maxout and the shrink/threshold family.
 * Each is stateless except PReLU (a learned `weight`).
 */
import {
  abs,
  celu,
  elu,
  fmtShape,
  full,
  gelu,
  hardSigmoid,
  hardSwish,
  hardTanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  Module,
  mish,
  type Parameter,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softplus,
  softsign,
  type Tensor,
  tanh,
  where,
} from '@myelin/core';
import { param, positiveInt } from './util.js';

/** max(0, x); relu'(0) = 0 as PyTorch. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** min(max(0, x), 6). */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** x for x > 0, negativeSlope·x otherwise (default slope 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** x for x > 0, α·(eˣ − 1) otherwise (Clevert et al., 2015). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

/** Scaled ELU with the self-normalising constants (Klambauer et al., 2017). */
export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** x for x > 0, α·(e^{x/α} − 1) otherwise (Barron, 2017). */
export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
}

/** x·Φ(x) (Hendrycks & Gimpel, 2016); `approximate: 'tanh'` uses the tanh formula. */
export class GELU extends Module {
  constructor(readonly options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    const a = options.approximate;
    if (a !== undefined && a !== 'none' && a !== 'tanh')
      throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got ${String(a)}`);
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.options);
  }
}

/** x·σ(x) (swish). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** x·tanh(softplus(x)) (Misra, 2019). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * log(1 + e^{βx})/β, and x where βx > threshold (torch.nn.Softplus: β = 1, threshold = 20).
 */
export function softplusWith(x: Tensor, beta = 1, threshold = 20): Tensor {
  const bx = beta === 1 ? x.cast('float32') : x.mul(beta);
  const sp = beta === 1 ? softplus(bx) : softplus(bx).div(beta);
  return where(bx.greater(threshold), x.cast('float32'), sp);
}

export class Softplus extends Module {
  constructor(readonly options: { beta?: number; threshold?: number } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softplusWith(x, this.options.beta ?? 1, this.options.threshold ?? 20);
  }
}

/** x / (1 + |x|). */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/** 0 below −3, 1 above 3, x/6 + 1/2 between (PyTorch's Hardsigmoid). */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}

/** x·hardsigmoid(x) (Howard et al., 2019). */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardSwish(x);
  }
}

/** Clamp to [minVal, maxVal] (default [−1, 1]); the gradient passes strictly inside. */
export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
    if (!(maxVal > minVal))
      throw new RangeError(
        `Hardtanh: maxVal must be greater than minVal, got minVal ${minVal}, maxVal ${maxVal}`,
      );
  }
  forward(x: Tensor): Tensor {
    return hardTanh(x, this.minVal, this.maxVal);
  }
}

/** log σ(x). */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

/**
 * The dim of Softmax/LogSoftmax/Softmin is required. PyTorch 1.13 accepts `dim=None` and then
 * picks one by a deprecated legacy rule (dim 0 for 0-, 1- and 3-D input, else 1, with a warning):
 * for a batch of sequences [N, L, C] that normalises over the batch. Myelin refuses instead.
 */
function requiredDim(layer: string, dim: unknown): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new TypeError(
      `${layer}: dim is required (an integer; -1 for the last axis), got ${String(dim)}. PyTorch 1.13's implicit ` +
        'choice (dim 0 for 0-, 1- and 3-D input, else 1) is deprecated there and not copied here',
    );
  return dim;
}

/** Softmax along `dim` (required: see the note on PyTorch's implicit dim above). */
export class Softmax extends Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = requiredDim('Softmax', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/** Log-softmax along `dim` (required). */
export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = requiredDim('LogSoftmax', dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}

/** softmax(−x) along `dim` (required). */
export class Softmin extends Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = requiredDim('Softmin', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x.neg(), this.dim);
  }
}

/** x − tanh(x). */
export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return x.sub(tanh(x));
  }
}

/** x − λ·sign(x) where |x| > λ, else 0 (default λ = 0.5). */
export class Softshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    const l = this.lambd;
    return where(x.greater(l), x.sub(l), where(x.less(-l), x.add(l), 0));
  }
}

/** x where |x| > λ, else 0 (default λ = 0.5). */
export class Hardshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return where(abs(x).greater(this.lambd), x.cast('float32'), 0);
  }
}

/** x where x > threshold, else `value` (torch.nn.Threshold). */
export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return where(x.greater(this.threshold), x.cast('float32'), this.value);
  }
}

/** Gated linear unit (Dauphin et al., 2017): a·σ(b) for the two halves a, b of `dim` (default −1). */
export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    const n = x.shape[d];
    if (n === undefined || n % 2 !== 0)
      throw new RangeError(`GLU: dim ${this.dim} of ${fmtShape(x.shape)} must have an even size`);
    const [a, b] = x.split(n / 2, d) as [Tensor, Tensor];
    return a.mul(sigmoid(b));
  }
}

/**
 * Parametric ReLU (He et al., 2015), as torch.nn.PReLU: x for x > 0, a·x otherwise, with `weight`
 * a learned slope — one shared (numParameters = 1) or one per channel (dim 1 of the input).
 */
export class PReLU extends Module {
  weight: Parameter;

  /** Number of learned slopes (PyTorch's num_parameters). */
  readonly numSlopes: number;

  constructor(numParameters = 1, init = 0.25) {
    super();
    this.numSlopes = positiveInt('PReLU', numParameters, 'numParameters');
    this.weight = param(full([numParameters], init));
  }

  forward(x: Tensor): Tensor {
    let w: Tensor = this.weight;
    if (this.numSlopes > 1) {
      const ch = x.rank >= 2 ? 1 : 0;
      if (x.shape[ch] !== this.numSlopes)
        throw new RangeError(
          `PReLU: input has ${x.shape[ch]} channels (shape ${fmtShape(x.shape)}) but the layer has ${this.numSlopes} slopes`,
        );
      w = w.reshape(x.shape.map((d, i) => (i === ch ? d : 1)));
    }
    const xf = x.cast('float32');
    return where(xf.greater(0), xf, xf.mul(w));
  }
}

/**
 * Maxout (Goodfellow et al., 2013): dim `axis` (default 1, the channels) of size units·pieces is
 * split into `units` groups of `pieces` consecutive entries and each group is reduced by max. Put a
 * Linear/Conv with units·pieces outputs in front of it for the classic maxout layer.
 */
export class Maxout extends Module {
  constructor(
    readonly pieces: number,
    readonly axis = 1,
  ) {
    super();
    positiveInt('Maxout', pieces, 'pieces');
  }
  forward(x: Tensor): Tensor {
    const a = this.axis < 0 ? this.axis + x.rank : this.axis;
    const n = x.shape[a];
    if (n === undefined || n % this.pieces !== 0)
      throw new RangeError(
        `Maxout: dim ${this.axis} of ${fmtShape(x.shape)} must be a multiple of pieces = ${this.pieces}`,
      );
    const grouped = x.reshape([
      ...x.shape.slice(0, a),
      n / this.pieces,
      this.pieces,
      ...x.shape.slice(a + 1),
    ]);
    return grouped.max(a + 1);
  }
}
