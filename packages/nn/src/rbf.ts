/**
 * Radial basis function units (Bishop, Neural Networks for Pattern Recognition, ch. 5; Haykin,
 * Neural Networks, ch. 5): unit j answers φⱼ(x) = exp(−‖x − μⱼ‖² / (2σⱼ²)), a Gaussian bump of
 * centre μⱼ and width σⱼ. An RBF network is a layer of them followed by a linear read-out
 * y = W·φ(x) + b; with the centres fixed the read-out is a linear least-squares problem (solve
 * with core's `lstsq`, or `solve` for exact interpolation with one centre per training point).
 *
 * PyTorch has no RBF layer; the parameter names are ours: `centres` [units, features] and
 * `sigmas` [units].
 */
import {
  fmtShape,
  isTensor,
  Module,
  type Parameter,
  type Seed,
  scope,
  type Tensor,
  tensor,
  type Variable,
} from '@myelin/core';
import { Sequential } from './containers.js';
import { Linear } from './linear.js';
import { buffer, generatorFrom, param, positiveInt, uniformTensor } from './util.js';

export interface RBFOptions {
  /** Initial centres [units, features] (default U(−1, 1)). */
  centres?: Tensor | readonly (readonly number[])[];
  /** Initial widths σ: one number for all units or one per unit (default 1). */
  sigma?: number | readonly number[];
  /** Learn the centres (default true); false keeps them as a buffer. */
  trainableCentres?: boolean;
  /** Learn the widths (default true); false keeps them as a buffer. */
  trainableSigmas?: boolean;
  seed?: Seed;
}

/**
 * Gaussian radial basis units: x [batch, features] (or [features]) → φ [batch, units] (or
 * [units]), φⱼ = exp(−‖x − μⱼ‖² / (2σⱼ²)).
 *
 * @example
 * const rbf = new RBF(2, 10, { sigma: 0.5 });
 * const phi = rbf.forward(x);   // [batch, 10]
 */
export class RBF extends Module {
  centres: Parameter | Variable;
  sigmas: Parameter | Variable;

  constructor(
    readonly inFeatures: number,
    readonly units: number,
    options: RBFOptions = {},
  ) {
    super();
    const op = 'RBF';
    positiveInt(op, inFeatures, 'inFeatures');
    positiveInt(op, units, 'units');
    const gen = generatorFrom(options.seed);
    let c: Tensor;
    if (options.centres === undefined) c = uniformTensor([units, inFeatures], 1, gen);
    else {
      const given = options.centres;
      c = isTensor(given)
        ? scope(() => given.cast('float32').mul(1))
        : tensor(given.flat(), { shape: [given.length, given[0]?.length ?? 0] });
      if (c.rank !== 2 || c.shape[0] !== units || c.shape[1] !== inFeatures) {
        const s = c.shape;
        c.dispose();
        throw new RangeError(`${op}: centres must be [${units}, ${inFeatures}], got ${fmtShape(s)}`);
      }
    }
    const sig = options.sigma ?? 1;
    const sigArr = typeof sig === 'number' ? new Array<number>(units).fill(sig) : Array.from(sig);
    if (sigArr.length !== units || sigArr.some((s) => !(s > 0) || !Number.isFinite(s))) {
      c.dispose();
      throw new RangeError(
        `${op}: sigma must be a positive number or ${units} positive numbers, got ${JSON.stringify(sig)}`,
      );
    }
    const s = tensor(sigArr, { shape: [units] });
    this.centres = (options.trainableCentres ?? true) ? param(c) : buffer(c);
    this.sigmas = (options.trainableSigmas ?? true) ? param(s) : buffer(s);
  }

  forward(x: Tensor): Tensor {
    const op = 'RBF';
    if ((x.rank !== 1 && x.rank !== 2) || x.shape[x.rank - 1] !== this.inFeatures)
      throw new RangeError(
        `${op}: input must be [batch, ${this.inFeatures}] or [${this.inFeatures}], got ${fmtShape(x.shape)}`,
      );
    const x2 = (x.rank === 1 ? x.unsqueeze(0) : x).cast('float32');
    // ‖x − μ‖² by broadcasting [N, 1, D] − [1, M, D]: exact (no cancellation of ‖x‖² + ‖μ‖² − 2x·μ).
    const d2 = x2.unsqueeze(1).sub(this.centres.unsqueeze(0)).square().sum(-1);
    const phi = d2.div(this.sigmas.square().mul(-2)).exp();
    return x.rank === 1 ? phi.squeeze(0) : phi;
  }
}

/**
 * An RBF network (Bishop §5.2): `RBF(inFeatures, units)` then `Linear(units, outFeatures)`, as a
 * Sequential (children `0` and `1`). Options go to the RBF layer, plus `bias` for the read-out.
 *
 * @example
 * const net = rbfNetwork(1, 8, 1, { centres: grid, sigma: 0.3, trainableCentres: false });
 */
export function rbfNetwork(
  inFeatures: number,
  units: number,
  outFeatures: number,
  options: RBFOptions & { bias?: boolean } = {},
): Sequential {
  positiveInt('rbfNetwork', outFeatures, 'outFeatures');
  const gen = generatorFrom(options.seed);
  const rbf = new RBF(inFeatures, units, { ...options, seed: gen });
  return new Sequential(rbf, new Linear(units, outFeatures, { bias: options.bias ?? true, seed: gen }));
}
