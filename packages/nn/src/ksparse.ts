import { fmtShape, Module, noGrad, scatter, scope, type Tensor, topk, where, zerosLike } from '@myelin/core';

/**
 * Sparse codes by selection (Aggarwal §5.10.1.1): keep the largest activations and zero the rest.
 * The kept entries pass their gradient unchanged, the zeroed ones pass none (the mask is a
 * constant of the forward pass). Ties go to the lower index: core's `topk` keeps the first of
 * equal values, on every backend.
 */

/** A bool mask, true at the k largest entries of each row of `x` (last dim); no gradient. */
function topMask(x: Tensor, k: number): Tensor {
  return noGrad(() =>
    scope(() => {
      const mask = zerosLike(x, { dtype: 'float32' });
      if (k === 0) return mask.greater(0);
      const [, idx] = topk(x, k);
      return scatter(mask, -1, idx, 1).greater(0);
    }),
  );
}

/** x where the mask holds, +0 elsewhere (a product with 0 would give −0 for negative x). */
function keepWhere(x: Tensor, mask: Tensor): Tensor {
  return where(mask, x, 0);
}

function checkK(op: string, k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`${op}: k must be an integer ≥ 0, got ${k}`);
}

function checkFloat(op: string, x: Tensor): void {
  if (x.dtype !== 'float32')
    throw new TypeError(`${op}: expected float32 activations, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
}

/**
 * k-sparse activation (Makhzani & Frey 2013): in each row (the last dim) keep the k largest values
 * and set the others to 0; the gradient flows only through the kept entries. k ≥ the row width
 * keeps everything; k = 0 gives zeros. Largest means largest value, not magnitude, as the paper.
 * Among equal values the lower index is kept first.
 *
 * @example
 * kSparse(tensor([[0.1, 0.9, -2, 0.5]]), 2);   // [[0, 0.9, 0, 0.5]]
 */
export function kSparse(x: Tensor, k: number): Tensor {
  checkK('kSparse', k);
  checkFloat('kSparse', x);
  if (x.rank === 0) throw new RangeError('kSparse: expected activations [..., width], got a scalar');
  const width = x.shape[x.rank - 1]!;
  if (k >= width) return x.mul(1);
  return scope(() => keepWhere(x, topMask(x, k)));
}

export interface KSparseOptions {
  /**
   * k in eval mode (default k). Makhzani & Frey encode test inputs with αk units, α ≥ 1 (they
   * found a slightly larger k helps classification), so give `evalK: α·k` to follow them.
   */
  evalK?: number;
}

/**
 * The k-sparse layer of a k-sparse autoencoder (Makhzani & Frey 2013; Aggarwal's r-sparse AE):
 * {@link kSparse} over the last dim, with k in training and `evalK` in eval mode.
 *
 * @example
 * const encoder = new Sequential(new Linear(784, 1000), new KSparse(25));
 */
export class KSparse extends Module {
  readonly k: number;
  readonly evalK: number;

  constructor(k: number, options: KSparseOptions = {}) {
    super();
    checkK('KSparse', k);
    this.k = k;
    this.evalK = options.evalK ?? k;
    checkK('KSparse', this.evalK);
  }

  forward(x: Tensor): Tensor {
    return kSparse(x, this.training ? this.k : this.evalK);
  }
}

export interface WinnerTakeAllOptions {
  /**
   * Spatial sparsity for feature maps [N, C, ...spatial]: in each map of each sample keep only the
   * largest activation (the first in row-major order among equals), zero the rest.
   */
  spatial?: boolean;
  /**
   * Lifetime sparsity rate f ∈ (0, 1]: each unit (a feature of [N, ...features], or a channel's
   * spatial winners when `spatial`) keeps its ⌈f·N⌉ largest activations over the batch of N and
   * zeros the rest (the lower batch index first among equals).
   */
  lifetime?: number;
}

function wtaOptions(
  op: string,
  options: WinnerTakeAllOptions,
): { spatial: boolean; lifetime: number | null } {
  const spatial = options?.spatial ?? false;
  const lifetime = options?.lifetime ?? null;
  if (lifetime !== null && !(lifetime > 0 && lifetime <= 1))
    throw new RangeError(`${op}: lifetime must be a rate in (0, 1], got ${lifetime}`);
  if (!spatial && lifetime === null)
    throw new RangeError(`${op}: give spatial: true, a lifetime rate, or both`);
  return { spatial, lifetime };
}

/** ⌈f·n⌉, without float dust (0.07·100 is 7.000000000000001). */
function keepCount(f: number, n: number): number {
  return Math.min(n, Math.ceil(f * n - 1e-9));
}

/**
 * Winner-take-all sparsity (Makhzani & Frey 2015, "Winner-Take-All Autoencoders"; Aggarwal
 * §5.10.1.1). `spatial: true` takes feature maps [N, C, ...spatial] and keeps the single largest
 * value of each map; `lifetime: f` keeps, for each unit, its ⌈f·N⌉ largest values across the batch
 * (for conv maps, of the spatial winners). Both together are the conv-WTA autoencoder's encoder
 * sparsity. Gradients flow only through the winners.
 *
 * @example
 * const sparse = winnerTakeAll(featureMaps, { spatial: true, lifetime: 0.05 });
 */
export function winnerTakeAll(x: Tensor, options: WinnerTakeAllOptions): Tensor {
  const { spatial, lifetime } = wtaOptions('winnerTakeAll', options);
  checkFloat('winnerTakeAll', x);
  if (spatial && x.rank < 3)
    throw new RangeError(
      `winnerTakeAll: spatial sparsity expects feature maps [N, C, ...spatial], got ${fmtShape(x.shape)}`,
    );
  if (!spatial && x.rank < 2)
    throw new RangeError(
      `winnerTakeAll: lifetime sparsity expects [N, ...features], got ${fmtShape(x.shape)}`,
    );
  if (x.size === 0) return x.mul(1);
  return scope(() => {
    const [n, c] = [x.shape[0]!, x.shape[1]!];
    let y = x;
    if (spatial) {
      const maps = x.reshape([n, c, -1]);
      y = keepWhere(maps, topMask(maps, 1)).reshape(x.shape);
    }
    if (lifetime !== null) {
      const kept = keepCount(lifetime, n);
      // One score per (sample, unit): a channel's spatial winner, or the feature itself.
      const scores = spatial ? noGrad(() => x.reshape([n, c, -1]).max(-1)) : y.reshape([n, -1]);
      const perUnit = noGrad(() => topMask(scores.transpose(0, 1), kept).transpose(0, 1));
      const shape = spatial ? [n, c, ...x.shape.slice(2).map(() => 1)] : x.shape;
      y = keepWhere(y, perUnit.reshape(shape));
    }
    return y;
  });
}

/**
 * {@link winnerTakeAll} as a layer, active in training only: the paper trains the encoder with the
 * sparsity and uses its dense features at test time (lifetime sparsity needs a batch anyway).
 * Give `sparseInEval: true` to keep it in eval mode too.
 *
 * @example
 * const encoder = new Sequential(new Conv2d(1, 64, 5, { padding: 2 }), new ReLU(),
 *   new WinnerTakeAll({ spatial: true, lifetime: 0.2 }));
 */
export class WinnerTakeAll extends Module {
  readonly spatial: boolean;
  readonly lifetime: number | null;
  readonly sparseInEval: boolean;

  constructor(options: WinnerTakeAllOptions & { sparseInEval?: boolean }) {
    super();
    const o = wtaOptions('WinnerTakeAll', options);
    this.spatial = o.spatial;
    this.lifetime = o.lifetime;
    this.sparseInEval = options.sparseInEval ?? false;
  }

  forward(x: Tensor): Tensor {
    if (!this.training && !this.sparseInEval) return x;
    return winnerTakeAll(x, {
      spatial: this.spatial,
      ...(this.lifetime !== null ? { lifetime: this.lifetime } : {}),
    });
  }
}
