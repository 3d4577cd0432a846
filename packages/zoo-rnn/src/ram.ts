import {
  argmax,
  avgPool2d,
  concat,
  Generator,
  Module,
  noGrad,
  relu,
  type Seed,
  scope,
  stopGradient,
  type Tensor,
  tanh,
  tensor,
} from '@myelin/core';
import type { ImageSet } from '@myelin/data';
import { crossEntropy, gridSample, Linear, mseLoss, RNNCell } from '@myelin/nn';
import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import type { SequenceData } from './data.js';
import {
  adamWithCosine,
  curvesFigure,
  emitTestMetrics,
  runEpochs,
  shuffled,
  trainStep,
} from './sequence-train.js';

/**
 * The recurrent attention model (Mnih, Heess, Graves and Kavukcuoglu 2014, "Recurrent Models of
 * Visual Attention"; Aggarwal §12.2.1). At each of T steps a glimpse sensor ρ(x, l) cuts
 * `scales` patches of `patch`×`patch` pixels around location l ∈ [−1, 1]² (each scale twice as
 * wide as the last, averaged down to `patch`×`patch`: a retina whose resolution falls away from
 * l); the glimpse network encodes the patches and l, g = ReLU(W_g·ReLU(W_p·ρ) + W_l·ReLU(W_ll·l));
 * the core RNN updates h_t = ReLU(W_h·h_{t−1} + W_i·g_t); the location network proposes the next
 * l ~ N(tanh(W_μ·h_t), σ²) (σ fixed); after the last glimpse the action network classifies
 * softmax(W_a·h_T).
 *
 * Training is the paper's hybrid loss: cross-entropy for the action network (through the core and
 * glimpse networks), REINFORCE for the location network with reward R = 1 for a right answer and a
 * learned baseline b_t = W_b·h_t (fitted to R by squared error):
 *
 *   L = CE − (1/B)·Σ_b Σ_t log π(l_t | h_t) · (R − b_t) + (1/B)·Σ_b Σ_t (R − b_t)²/T.
 *
 * As in common PyTorch implementations, the location and baseline networks read h_t with its
 * gradient stopped, so the policy gradient trains the location network alone.
 */

export interface RecurrentAttentionModelOptions {
  /** Glimpses per image (default 6). */
  glimpses?: number;
  /** Side of each glimpse patch in pixels (default 8). */
  patch?: number;
  /** Patches per glimpse, each twice the last's side (default 1). */
  scales?: number;
  /** Units of the glimpse's patch and location encoders (default 128). */
  glimpseHidden?: number;
  /** Units of the glimpse vector g and of the core RNN (default 256). */
  hiddenSize?: number;
  /** Classes of the action network (default 10). */
  numClasses?: number;
  /** σ of the Gaussian location policy (default 0.15, in units of half the image). */
  std?: number;
  seed?: Seed;
}

/** What a RAM pass returns. */
export interface RamOutput {
  /** Class logits after the last glimpse, `[B, classes]`. */
  logits: Tensor;
  /** Σ_t log π(l_t), `[B]`: the policy's log-likelihood of the locations it chose. */
  logPi: Tensor;
  /** Baselines b_t, `[B, T]`. */
  baselines: Tensor;
  /** Glimpse centres, `[B, T, 2]` as (x, y) in [−1, 1]. */
  locations: Tensor;
}

/**
 * The glimpse sensor ρ(x, l): `scales` square patches centred on l (normalised (x, y) in [−1, 1],
 * as `gridSample`), the k-th `patch·2^k` pixels wide and average-pooled to `patch`×`patch`;
 * outside the image reads 0. Returns `[B, scales, patch, patch]`.
 */
export function glimpseSensor(images: Tensor, locations: Tensor, patch: number, scales = 1): Tensor {
  if (images.rank !== 4)
    throw new RangeError(
      `glimpseSensor: images must be [batch, channels, H, W], got [${images.shape.join(', ')}]`,
    );
  const [b, c, h, w] = images.shape as unknown as [number, number, number, number];
  if (c !== 1) throw new RangeError(`glimpseSensor: expected 1 channel, got ${c}`);
  if (locations.rank !== 2 || locations.shape[0] !== b || locations.shape[1] !== 2)
    throw new RangeError(`glimpseSensor: locations must be [${b}, 2], got [${locations.shape.join(', ')}]`);
  if (!Number.isInteger(patch) || patch < 1 || !Number.isInteger(scales) || scales < 1)
    throw new RangeError(
      `glimpseSensor: patch and scales must be positive integers, got ${patch} and ${scales}`,
    );
  const out: Tensor[] = [];
  const centre = locations.reshape([b, 1, 1, 2]);
  for (let k = 0; k < scales; k++) {
    const side = patch * 2 ** k;
    const offsets = new Float32Array(side * side * 2);
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        offsets[(i * side + j) * 2] = ((j - (side - 1) / 2) * 2) / w;
        offsets[(i * side + j) * 2 + 1] = ((i - (side - 1) / 2) * 2) / h;
      }
    const grid = centre.add(tensor(offsets, { shape: [1, side, side, 2] }));
    let p = gridSample(images, grid, { paddingMode: 'zeros' });
    if (k > 0) p = avgPool2d(p, [2 ** k, 2 ** k]);
    out.push(p);
  }
  return out.length === 1 ? out[0]! : concat(out, 1);
}

/**
 * The recurrent attention model. Parameter names: `glimpse_fc` (patches), `location_fc` (l),
 * `glimpse_out`, `location_out` (to g), `core` (an `RNNCell` with ReLU), `locator` (μ),
 * `baseline`, `classifier`.
 *
 * @example
 * const ram = new RecurrentAttentionModel({ glimpses: 6, patch: 8, seed: 1 });
 * const { logits } = ram.forward(images, { generator: new Generator(1) }); // images [B, 1, 28, 28]
 */
export class RecurrentAttentionModel extends Module {
  readonly glimpse_fc: Linear;
  readonly location_fc: Linear;
  readonly glimpse_out: Linear;
  readonly location_out: Linear;
  readonly core: RNNCell;
  readonly locator: Linear;
  readonly baseline: Linear;
  readonly classifier: Linear;
  readonly glimpses: number;
  readonly patch: number;
  readonly scales: number;
  readonly hiddenSize: number;
  readonly std: number;

  constructor(options: RecurrentAttentionModelOptions = {}) {
    super();
    this.glimpses = options.glimpses ?? 6;
    this.patch = options.patch ?? 8;
    this.scales = options.scales ?? 1;
    this.hiddenSize = options.hiddenSize ?? 256;
    this.std = options.std ?? 0.15;
    const gh = options.glimpseHidden ?? 128;
    const classes = options.numClasses ?? 10;
    for (const [v, what] of [
      [this.glimpses, 'glimpses'],
      [this.patch, 'patch'],
      [this.scales, 'scales'],
      [this.hiddenSize, 'hiddenSize'],
      [gh, 'glimpseHidden'],
      [classes, 'numClasses'],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`RecurrentAttentionModel: ${what} must be a positive integer, got ${v}`);
    if (!(this.std > 0))
      throw new RangeError(`RecurrentAttentionModel: std must be positive, got ${this.std}`);
    const gen = new Generator(typeof options.seed === 'number' ? options.seed : 0);
    const seed = () => gen.randint(0, 2 ** 30, 1)[0]!;
    const h = this.hiddenSize;
    this.glimpse_fc = new Linear(this.scales * this.patch * this.patch, gh, { seed: seed() });
    this.location_fc = new Linear(2, gh, { seed: seed() });
    this.glimpse_out = new Linear(gh, h, { seed: seed() });
    this.location_out = new Linear(gh, h, { seed: seed() });
    this.core = new RNNCell(h, h, { nonlinearity: 'relu', seed: seed() });
    this.locator = new Linear(h, 2, { seed: seed() });
    this.baseline = new Linear(h, 1, { seed: seed() });
    this.classifier = new Linear(h, classes, { seed: seed() });
  }

  /**
   * Glimpse `images` `[B, 1, H, W]` T times. With a `generator` the locations are sampled from the
   * policy (training); without one the policy's means are taken (evaluation, deterministic). The
   * first glimpse is at the centre of the image.
   */
  forward(images: Tensor, options: { generator?: Generator } = {}): RamOutput {
    if (images.rank !== 4)
      throw new RangeError(
        `RecurrentAttentionModel: images must be [batch, 1, H, W], got [${images.shape.join(', ')}]`,
      );
    const b = images.shape[0]!;
    const gen = options.generator;
    let loc = tensor(new Float32Array(2 * b), { shape: [b, 2] });
    let hState: Tensor | null = null;
    const logPis: Tensor[] = [];
    const baselines: Tensor[] = [];
    const locations: Tensor[] = [];
    for (let t = 0; t < this.glimpses; t++) {
      locations.push(loc);
      const rho = glimpseSensor(images, loc, this.patch, this.scales).reshape([b, -1]);
      const g = relu(
        this.glimpse_out
          .forward(relu(this.glimpse_fc.forward(rho)))
          .add(this.location_out.forward(relu(this.location_fc.forward(loc)))),
      );
      hState = this.core.forward(g, hState);
      const hd = stopGradient(hState);
      baselines.push(this.baseline.forward(hd));
      if (t === this.glimpses - 1) break;
      const mu = tanh(this.locator.forward(hd));
      if (gen) {
        const eps = tensor(gen.normal(2 * b, 0, this.std), { shape: [b, 2] });
        const sample = stopGradient(mu).add(eps);
        // log N(l; μ, σ²) summed over (x, y), without the constant: −(l − μ)²/(2σ²).
        logPis.push(
          sample
            .sub(mu)
            .square()
            .sum(1)
            .mul(-1 / (2 * this.std ** 2)),
        );
        loc = sample.clip(-1, 1);
      } else loc = stopGradient(mu);
    }
    const logPi = logPis.length
      ? logPis.reduce((a, x) => a.add(x))
      : tensor(new Float32Array(b), { shape: [b] });
    return {
      logits: this.classifier.forward(hState!),
      logPi,
      baselines: concat(baselines, 1),
      locations: concat(
        locations.map((l) => l.reshape([b, 1, 2])),
        1,
      ),
    };
  }

  /**
   * The hybrid loss of one batch (cross-entropy + REINFORCE with the learned baseline + the
   * baseline's squared error), from a training pass.
   */
  hybridLoss(out: RamOutput, labels: Tensor): Tensor {
    const ce = crossEntropy(out.logits, labels);
    const reward = stopGradient(argmax(out.logits, 1).equal(labels).cast('float32')); // [B]
    const r = reward.reshape([-1, 1]).broadcastTo(out.baselines.shape); // [B, T]
    const advantage = stopGradient(r.sub(out.baselines)).mean(1); // mean over steps
    const reinforce = out.logPi.mul(advantage).mean().neg();
    return ce.add(reinforce).add(mseLoss(out.baselines, r));
  }
}

// ---------------------------------------------------------------------------------------------
// ram-mnist

const ramOptions = [
  { name: 'epochs', type: 'integer', default: 2, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.001,
    min: 1e-8,
    help: "Adam's initial learning rate, cosine-annealed",
  },
  { name: 'glimpses', type: 'integer', default: 6, min: 1, help: 'glimpses per digit' },
  { name: 'patch', type: 'integer', default: 8, min: 1, help: 'glimpse side in pixels' },
  { name: 'scales', type: 'integer', default: 1, min: 1, help: 'patches per glimpse (each twice as wide)' },
  { name: 'hiddenSize', type: 'integer', default: 256, min: 1, help: 'core RNN units' },
  { name: 'std', type: 'number', default: 0.15, min: 1e-4, help: 'σ of the location policy' },
  { name: 'clip', type: 'number', default: 5, min: 0, help: 'gradient norm clip (0: off)' },
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N training digits (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'test on the first N test digits (0: all)',
  },
  {
    name: 'samples',
    type: 'integer',
    default: 8,
    min: 0,
    help: 'test digits shown with their glimpse paths',
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the weights, shuffling and locations' },
] as const;

export type RamMnistOptions = OptionValues<typeof ramOptions> & { data?: Partial<SequenceData> };

/** Images `idx` of a set as `[B, 1, H, W]` in [0, 1]. */
function imagesOf(set: ImageSet, idx: ArrayLike<number>): Tensor {
  const px = set.rows * set.cols;
  const x = new Float32Array(idx.length * px);
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * px;
    for (let k = 0; k < px; k++) x[i * px + k] = set.images[from + k]! / 255;
  }
  return tensor(x, { shape: [idx.length, 1, set.rows, set.cols] });
}

/** Glimpse colours, first to last: blue → red. */
function glimpseColour(t: number, count: number): [number, number, number] {
  const f = count > 1 ? t / (count - 1) : 1;
  return [f, 0.2, 1 - f];
}

/**
 * Digits (grey, scaled up by `zoom`) with each glimpse's patch outlined (the finest scale), blue
 * for the first, red for the last: `[N, 3, H·zoom, W·zoom]`.
 */
export function drawGlimpsePaths(
  pixels: Float32Array,
  locations: Float32Array,
  n: number,
  size: number,
  glimpses: number,
  patch: number,
  zoom = 3,
): Float32Array {
  const s = size * zoom;
  const out = new Float32Array(n * 3 * s * s);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++)
          out[((i * 3 + c) * s + y) * s + x] =
            0.6 * pixels[i * size * size + Math.floor(y / zoom) * size + Math.floor(x / zoom)]!;
    for (let t = 0; t < glimpses; t++) {
      const lx = locations[(i * glimpses + t) * 2]!;
      const ly = locations[(i * glimpses + t) * 2 + 1]!;
      // centre in pixels: ((l + 1)·W − 1)/2 (align_corners = false), box `patch` wide, scaled by zoom
      const cx = (((lx + 1) * size - 1) / 2 + 0.5) * zoom;
      const cy = (((ly + 1) * size - 1) / 2 + 0.5) * zoom;
      const half = (patch * zoom) / 2;
      const [r, g, b] = glimpseColour(t, glimpses);
      const x0 = Math.round(cx - half);
      const x1 = Math.round(cx + half) - 1;
      const y0 = Math.round(cy - half);
      const y1 = Math.round(cy + half) - 1;
      const put = (x: number, y: number) => {
        if (x < 0 || y < 0 || x >= s || y >= s) return;
        out[((i * 3 + 0) * s + y) * s + x] = r;
        out[((i * 3 + 1) * s + y) * s + x] = g;
        out[((i * 3 + 2) * s + y) * s + x] = b;
      };
      for (let x = x0; x <= x1; x++) {
        put(x, y0);
        put(x, y1);
      }
      for (let y = y0; y <= y1; y++) {
        put(x0, y);
        put(x1, y);
      }
    }
  }
  return out;
}

/**
 * `ram-mnist`: the recurrent attention model of Mnih et al. 2014 on 28×28 MNIST (6 glimpses of 8×8,
 * one scale), trained with the hybrid loss (cross-entropy + REINFORCE with a learned baseline).
 */
export const ramMnist: Recipe<RamMnistOptions> = defineRecipe({
  name: 'ram-mnist',
  title: 'Recurrent attention model on MNIST',
  description:
    'The recurrent attention model (Mnih et al. 2014): 6 glimpses of 8×8 pixels at one scale, a 256-unit ' +
    'ReLU core RNN, a Gaussian location policy (σ = 0.15) trained by REINFORCE with a learned baseline ' +
    'and the classifier by cross-entropy (the hybrid loss); Adam 1e-3 annealed along a cosine, batch 64. ' +
    'Reports test accuracy (the paper: 1.29% error after long training) and shows the glimpse paths.',
  family: 'rnn',
  options: ramOptions,
  run: (o: RamMnistOptions) =>
    recipeStream(async (ctx) => {
      const imageSet = o.data?.imageSet;
      if (!imageSet)
        throw new Error(
          'ram-mnist: no data source; pass options.data with imageSet() (myelin train does: the @myelin/data/node loaders)',
        );
      const [trainAll, testAll] = await Promise.all([
        imageSet.call(o.data, 'mnist', 'train'),
        imageSet.call(o.data, 'mnist', 'test'),
      ]);
      ctx.throwIfStopped();
      const nTrain = o.limit > 0 ? Math.min(o.limit, trainAll.count) : trainAll.count;
      const nTest = o.testLimit > 0 ? Math.min(o.testLimit, testAll.count) : testAll.count;
      const model = new RecurrentAttentionModel({
        glimpses: o.glimpses,
        patch: o.patch,
        scales: o.scales,
        hiddenSize: o.hiddenSize,
        std: o.std,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const { optimizer, scheduler } = adamWithCosine(ctx, model, o.lr, o.epochs);
      const shuffleGen = new Generator(o.seed);
      const policyGen = new Generator(o.seed + 1);
      const batches = Math.ceil(nTrain / o.batchSize);
      const labelsOf = (set: ImageSet, idx: ArrayLike<number>) =>
        tensor(
          Int32Array.from(idx as ArrayLike<number>, (i) => set.labels[i]!),
          {
            shape: [idx.length],
            dtype: 'int32',
          },
        );
      const records = await runEpochs(
        ctx,
        o.epochs,
        batches,
        function* () {
          model.train();
          const order = shuffled(nTrain, (k) => shuffleGen.uniform(k));
          for (let s = 0; s < batches; s++) {
            const idx = order.subarray(s * o.batchSize, (s + 1) * o.batchSize);
            yield async () => {
              const loss = await trainStep(model, optimizer, o.clip, () =>
                model.hybridLoss(
                  model.forward(imagesOf(trainAll, idx), { generator: policyGen }),
                  labelsOf(trainAll, idx),
                ),
              );
              return { loss, samples: idx.length };
            };
          }
        },
        async () => {
          scheduler.step();
          model.eval();
          let right = 0;
          let lossSum = 0;
          for (let s = 0; s < nTest; s += 500) {
            ctx.throwIfStopped();
            const idx = Int32Array.from({ length: Math.min(500, nTest - s) }, (_, i) => s + i);
            const { hits, loss } = noGrad(() =>
              scope(() => {
                const labels = labelsOf(testAll, idx);
                const logits = model.forward(imagesOf(testAll, idx)).logits;
                return {
                  hits: argmax(logits, 1).equal(labels).cast('float32').sum(),
                  loss: crossEntropy(logits, labels),
                };
              }),
            );
            const [h, l] = await Promise.all([hits.data(), loss.data()]);
            hits.dispose();
            loss.dispose();
            right += h[0]!;
            lossSum += l[0]! * idx.length;
          }
          model.train();
          return { loss: lossSum / nTest, accuracy: right / nTest };
        },
      );
      ctx.emit(
        curvesFigure('ram-mnist: loss and test accuracy per epoch', records, [
          { figure: 'accuracy', title: 'test accuracy' },
        ]),
      );
      emitTestMetrics(ctx, records, 'test images', nTest);
      const shown = Math.min(o.samples, nTest);
      if (shown > 0) {
        const idx = Int32Array.from({ length: shown }, (_, i) => i);
        const { x, locations, pred } = noGrad(() =>
          scope(() => {
            const x = imagesOf(testAll, idx);
            const out = model.eval().forward(x);
            return { x, locations: out.locations, pred: argmax(out.logits, 1) };
          }),
        );
        const [px, loc, p] = await Promise.all([x.data(), locations.data(), pred.data()]);
        for (const v of [x, locations, pred]) v.dispose();
        const size = testAll.rows;
        const zoom = 3;
        const labels = Array.from(p, (c, i) =>
          c === testAll.labels[i] ? `${c}` : `${c} ≠ ${testAll.labels[i]}`,
        );
        ctx.emit(
          samplesEvent(
            `glimpse paths (${o.glimpses} glimpses of ${o.patch}×${o.patch}, blue first, red last)`,
            imageArray(
              drawGlimpsePaths(
                px as Float32Array,
                loc as Float32Array,
                shown,
                size,
                o.glimpses,
                o.patch,
                zoom,
              ),
              [shown, 3, size * zoom, size * zoom],
            ),
            { labels },
          ),
        );
      }
    }),
});

/** The recipes of this file, by name. */
export const ramRecipes = { 'ram-mnist': ramMnist } as const;
