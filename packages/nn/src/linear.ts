import { fmtShape, Module, type Parameter, type Seed, type Tensor } from '@myelin/core';
import { defaultWeightAndBias, generatorFrom, param, positiveInt, uniformTensor } from './util.js';

export interface LinearOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Seed of the default initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/**
 * y = x·Wᵀ + b over the last dim, as torch.nn.Linear: `weight` is [out, in], `bias` [out].
 * Initialised as PyTorch: W ~ kaiming_uniform(a = √5) = U(±1/√in), b ~ U(±1/√in).
 *
 * @example
 * const fc = new Linear(784, 10, { seed: 0 });
 * const logits = fc.forward(x);          // x [N, 784] → [N, 10]
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = positiveInt('Linear', inFeatures, 'inFeatures');
    this.outFeatures = positiveInt('Linear', outFeatures, 'outFeatures');
    const { weight, bias } = defaultWeightAndBias(
      [outFeatures, inFeatures],
      inFeatures,
      (options.bias ?? true) ? outFeatures : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1];
    if (x.rank === 0 || n !== this.inFeatures) {
      throw new RangeError(
        `Linear: input has ${n ?? 'no'} features in its last dim (shape ${fmtShape(x.shape)}) but the layer expects ${this.inFeatures}`,
      );
    }
    const y = x.matmul(this.weight, { transposeB: true });
    return this.bias ? y.add(this.bias) : y;
  }
}

/**
 * y = x1ᵀ·A·x2 + b, as torch.nn.Bilinear: `weight` is [out, in1, in2], `bias` [out]; both
 * initialised U(±1/√in1). Inputs are [..., in1] and [..., in2] with the same leading dims.
 */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly in1Features: number,
    readonly in2Features: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    for (const [v, what] of [
      [in1Features, 'in1Features'],
      [in2Features, 'in2Features'],
      [outFeatures, 'outFeatures'],
    ] as const)
      positiveInt('Bilinear', v, what);
    const gen = generatorFrom(options.seed);
    const bound = 1 / Math.sqrt(in1Features);
    this.weight = param(uniformTensor([outFeatures, in1Features, in2Features], bound, gen));
    this.bias = (options.bias ?? true) ? param(uniformTensor([outFeatures], bound, gen)) : null;
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    const lead = x1.shape.slice(0, -1);
    if (
      x1.shape[x1.rank - 1] !== this.in1Features ||
      x2.shape[x2.rank - 1] !== this.in2Features ||
      x2.rank !== x1.rank ||
      lead.some((d, i) => d !== x2.shape[i])
    ) {
      throw new RangeError(
        `Bilinear: inputs must be [..., ${this.in1Features}] and [..., ${this.in2Features}] with equal leading dims, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`,
      );
    }
    const [O, I, J] = [this.outFeatures, this.in1Features, this.in2Features];
    const a = x1.reshape([-1, I]);
    const b = x2.reshape([-1, J]);
    // (x1 · W[i, (o, j)]) then contract j with x2.
    const w = this.weight.permute([1, 0, 2]).reshape([I, O * J]);
    let y = a.matmul(w).reshape([-1, O, J]).mul(b.unsqueeze(1)).sum(-1);
    if (this.bias) y = y.add(this.bias);
    return y.reshape([...lead, O]);
  }
}

/** Returns its input (torch.nn.Identity); constructor arguments are accepted and ignored. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Merge dims startDim..endDim into one (torch.nn.Flatten: defaults 1 and −1, keeping the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** Split dim `dim` into `sizes` (torch.nn.Unflatten; one size may be −1). */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(
    readonly dim: number,
    sizes: readonly number[],
  ) {
    super();
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    if (d < 0 || d >= x.rank)
      throw new RangeError(`Unflatten: dim ${this.dim} is out of range for ${fmtShape(x.shape)}`);
    return x.reshape([...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
}
