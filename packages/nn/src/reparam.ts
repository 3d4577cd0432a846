/**
 * Weight reparametrisations with PyTorch 1.13's torch.nn.utils names and state-dict keys:
 * `weightNorm` (Salimans & Kingma 2016: w = g · v/‖v‖, parameters `weight_g`, `weight_v`) and
 * `spectralNorm` (Miyato et al. 2018: w = w_orig/σ(w_orig), σ by power iteration, parameter
 * `weight_orig`, buffers `weight_u`, `weight_v`). The module keeps its own forward; a wrapper
 * computes the weight once per call and the module reads it where it read the parameter.
 */
import { type Generator, Module, noGrad, Parameter, randn, scope, type Tensor, Variable } from '@myelin/core';

type AnyModule = Module & { forward?: (...args: never[]) => unknown };

interface Reparam {
  kind: 'weightNorm' | 'spectralNorm';
  /** The weight for this call; `training` runs spectral norm's power iteration. */
  compute: (training: boolean) => Tensor;
  /** The weight computed for the forward call in progress. */
  current: Tensor | null;
}

/** The reparametrised names of each module. */
const ACTIVE = new WeakMap<Module, Map<string, Reparam>>();
/** The forward each wrapped module had before, to restore when its last reparametrisation goes. */
const INNER = new WeakMap<Module, { forward: (...args: unknown[]) => unknown; own: boolean }>();

const FN_NAME = { weightNorm: 'weight_norm', spectralNorm: 'spectral_norm' } as const;

/** Swap parameter `name` for a computed tensor, and wrap the module's forward to compute it. */
function install(
  fn: 'weightNorm' | 'spectralNorm',
  module: AnyModule,
  name: string,
  check: (weight: Parameter) => void,
  build: (weight: Parameter) => (training: boolean) => Tensor,
): void {
  if (!(module instanceof Module)) throw new TypeError(`${fn}: expects a Module, got ${typeof module}`);
  const active = ACTIVE.get(module) ?? new Map<string, Reparam>();
  if (active.has(name))
    throw new Error(
      `${fn}: '${name}' of ${module.constructor.name} is already reparametrised by ${FN_NAME[active.get(name)!.kind]}`,
    );
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Parameter) || !Object.hasOwn(module, name))
    throw new RangeError(`${fn}: ${module.constructor.name} has no parameter '${name}'`);
  if (typeof module.forward !== 'function')
    throw new TypeError(`${fn}: ${module.constructor.name} has no forward method`);
  check(weight);
  delete (module as unknown as Record<string, unknown>)[name];
  const entry: Reparam = { kind: fn, compute: build(weight), current: null };
  // The module reads `name` in its forward: give it the weight of this call (or a fresh one).
  Object.defineProperty(module, name, {
    configurable: true,
    enumerable: false,
    get: () => entry.current ?? entry.compute(false),
    set: () => {
      throw new Error(
        `${fn}: '${name}' of ${module.constructor.name} is computed; assign its parameters or remove the reparametrisation first`,
      );
    },
  });
  active.set(name, entry);
  if (!ACTIVE.has(module)) {
    ACTIVE.set(module, active);
    const inner = module.forward as (...args: unknown[]) => unknown;
    INNER.set(module, { forward: inner, own: Object.hasOwn(module, 'forward') });
    Object.defineProperty(module, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: function forward(this: Module, ...args: unknown[]) {
        const reparams = [...(ACTIVE.get(module)?.values() ?? [])];
        for (const r of reparams) r.current = r.compute(module.training);
        try {
          return inner.apply(this, args);
        } finally {
          for (const r of reparams) r.current = null;
        }
      },
    });
  }
}

/** Undo `install`: the computed weight becomes a plain parameter again (appended, as PyTorch). */
function uninstall(
  fn: 'removeWeightNorm' | 'removeSpectralNorm',
  kind: Reparam['kind'],
  module: Module,
  name: string,
  owned: string[],
): void {
  const active = ACTIVE.get(module);
  const entry = active?.get(name);
  if (!active || !entry || entry.kind !== kind)
    throw new RangeError(`${fn}: ${FN_NAME[kind]} of '${name}' not found in ${module.constructor.name}`);
  const w = scope(() => noGrad(() => entry.compute(false)));
  const rec = module as unknown as Record<string, unknown>;
  for (const k of owned) {
    (rec[k] as Variable).dispose();
    delete rec[k];
  }
  delete rec[name];
  rec[name] = new Parameter(w);
  w.dispose();
  active.delete(name);
  if (!active.size) {
    ACTIVE.delete(module);
    const inner = INNER.get(module)!;
    INNER.delete(module);
    if (inner.own) (module as AnyModule).forward = inner.forward as never;
    else delete (module as AnyModule).forward;
  }
}

/** ‖v‖ over every dim but `dim` (keepdims), or over all of v (a scalar) when dim is null. */
function normExceptDim(v: Tensor, dim: number | null): Tensor {
  const sq = v.square();
  if (dim === null) return sq.sum().sqrt();
  const axes = v.shape.map((_, i) => i).filter((i) => i !== dim);
  return (axes.length ? sq.sum(axes, { keepdims: true }) : sq).sqrt();
}

export interface WeightNormOptions {
  /** The parameter to reparametrise (default 'weight'). */
  name?: string;
  /**
   * The dim whose slices keep their own magnitude g (default 0: one per output unit); null (or −1,
   * as PyTorch) for one magnitude for the whole tensor.
   */
  dim?: number | null;
}

/**
 * Weight normalisation, as torch.nn.utils.weight_norm: replaces parameter `weight` by `weight_g`
 * (the magnitudes ‖weight‖ over every dim but `dim`) and `weight_v` (the direction, initially the
 * weight); each forward uses weight = g · v/‖v‖. Returns the module.
 *
 * ```ts
 * const layer = weightNorm(new Linear(20, 40));   // layer.weight_g [40, 1], layer.weight_v [40, 20]
 * ```
 */
export function weightNorm<M extends Module>(module: M, options: WeightNormOptions = {}): M {
  const name = options.name ?? 'weight';
  const given = options.dim === undefined ? 0 : options.dim;
  const dim = given === null || given === -1 ? null : given;
  const check = (weight: Parameter) => {
    if (dim !== null && !(Number.isInteger(dim) && dim >= 0 && dim < weight.rank))
      throw new RangeError(
        `weightNorm: dim must be null, -1 or an integer in [0, ${weight.rank}) for '${name}' of shape [${weight.shape}], got ${given}`,
      );
  };
  install('weightNorm', module, name, check, (weight) => {
    const rec = module as unknown as Record<string, Parameter>;
    const g = new Parameter(scope(() => normExceptDim(weight, dim)));
    rec[`${name}_g`] = g;
    rec[`${name}_v`] = weight;
    return () => {
      const v = rec[`${name}_v`]!;
      return v.mul(rec[`${name}_g`]!.div(normExceptDim(v, dim)));
    };
  });
  return module;
}

/** Undo `weightNorm`: `weight` is a plain parameter again, holding g · v/‖v‖. */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  uninstall('removeWeightNorm', 'weightNorm', module, name, [`${name}_g`, `${name}_v`]);
  return module;
}

export interface SpectralNormOptions {
  /** The parameter to reparametrise (default 'weight'). */
  name?: string;
  /** Power-iteration steps per training forward (default 1). */
  nPowerIterations?: number;
  /** Floor of the norms when normalising u and v (default 1e-12). */
  eps?: number;
  /** The dim that becomes the rows of the weight matrix (default 0; 1 for ConvTranspose layers, as PyTorch). */
  dim?: number;
  /** Seed of the initial u and v (drawn from N(0, 1) and normalised). */
  seed?: number | Generator;
}

/** x/max(‖x‖, eps) of a 1-D tensor (torch.nn.functional.normalize, dim 0). */
const normalize = (x: Tensor, eps: number) => x.div(x.square().sum().sqrt().maximum(eps));

/**
 * Spectral normalisation, as torch.nn.utils.spectral_norm (PyTorch 1.13): replaces parameter
 * `weight` by `weight_orig` and adds buffers `weight_u` [rows] and `weight_v` [cols] of the weight
 * viewed as a matrix (`dim` first, the rest flattened). Each forward in training mode first runs
 * `nPowerIterations` steps v ← normalize(Wᵀu), u ← normalize(W v) on the buffers; then, in either
 * mode, weight = weight_orig/σ with σ = uᵀ W v (u and v held constant for the gradient).
 * Returns the module.
 *
 * ```ts
 * const critic = spectralNorm(new Conv2d(3, 64, 4, { stride: 2 }));
 * ```
 */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormOptions = {}): M {
  const name = options.name ?? 'weight';
  const iterations = options.nPowerIterations ?? 1;
  const eps = options.eps ?? 1e-12;
  if (!Number.isInteger(iterations) || iterations <= 0)
    throw new RangeError(`spectralNorm: nPowerIterations must be a positive integer, got ${iterations}`);
  if (!(eps > 0)) throw new RangeError(`spectralNorm: eps must be positive, got ${eps}`);
  const transposed = /^ConvTranspose[123]d$/.test(module.constructor.name);
  const dim = options.dim ?? (transposed ? 1 : 0);
  const check = (weight: Parameter) => {
    if (!(Number.isInteger(dim) && dim >= 0 && dim < weight.rank))
      throw new RangeError(
        `spectralNorm: dim must be an integer in [0, ${weight.rank}) for '${name}' of shape [${weight.shape}], got ${dim}`,
      );
  };
  install('spectralNorm', module, name, check, (weight) => {
    const rows = weight.shape[dim]!;
    const cols = weight.size / rows;
    const order = [dim, ...weight.shape.map((_, i) => i).filter((i) => i !== dim)];
    const asMatrix = (w: Tensor) => w.permute(order).reshape([rows, cols]);
    const rec = module as unknown as Record<string, Variable>;
    const [u0, v0] = scope(() => {
      const draws = randn([rows + cols], { seed: options.seed });
      return [normalize(draws.slice([0, rows]), eps), normalize(draws.slice([rows, rows + cols]), eps)];
    });
    rec[`${name}_orig`] = weight;
    rec[`${name}_u`] = new Variable(u0!);
    rec[`${name}_v`] = new Variable(v0!);
    u0!.dispose();
    v0!.dispose();
    return (training) => {
      const w = rec[`${name}_orig`]!;
      const u = rec[`${name}_u`]!;
      const v = rec[`${name}_v`]!;
      if (training)
        noGrad(() =>
          scope(() => {
            const m = asMatrix(w);
            for (let k = 0; k < iterations; k++) {
              v.assign(normalize(m.matmul(u, { transposeA: true }), eps));
              u.assign(normalize(m.matmul(v), eps));
            }
          }),
        );
      // σ = uᵀ W v with u, v as constants: the gradient flows through W only.
      const sigma = u.detach().dot(asMatrix(w).matmul(v.detach()));
      return w.div(sigma);
    };
  });
  return module;
}

/** Undo `spectralNorm`: `weight` is a plain parameter again, holding weight_orig/σ (no power iteration). */
export function removeSpectralNorm<M extends Module>(module: M, name = 'weight'): M {
  uninstall('removeSpectralNorm', 'spectralNorm', module, name, [`${name}_orig`, `${name}_u`, `${name}_v`]);
  return module;
}
