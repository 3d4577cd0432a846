import { Generator } from '@myelin/core';
import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { curvesSpec } from '../charts.js';
import type { ClassicRecipeData } from '../data.js';
import { lowRankRatings, MatrixFactorization, type Ratings, trainMatrixFactorization } from '../mf.js';

const options = [
  { name: 'users', type: 'integer', default: 300, min: 1, help: 'users of the synthetic rating matrix' },
  { name: 'items', type: 'integer', default: 200, min: 1, help: 'items of the synthetic rating matrix' },
  { name: 'rank', type: 'integer', default: 5, min: 1, help: 'rank of the true rating matrix' },
  {
    name: 'density',
    type: 'number',
    default: 0.2,
    min: 0.001,
    max: 1,
    help: 'share of (user, item) pairs rated',
  },
  { name: 'noise', type: 'number', default: 0.3, min: 0, help: 'standard deviation of the rating noise' },
  { name: 'factors', type: 'integer', default: 5, min: 1, help: 'embedding size of the model' },
  { name: 'epochs', type: 'integer', default: 40, min: 1, help: 'passes over the training ratings' },
  { name: 'batchSize', type: 'integer', default: 256, min: 1, help: 'ratings per step' },
  { name: 'lr', type: 'number', default: 0.02, min: 1e-6, help: 'Adam learning rate' },
  { name: 'l2', type: 'number', default: 0.02, min: 0, help: 'λ of the embedding and bias penalty' },
  { name: 'seed', type: 'integer', default: 0, min: 0, help: 'seeds the data, the split and the weights' },
] as const;

export type MfSyntheticOptions = OptionValues<typeof options> & ClassicRecipeData;

const pick = (r: Ratings, idx: ArrayLike<number>): Ratings => ({
  users: Int32Array.from({ length: idx.length }, (_, k) => r.users[idx[k]!]!),
  items: Int32Array.from({ length: idx.length }, (_, k) => r.items[idx[k]!]!),
  ratings: Float32Array.from({ length: idx.length }, (_, k) => r.ratings[idx[k]!]!),
});

const rmse = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s / a.length);
};

/**
 * `mf-synthetic`: matrix factorisation for recommendation on a synthetic rating set of known low
 * rank (`lowRankRatings`; no small real rating set is packaged for npm or Debian with a stable
 * hash), 80 % of the ratings to train, 20 % held out. The noise level is the floor any model can
 * reach on the held-out ratings.
 */
export const mfSynthetic: Recipe<MfSyntheticOptions> = defineRecipe({
  name: 'mf-synthetic',
  title: 'Matrix factorisation on synthetic ratings',
  description:
    'Matrix factorisation (user and item embeddings + biases) trained with Adam on a synthetic rank-5 ' +
    'rating matrix (300 users × 200 items, 20 % rated, noise 0.3): held-out RMSE against the global ' +
    'mean and the noise floor. Figure: the objective per epoch.',
  family: 'classic',
  options,
  run: (o: MfSyntheticOptions) =>
    recipeStream(async (ctx) => {
      const all = lowRankRatings({ ...o, seed: o.seed });
      const n = all.ratings.length;
      if (n < 5) throw new RangeError(`mf-synthetic: only ${n} ratings; raise --density, --users or --items`);
      const order = new Generator(o.seed + 1).permutation(n);
      const cut = Math.floor(0.8 * n);
      const train = pick(all, order.subarray(0, cut));
      const test = pick(all, order.subarray(cut));
      const mu = train.ratings.reduce((a, b) => a + b, 0) / train.ratings.length;
      const model = new MatrixFactorization(o.users, o.items, o.factors, { seed: o.seed, mean: mu });
      ctx.onEnd(() => model.dispose());
      const t0 = performance.now();
      const losses = await trainMatrixFactorization(model, train, {
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        l2: o.l2,
        optimizer: 'adam',
        seed: o.seed,
        signal: ctx.signal,
        onEpoch: (epoch, loss) =>
          ctx.emit({
            type: 'epochEnd',
            epoch,
            loss,
            metrics: {},
            samples: cut,
            samplesPerSec: (cut * (epoch + 1) * 1000) / (performance.now() - t0),
            durationMs: performance.now() - t0,
          }),
      });
      const predicted = await model.predict(test.users, test.items);
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'Matrix factorisation objective per epoch',
        spec: curvesSpec('½ squared error + penalty, mean over each epoch', 'objective', { train: losses }),
      });
      ctx.emit({ type: 'metric', name: 'held-out RMSE', value: rmse(predicted, test.ratings) });
      ctx.emit({
        type: 'metric',
        name: 'held-out RMSE of the global mean',
        value: rmse(new Float32Array(test.ratings.length).fill(mu), test.ratings),
      });
      ctx.emit({ type: 'metric', name: 'noise floor (RMSE)', value: o.noise });
    }),
});
