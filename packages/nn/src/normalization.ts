import {
  fmtShape,
  layerNorm,
  Module,
  noGrad,
  ones,
  type Parameter,
  scope,
  type Tensor,
  type Variable,
  zeros,
} from '@myelin/core';
import { buffer, param, positiveInt } from './util.js';

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics (default 0.1): running = (1 − m)·running +
   * m·batch. `null` gives the cumulative average (factor 1/numBatchesTracked), as PyTorch.
   */
  momentum?: number | null;
  /** Learn a per-channel scale (`weight`, ones) and shift (`bias`, zeros); default true. */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them batch statistics are always used. */
  trackRunningStats?: boolean;
}

/** (x − mean)/√(var + eps) over `axes`, with the biased variance; also returns the statistics. */
function standardize(x: Tensor, axes: number[], eps: number): { y: Tensor; mean: Tensor; variance: Tensor } {
  const mean = x.mean(axes, { keepdims: true });
  const d = x.sub(mean);
  const variance = d.square().mean(axes, { keepdims: true });
  return { y: d.mul(variance.add(eps).rsqrt()), mean, variance };
}

/**
 * Batch normalisation (Ioffe & Szegedy, 2015) as torch.nn.BatchNorm*: in training the batch mean
 * and biased variance normalise, and the running mean and the *unbiased* running variance are
 * updated with `momentum`; in evaluation the running statistics are used.
 *
 * State-dict names are PyTorch's: `weight`, `bias`, `running_mean`, `running_var`,
 * `num_batches_tracked` (camelCase getters `runningMean`, `runningVar`, `numBatchesTracked` read them).
 */
abstract class BatchNormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: Variable | null;
  running_var: Variable | null;
  num_batches_tracked: Variable | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  protected constructor(
    readonly numFeatures: number,
    options: BatchNormOptions,
  ) {
    super();
    positiveInt(new.target.name, numFeatures, 'numFeatures');
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? param(ones([numFeatures])) : null;
    this.bias = this.affine ? param(zeros([numFeatures])) : null;
    this.running_mean = this.trackRunningStats ? buffer(zeros([numFeatures])) : null;
    this.running_var = this.trackRunningStats ? buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = this.trackRunningStats ? buffer(zeros([], { dtype: 'int32' })) : null;
  }

  get runningMean(): Variable | null {
    return this.running_mean;
  }
  get runningVar(): Variable | null {
    return this.running_var;
  }
  get numBatchesTracked(): Variable | null {
    return this.num_batches_tracked;
  }

  /** Zero the running statistics (mean 0, variance 1, count 0). */
  resetRunningStats(): void {
    noGrad(() =>
      scope(() => {
        this.running_mean?.assign(zeros([this.numFeatures]));
        this.running_var?.assign(ones([this.numFeatures]));
        this.num_batches_tracked?.assign(zeros([], { dtype: 'int32' }));
      }),
    );
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const C = this.numFeatures;
    if (x.shape[1] !== C)
      throw new RangeError(
        `${this.constructor.name}: input has ${x.shape[1]} channels (shape ${fmtShape(x.shape)}) but the layer has ${C} features`,
      );
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const xf = x.cast('float32');
    const useBatch = this.training || !this.running_mean;
    let y: Tensor;
    if (useBatch) {
      const count = x.size / C;
      if (this.training && count <= 1)
        throw new RangeError(
          `${this.constructor.name}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`,
        );
      const s = standardize(xf, axes, this.eps);
      y = s.y;
      if (this.training && this.running_mean && this.running_var)
        this.updateRunning(s.mean, s.variance, count);
    } else {
      y = xf
        .sub(this.running_mean!.reshape(bshape))
        .mul(this.running_var!.reshape(bshape).add(this.eps).rsqrt());
    }
    if (this.weight) y = y.mul(this.weight.reshape(bshape));
    if (this.bias) y = y.add(this.bias.reshape(bshape));
    return y;
  }

  private updateRunning(mean: Tensor, variance: Tensor, count: number): void {
    noGrad(() =>
      scope(() => {
        let factor: number | Tensor = this.momentum ?? 0;
        if (this.num_batches_tracked) {
          this.num_batches_tracked.assign(this.num_batches_tracked.add(1));
          // Cumulative average: 1/numBatchesTracked, kept on the device (no read back).
          if (this.momentum === null) factor = this.num_batches_tracked.cast('float32').reciprocal();
        }
        const keep = typeof factor === 'number' ? 1 - factor : factor.neg().add(1);
        const C = this.numFeatures;
        const unbiased = variance.reshape([C]).mul(count / (count - 1));
        this.running_mean!.assign(this.running_mean!.mul(keep).add(mean.reshape([C]).mul(factor)));
        this.running_var!.assign(this.running_var!.mul(keep).add(unbiased.mul(factor)));
      }),
    );
  }
}

/** Batch normalisation of x [N, C] or [N, C, L] (torch.nn.BatchNorm1d). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`BatchNorm1d: input must be [N, C] or [N, C, L], got ${fmtShape(x.shape)}`);
  }
}

/** Batch normalisation of x [N, C, H, W] (torch.nn.BatchNorm2d). */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    if (x.rank !== 4)
      throw new RangeError(`BatchNorm2d: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  }
}

/**
 * Layer normalisation (Ba et al., 2016) over the trailing `normalizedShape` dims, as
 * torch.nn.LayerNorm: `weight` (ones) and `bias` (zeros) of that shape when elementwiseAffine.
 */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  constructor(
    normalizedShape: number | readonly number[],
    options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? param(ones(this.normalizedShape)) : null;
    this.bias = affine && (options.bias ?? true) ? param(zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * Group normalisation (Wu & He, 2018), as torch.nn.GroupNorm: the C channels of x [N, C, ...] are
 * split into `numGroups` groups, each normalised over its channels and spatial positions; then a
 * per-channel `weight`/`bias` when affine.
 */
export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: { eps?: number; affine?: boolean } = {},
  ) {
    super();
    positiveInt('GroupNorm', numGroups, 'numGroups');
    positiveInt('GroupNorm', numChannels, 'numChannels');
    if (numChannels % numGroups !== 0)
      throw new RangeError(
        `GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`,
      );
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? param(ones([numChannels])) : null;
    this.bias = affine ? param(zeros([numChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[1] !== this.numChannels)
      throw new RangeError(
        `GroupNorm: input must be [N, ${this.numChannels}, ...], got ${fmtShape(x.shape)}`,
      );
    const N = x.shape[0]!;
    const g = x.cast('float32').reshape([N, this.numGroups, -1]);
    let y = standardize(g, [2], this.eps).y.reshape(x.shape);
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    if (this.weight) y = y.mul(this.weight.reshape(bshape));
    if (this.bias) y = y.add(this.bias.reshape(bshape));
    return y;
  }
}

export interface InstanceNormOptions {
  eps?: number;
  momentum?: number;
  /** Per-channel `weight`/`bias` (default false, as PyTorch). */
  affine?: boolean;
  /** Keep running statistics (default false, as PyTorch). */
  trackRunningStats?: boolean;
}

/**
 * Instance normalisation (Ulyanov et al., 2016): each (sample, channel) normalised over its spatial
 * positions. With trackRunningStats the running statistics average the per-instance statistics
 * (unbiased variance) over the batch, as torch.nn.functional.instance_norm.
 */
abstract class InstanceNormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: Variable | null;
  running_var: Variable | null;
  num_batches_tracked: Variable | null;
  readonly eps: number;
  readonly momentum: number;

  protected constructor(
    readonly numFeatures: number,
    private readonly spatial: number,
    options: InstanceNormOptions,
  ) {
    super();
    positiveInt(new.target.name, numFeatures, 'numFeatures');
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? false;
    const track = options.trackRunningStats ?? false;
    this.weight = affine ? param(ones([numFeatures])) : null;
    this.bias = affine ? param(zeros([numFeatures])) : null;
    this.running_mean = track ? buffer(zeros([numFeatures])) : null;
    this.running_var = track ? buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = track ? buffer(zeros([], { dtype: 'int32' })) : null;
  }

  get runningMean(): Variable | null {
    return this.running_mean;
  }
  get runningVar(): Variable | null {
    return this.running_var;
  }

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    const rank = this.spatial + 2;
    if (x.rank === rank - 1) return this.forward(x.unsqueeze(0)).squeeze(0);
    if (x.rank !== rank || x.shape[1] !== this.numFeatures)
      throw new RangeError(
        `${name}: input must be [N, ${this.numFeatures}, ${this.spatial === 1 ? 'L' : 'H, W'}], got ${fmtShape(x.shape)}`,
      );
    const axes = Array.from({ length: this.spatial }, (_, i) => i + 2);
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const xf = x.cast('float32');
    let y: Tensor;
    if (this.training || !this.running_mean) {
      const s = standardize(xf, axes, this.eps);
      y = s.y;
      if (this.training && this.running_mean && this.running_var) {
        const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
        noGrad(() =>
          scope(() => {
            const m = this.momentum;
            const C = this.numFeatures;
            const batchMean = s.mean.reshape([-1, C]).mean(0);
            const batchVar = s.variance
              .reshape([-1, C])
              .mul(count / (count - 1))
              .mean(0);
            this.running_mean!.assign(this.running_mean!.mul(1 - m).add(batchMean.mul(m)));
            this.running_var!.assign(this.running_var!.mul(1 - m).add(batchVar.mul(m)));
          }),
        );
      }
    } else {
      y = xf
        .sub(this.running_mean.reshape(bshape))
        .mul(this.running_var!.reshape(bshape).add(this.eps).rsqrt());
    }
    if (this.weight) y = y.mul(this.weight.reshape(bshape));
    if (this.bias) y = y.add(this.bias.reshape(bshape));
    return y;
  }
}

/** Instance normalisation of x [N, C, L] (torch.nn.InstanceNorm1d). */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, 1, options);
  }
}

/** Instance normalisation of x [N, C, H, W] (torch.nn.InstanceNorm2d). */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, 2, options);
  }
}
