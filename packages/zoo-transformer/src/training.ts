import { type Generator, type Module, scope, type Tensor } from '@myelin/core';
import {
  AdamW,
  CosineAnnealingLR,
  clipGradNorm,
  LinearLR,
  type Optimizer,
  SequentialLR,
} from '@myelin/optim';

/**
 * What transformer training adds to a plain loop: a learning rate warmed up then annealed, several
 * micro-batches per optimizer step, and batches of similar lengths.
 */

/**
 * Linear warmup from `startFactor · lr` over `warmupSteps` steps, then a cosine to 0 over the
 * remaining `totalSteps − warmupSteps`: torch's `SequentialLR([LinearLR, CosineAnnealingLR])`
 * (both from @myelin/optim), stepped once per optimizer step (GPT-2/BERT's schedule).
 */
export function warmupCosine(
  optimizer: Optimizer<{ lr: number }> | AdamW,
  options: { warmupSteps: number; totalSteps: number; startFactor?: number },
): SequentialLR {
  const { warmupSteps, totalSteps } = options;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 1))
    throw new RangeError(`warmupCosine: warmupSteps must be an integer ≥ 1, got ${warmupSteps}`);
  if (!(Number.isInteger(totalSteps) && totalSteps > warmupSteps))
    throw new RangeError(
      `warmupCosine: totalSteps must be an integer above warmupSteps (${warmupSteps}), got ${totalSteps}`,
    );
  const warmup = new LinearLR(optimizer, {
    startFactor: options.startFactor ?? 1 / warmupSteps,
    totalIters: warmupSteps,
  });
  const decay = new CosineAnnealingLR(optimizer, { Tmax: totalSteps - warmupSteps });
  return new SequentialLR(optimizer, { schedulers: [warmup, decay], milestones: [warmupSteps] });
}

/**
 * One optimizer step over several micro-batches (gradient accumulation): each micro-batch's loss
 * is built and back-propagated in its own scope, weighted by its share `weight` of the whole batch
 * (its sample count over the total), so the summed gradient is the full batch's mean-loss gradient
 * while only one micro-batch's graph is alive at a time. Then the norm is clipped (`maxNorm` > 0)
 * and the optimizer steps. Returns the weighted mean loss.
 */
export async function accumulatedStep(
  model: Module,
  optimizer: Pick<Optimizer, 'zeroGrad' | 'step'>,
  micro: readonly { weight: number; loss: () => Tensor }[],
  maxNorm = 0,
): Promise<number> {
  if (micro.length === 0) throw new RangeError('accumulatedStep: no micro-batches; expected at least one');
  optimizer.zeroGrad();
  let total = 0;
  for (const m of micro) {
    const l = scope(() => {
      const value = m.loss();
      value.mul(m.weight).backward();
      return value;
    });
    const v = (await l.data())[0]!;
    l.dispose();
    if (!Number.isFinite(v)) throw new Error(`accumulatedStep: the loss became ${v}`);
    total += v * m.weight;
  }
  scope(() => {
    if (maxNorm > 0) clipGradNorm(model.parameters(), maxNorm);
    optimizer.step();
  });
  return total;
}

/**
 * Batches of indices whose items have similar lengths (length bucketing): a seeded shuffle, then
 * within each pool of `poolBatches` batches the items sorted by length and cut into batches, and
 * the batches shuffled. Padding then grows only to each batch's own longest item.
 */
export function bucketedBatches(
  lengths: ArrayLike<number>,
  batchSize: number,
  gen: Generator,
  poolBatches = 16,
): Int32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(`bucketedBatches: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const order = Array.from(gen.permutation(lengths.length));
  const pool = batchSize * poolBatches;
  const batches: Int32Array[] = [];
  for (let c = 0; c < order.length; c += pool) {
    const part = order.slice(c, c + pool).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let i = 0; i < part.length; i += batchSize)
      batches.push(Int32Array.from(part.slice(i, i + batchSize)));
  }
  const shuffle = gen.permutation(batches.length);
  return Array.from(shuffle, (i) => batches[i]!);
}

/**
 * AdamW over two parameter groups as nanoGPT's `configure_optimizers`: weight decay on matrices
 * and embeddings (rank ≥ 2), none on biases, layer-norm weights and other vectors.
 */
export function adamWGroups(
  model: Module,
  options: { lr: number; weightDecay: number; betas?: [number, number] },
): AdamW {
  const params = model.parameters();
  return new AdamW(
    [
      { params: params.filter((p) => p.rank >= 2), weightDecay: options.weightDecay },
      { params: params.filter((p) => p.rank < 2), weightDecay: 0 },
    ],
    { lr: options.lr, betas: options.betas ?? [0.9, 0.95] },
  );
}
