import {
  fmtShape,
  noGrad,
  permutation,
  randn,
  type Seed,
  type Shape,
  scope,
  type Tensor,
  tensor,
  Variable,
} from '@myelin/core';
import { generatorFrom } from './util.js';

export interface SparseInitOptions {
  /** Standard deviation of the non-zero entries (default 0.01). */
  std?: number;
  seed?: Seed;
}

/**
 * A sparse 2-D weight (torch.nn.init.sparse_; Martens 2010, "Deep learning via Hessian-free
 * optimization", §5): entries ~ N(0, std²), then in every column ⌈sparsity·rows⌉ entries, at
 * rows chosen uniformly without replacement, set to zero. Fills a Variable in place (returned) or
 * makes a new tensor for a shape.
 * @example sparseInit(linear.weight, 0.9)
 */
export function sparseInit<T extends Shape | Variable>(
  target: T,
  sparsity: number,
  options: SparseInitOptions = {},
): T extends Variable ? T : Tensor {
  const shape = target instanceof Variable ? target.shape : (target as Shape);
  if (shape.length !== 2)
    throw new RangeError(`sparseInit: only 2-D targets are supported, got shape ${fmtShape(shape)}`);
  if (!(sparsity >= 0 && sparsity <= 1))
    throw new RangeError(`sparseInit: sparsity must be in [0, 1], got ${sparsity}`);
  const std = options.std ?? 0.01;
  if (!(std >= 0)) throw new RangeError(`sparseInit: std must be ≥ 0, got ${std}`);
  const [rows, cols] = shape as [number, number];
  const zeros = Math.ceil(sparsity * rows);
  const gen = generatorFrom(options.seed);
  const make = (): Tensor => {
    const keep = new Float32Array(rows * cols).fill(1);
    const values = randn([rows, cols], { std, seed: gen });
    for (let c = 0; c < cols; c++) {
      const order = permutation(rows, { seed: gen }).dataSync();
      for (let i = 0; i < zeros; i++) keep[order[i]! * cols + c] = 0;
    }
    return values.mul(tensor(keep, { shape: [rows, cols] }));
  };
  if (target instanceof Variable) {
    noGrad(() =>
      scope(() => {
        target.assign(make());
      }),
    );
    return target as T extends Variable ? T : Tensor;
  }
  return scope(make) as T extends Variable ? T : Tensor;
}
