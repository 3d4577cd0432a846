/**
 * Regularizers of the books' chapter 5 (Aggarwal §5.4–5.5, §5.9; Goodfellow et al. ch. 7) that are
 * not a loss term: the max-norm constraint, DropConnect, Gaussian input noise, weight noise,
 * stochastic depth (torchvision.ops) and soft weight sharing (Nowlan & Hinton, 1992).
 * The penalty functions (L1/L2, KL sparsity, contractive) are in `penalties.ts`.
 */
import {
  bernoulli,
  concat,
  fmtShape,
  full,
  type Generator,
  linspace,
  logSoftmax,
  logSumExp,
  Module,
  noGrad,
  norm,
  Parameter,
  randn,
  type Seed,
  scope,
  type Tensor,
  tensor,
  type Variable,
  where,
  zeros,
} from '@myelin/core';
import { generatorFrom, type Layer, param, positiveInt } from './util.js';

function checkProbability(op: string, p: number): number {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`${op}: p (the drop probability) must be in [0, 1], got ${p}`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Max-norm constraint

/**
 * The max-norm constraint (Srebro & Shraibman 2005; used with dropout by Srivastava et al. 2014,
 * §5.1): rescale in place every slice of each tensor along `dim` whose `normType`-norm exceeds
 * `maxValue` back to that norm, as `torch.renorm(w, p, dim, maxValue)` — a slice with norm n > max
 * is multiplied by max / (n + 1e-7). With PyTorch's layouts the default `dim = 0` constrains the
 * incoming weights of each unit: a row of a Linear weight [out, in], a filter of a Conv weight.
 * Call it after `optimizer.step()` (or give `maxNormConstraint(...)` to fit's `afterStep`); pass
 * weights only: a tensor of rank < 2 is refused, as by torch.renorm.
 *
 * @example
 * opt.step();
 * maxNorm_(model.parameters().filter((p) => p.rank >= 2), 3);
 */
export function maxNorm_(
  params: Iterable<Variable> | Variable,
  maxValue: number,
  dim = 0,
  normType = 2,
): void {
  if (!(maxValue >= 0)) throw new RangeError(`maxNorm_: maxValue must be ≥ 0, got ${maxValue}`);
  if (!(normType > 0)) throw new RangeError(`maxNorm_: normType must be > 0, got ${normType}`);
  const list = Symbol.iterator in params ? [...(params as Iterable<Variable>)] : [params as Variable];
  noGrad(() =>
    scope(() => {
      for (const p of list) {
        if (p.rank < 2)
          throw new RangeError(
            `maxNorm_: needs tensors of at least 2 dims (weights, as torch.renorm), got ${fmtShape(p.shape)}`,
          );
        const d = dim < 0 ? dim + p.rank : dim;
        if (!(Number.isInteger(d) && d >= 0 && d < p.rank))
          throw new RangeError(
            `maxNorm_: dim ${dim} is out of range for a tensor of shape ${fmtShape(p.shape)}`,
          );
        const others = p.shape.map((_, i) => i).filter((i) => i !== d);
        const n = norm(p, normType, others, { keepdims: true });
        const scale = where(n.greater(maxValue), n.add(1e-7).reciprocal().mul(maxValue), 1);
        p.assign(p.mul(scale));
      }
    }),
  );
}

/**
 * A max-norm constraint for a whole model, to run after every optimizer step (fit's `afterStep`):
 * applies `maxNorm_` to every parameter whose own name is in `names` (default: `weight`) and whose
 * rank is at least 2, so biases and norm-layer scales are left alone.
 */
export function maxNormConstraint(
  maxValue: number,
  options: { dim?: number; normType?: number; names?: readonly string[] } = {},
): (model: Module) => void {
  if (!(maxValue >= 0)) throw new RangeError(`maxNormConstraint: maxValue must be ≥ 0, got ${maxValue}`);
  const names = new Set(options.names ?? ['weight']);
  return (model) => {
    const picked = model
      .namedParameters()
      .filter(([name, p]) => names.has(name.slice(name.lastIndexOf('.') + 1)) && p.rank >= 2)
      .map(([, p]) => p);
    maxNorm_(picked, maxValue, options.dim ?? 0, options.normType ?? 2);
  };
}

// ---------------------------------------------------------------------------------------------
// Wrappers that change a module's weights for one forward

/** Every (owner, key) of a Parameter named in `names` in the subtree of `root`. */
function weightSlots(op: string, root: Module, names: readonly string[]): [Module, string][] {
  const slots: [Module, string][] = [];
  for (const [, m] of root.namedModules()) {
    for (const key of names) {
      const v = (m as unknown as Record<string, unknown>)[key];
      if (v instanceof Parameter) slots.push([m, key]);
    }
  }
  if (slots.length === 0)
    throw new TypeError(
      `${op}: the wrapped module has no parameter named ${names.map((n) => `'${n}'`).join(' or ')}`,
    );
  return slots;
}

/** Run `fn` with each slot's parameter replaced by `replace(parameter)`, then put the parameters back. */
function withReplaced<T>(slots: [Module, string][], replace: (p: Parameter) => Tensor, fn: () => T): T {
  const saved = slots.map(([m, k]) => (m as unknown as Record<string, Parameter>)[k]!);
  try {
    slots.forEach(([m, k], i) => {
      (m as unknown as Record<string, Tensor>)[k] = replace(saved[i]!);
    });
    return fn();
  } finally {
    slots.forEach(([m, k], i) => {
      (m as unknown as Record<string, Tensor>)[k] = saved[i]!;
    });
  }
}

export interface WeightWrapperOptions {
  /** Names of the parameters to act on, in the wrapped module and its children (default `['weight']`). */
  names?: readonly string[];
  /** Randomness (a number seeds one generator at construction; see `DropoutOptions`). */
  seed?: Seed;
}

/**
 * DropConnect (Wan et al., 2013): while training, each weight of the wrapped layer (a Linear, a
 * Conv…) is dropped with probability `p` for this forward (one mask per call, shared by the
 * batch), without rescaling; in evaluation the layer uses the expected weights (1 − p)·W (the
 * paper's mean-network approximation of its inference rule). Biases are kept. The wrapped layer's
 * parameters keep their names under `module.` (`module.weight`).
 *
 * @example
 * const fc = new DropConnect(new Linear(784, 256), 0.5, { seed: 1 });
 */
export class DropConnect<M extends Layer = Layer> extends Module {
  readonly #gen: Generator | undefined;
  readonly #names: readonly string[];

  constructor(
    readonly module: M,
    readonly p = 0.5,
    options: WeightWrapperOptions = {},
  ) {
    super();
    checkProbability('DropConnect', p);
    this.#names = options.names ?? ['weight'];
    weightSlots('DropConnect', module, this.#names);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    const slots = weightSlots('DropConnect', this.module, this.#names);
    return scope(() =>
      withReplaced(
        slots,
        (w) =>
          this.training
            ? w.mul(bernoulli(1 - this.p, { shape: w.shape, seed: this.#gen }).cast('float32'))
            : w.mul(1 - this.p),
        () => this.module.forward(x),
      ),
    );
  }
}

/**
 * Weight-noise injection (Graves 2011; Aggarwal §5.4.2 "noise injection"): while training each
 * forward adds fresh N(0, σ²) noise to the wrapped module's weights (gradients reach the clean
 * weights, as for an additive reparameterisation); evaluation uses the clean weights.
 */
export class WeightNoise<M extends Layer = Layer> extends Module {
  readonly #gen: Generator | undefined;
  readonly #names: readonly string[];

  constructor(
    readonly module: M,
    readonly std: number,
    options: WeightWrapperOptions = {},
  ) {
    super();
    if (!(std >= 0)) throw new RangeError(`WeightNoise: std must be ≥ 0, got ${std}`);
    this.#names = options.names ?? ['weight'];
    weightSlots('WeightNoise', module, this.#names);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.std === 0) return this.module.forward(x);
    const slots = weightSlots('WeightNoise', this.module, this.#names);
    return scope(() =>
      withReplaced(
        slots,
        (w) => w.add(randn(w.shape, { std: this.std, seed: this.#gen })),
        () => this.module.forward(x),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Input noise and stochastic depth

/**
 * Additive Gaussian input noise (Keras's GaussianNoise; Aggarwal §5.4.1, Bishop 1995: training
 * with noise is Tikhonov regularization): x + N(0, std²) while training, the identity in evaluation.
 */
export class GaussianNoise extends Module {
  readonly #gen: Generator | undefined;

  constructor(
    readonly std: number,
    options: { seed?: Seed } = {},
  ) {
    super();
    if (!(std >= 0)) throw new RangeError(`GaussianNoise: std must be ≥ 0, got ${std}`);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.std === 0) return x;
    return scope(() => x.cast('float32').add(randn(x.shape, { std: this.std, seed: this.#gen })));
  }
}

export type StochasticDepthMode = 'row' | 'batch';

/**
 * Stochastic depth (Huang et al., 2016) as `torchvision.ops.stochastic_depth`: apply it to the
 * residual branch, `x + stochasticDepth(f(x), p, 'row')`. With `mode: 'row'` each sample of the
 * batch (dim 0) is zeroed with probability `p`, with `'batch'` the whole input at once; survivors
 * are scaled by 1/(1 − p). The identity when not training or p = 0.
 */
export function stochasticDepth(
  x: Tensor,
  p: number,
  mode: StochasticDepthMode,
  training = true,
  options: { seed?: Seed } = {},
): Tensor {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`stochasticDepth: p (the drop probability) must be in [0, 1], got ${p}`);
  if (mode !== 'row' && mode !== 'batch')
    throw new RangeError(`stochasticDepth: mode must be 'row' or 'batch', got ${String(mode)}`);
  if (!training || p === 0) return x;
  if (x.rank === 0 && mode === 'row')
    throw new RangeError("stochasticDepth: mode 'row' needs a batch dim, got a 0-d tensor");
  const shape = mode === 'row' ? x.shape.map((d, i) => (i === 0 ? d : 1)) : x.shape.map(() => 1);
  return scope(() => {
    const keepMask = bernoulli(1 - p, { shape, seed: options.seed }).cast('float32');
    return x.mul(p < 1 ? keepMask.mul(1 / (1 - p)) : keepMask);
  });
}

/** `stochasticDepth` as a layer (torchvision.ops.StochasticDepth): active in training mode only. */
export class StochasticDepth extends Module {
  readonly #gen: Generator | undefined;

  constructor(
    readonly p: number,
    readonly mode: StochasticDepthMode,
    options: { seed?: Seed } = {},
  ) {
    super();
    checkProbability('StochasticDepth', p);
    if (mode !== 'row' && mode !== 'batch')
      throw new RangeError(`StochasticDepth: mode must be 'row' or 'batch', got ${String(mode)}`);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    return stochasticDepth(x, this.p, this.mode, this.training, this.#gen ? { seed: this.#gen } : {});
  }
}

// ---------------------------------------------------------------------------------------------
// Soft weight sharing

export interface SoftWeightSharingOptions {
  /** Initial means (default: `components` evenly spaced in [−1, 1], or 0 for one component). */
  means?: readonly number[];
  /** Initial standard deviation of every component (default 0.25). */
  std?: number;
}

/**
 * Soft weight sharing (Nowlan & Hinton, 1992; Aggarwal §5.9): a mixture-of-Gaussians prior over the
 * weights with learnable means μₖ, log-variances log σₖ² and mixing logits (πₖ = softmax of them).
 * `penalty(params)` is the negative log-likelihood of all their entries,
 * −Σᵢ log Σₖ πₖ N(wᵢ; μₖ, σₖ²), to add (times a small λ) to the loss; give the prior's own
 * parameters to the optimizer too, so weights cluster and the clusters move together.
 *
 * @example
 * const prior = new SoftWeightSharing(4);
 * const opt = new Adam([...model.parameters(), ...prior.parameters()]);
 * const loss = crossEntropy(model.forward(x), y).add(prior.penalty(weights).mul(1e-4));
 */
export class SoftWeightSharing extends Module {
  means: Parameter;
  logVars: Parameter;
  mixLogits: Parameter;

  constructor(
    readonly components: number,
    options: SoftWeightSharingOptions = {},
  ) {
    super();
    positiveInt('SoftWeightSharing', components, 'components');
    const std = options.std ?? 0.25;
    if (!(std > 0)) throw new RangeError(`SoftWeightSharing: std must be > 0, got ${std}`);
    if (options.means && options.means.length !== components)
      throw new RangeError(
        `SoftWeightSharing: got ${options.means.length} means for ${components} components`,
      );
    this.means = param(
      options.means
        ? tensor([...options.means])
        : components === 1
          ? zeros([1])
          : linspace(-1, 1, components),
    );
    this.logVars = param(full([components], 2 * Math.log(std)));
    this.mixLogits = param(zeros([components]));
  }

  /** −Σᵢ log Σₖ πₖ N(wᵢ; μₖ, σₖ²) over every entry of every tensor in `params` (a 0-d tensor). */
  penalty(params: Iterable<Tensor> | Tensor): Tensor {
    const list = Symbol.iterator in params ? [...(params as Iterable<Tensor>)] : [params as Tensor];
    return scope(() => {
      const flat = list.filter((p) => p.size > 0).map((p) => p.cast('float32').reshape([p.size, 1]));
      if (flat.length === 0) return zeros([]);
      const w = flat.length === 1 ? flat[0]! : concat(flat, 0); // [M, 1]
      const logNormal = w
        .sub(this.means)
        .square()
        .mul(this.logVars.neg().exp())
        .add(this.logVars)
        .add(Math.log(2 * Math.PI))
        .mul(-0.5); // [M, K]
      return logSumExp(logNormal.add(logSoftmax(this.mixLogits, 0)), 1)
        .sum()
        .neg();
    });
  }

  /** The penalty of one tensor (so the prior can sit where a layer is expected). */
  forward(w: Tensor): Tensor {
    return this.penalty([w]);
  }
}
