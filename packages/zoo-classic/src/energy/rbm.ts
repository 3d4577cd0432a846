import {
  fmtShape,
  Generator,
  keep,
  Module,
  noGrad,
  Parameter,
  rand,
  randn,
  type Seed,
  scope,
  softplus,
  type Tensor,
  where,
  zeros,
} from '@myelin/core';
import type { TrainEvent } from '@myelin/train';
import { Observable } from 'rxjs';

/** The kind of visible units: binary (Bernoulli) or real-valued with unit variance (Gaussian). */
export type VisibleUnits = 'bernoulli' | 'gaussian';

export interface RBMOptions {
  /** `bernoulli` (default): vᵢ ∈ {0, 1}; `gaussian`: vᵢ ∈ ℝ with σ = 1 (standardise the data first). */
  visible?: VisibleUnits;
  /** Standard deviation of the initial weights (default 0.01, Hinton's "practical guide", §8). */
  initStd?: number;
  /** Seeds the initial weights. */
  seed?: Seed;
}

/** The gradient estimate of one contrastive-divergence step (of the mean negative log-likelihood). */
export interface CDGradients {
  weight: Tensor;
  visibleBias: Tensor;
  hiddenBias: Tensor;
  /** The chain's end state `v_k` (feed it back as the next persistent chain). */
  chain: Tensor;
}

function seedGen(seed: Seed | undefined): Generator {
  return seed instanceof Generator ? seed : new Generator(seed ?? 0);
}

/** A Parameter holding `init`'s values; `init` itself is freed. */
function owned(init: Tensor): Parameter {
  const p = new Parameter(init);
  init.dispose();
  return p;
}

/** Bernoulli draws of the probabilities `p` as float 0/1, on the active backend (uniforms from `gen`). */
export function sampleBernoulli(p: Tensor, gen: Generator): Tensor {
  return where(rand(p.shape, { seed: gen }).less(p), 1, 0);
}

/**
 * A restricted Boltzmann machine (Smolensky 1986; Hinton 2002): visible units v `[V]`, binary hidden
 * units h `[H]`, weights `weight` `[H, V]` (as `Linear`, so a DBN layer copies it unchanged),
 * `visibleBias` b `[V]` and `hiddenBias` c `[H]`. The energy is
 *
 *   E(v, h) = −bᵀv − cᵀh − hᵀWv              (Bernoulli visible units)
 *   E(v, h) = ½‖v − b‖² − cᵀh − hᵀWv         (Gaussian visible units, σ = 1)
 *
 * so p(hⱼ = 1 | v) = σ(Wv + c)ⱼ, p(vᵢ = 1 | h) = σ(Wᵀh + b)ᵢ (Bernoulli) or v | h ~ N(Wᵀh + b, I)
 * (Gaussian), and the free energy F(v) = −log Σ_h e^{−E(v,h)} has the closed form
 * −bᵀv − Σⱼ softplus((Wv + c)ⱼ) (Bernoulli) or ½‖v − b‖² − Σⱼ softplus((Wv + c)ⱼ) (Gaussian).
 *
 * Train it with `cdGradients` (CD-k, or persistent CD with a chain) and any optimizer, or `fitRbm`.
 *
 * @example
 * const rbm = new RBM(784, 256, { seed: 1 });
 * const recon = rbm.reconstruct(x); // [B, 784] → [B, 784]
 */
export class RBM extends Module {
  weight: Parameter;
  visibleBias: Parameter;
  hiddenBias: Parameter;
  readonly visible: VisibleUnits;

  constructor(
    readonly nVisible: number,
    readonly nHidden: number,
    options: RBMOptions = {},
  ) {
    super();
    for (const [v, what] of [
      [nVisible, 'nVisible'],
      [nHidden, 'nHidden'],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`RBM: ${what} must be an integer ≥ 1, got ${v}`);
    const visible = options.visible ?? 'bernoulli';
    if (visible !== 'bernoulli' && visible !== 'gaussian')
      throw new RangeError(`RBM: visible must be 'bernoulli' or 'gaussian', got '${String(visible)}'`);
    this.visible = visible;
    const std = options.initStd ?? 0.01;
    this.weight = owned(randn([nHidden, nVisible], { std, seed: seedGen(options.seed) }));
    this.visibleBias = owned(zeros([nVisible]));
    this.hiddenBias = owned(zeros([nHidden]));
  }

  private checkVisible(what: string, v: Tensor): void {
    if (v.rank !== 2 || v.shape[1] !== this.nVisible)
      throw new RangeError(
        `${what}: expected visible states [B, ${this.nVisible}], got shape ${fmtShape(v.shape)}`,
      );
  }

  private checkHidden(what: string, h: Tensor): void {
    if (h.rank !== 2 || h.shape[1] !== this.nHidden)
      throw new RangeError(
        `${what}: expected hidden states [B, ${this.nHidden}], got shape ${fmtShape(h.shape)}`,
      );
  }

  /** p(h = 1 | v) = σ(vWᵀ + c): `[B, V]` → `[B, H]`. */
  hiddenProbs(v: Tensor): Tensor {
    this.checkVisible('RBM.hiddenProbs', v);
    return v.matmul(this.weight, { transposeB: true }).add(this.hiddenBias).sigmoid();
  }

  /** E[v | h]: σ(hW + b) (Bernoulli) or hW + b (Gaussian): `[B, H]` → `[B, V]`. */
  visibleMean(h: Tensor): Tensor {
    this.checkHidden('RBM.visibleMean', h);
    const a = h.matmul(this.weight).add(this.visibleBias);
    return this.visible === 'bernoulli' ? a.sigmoid() : a;
  }

  /** A draw of v | h: Bernoulli(σ(hW + b)) or N(hW + b, I). */
  sampleVisible(h: Tensor, gen: Generator): Tensor {
    const mean = this.visibleMean(h);
    return this.visible === 'bernoulli'
      ? sampleBernoulli(mean, gen)
      : mean.add(randn(mean.shape, { seed: gen }));
  }

  /** A draw of h | v. */
  sampleHidden(v: Tensor, gen: Generator): Tensor {
    return sampleBernoulli(this.hiddenProbs(v), gen);
  }

  /** F(v) = −log Σ_h e^{−E(v,h)} of each row: `[B, V]` → `[B]`. */
  freeEnergy(v: Tensor): Tensor {
    this.checkVisible('RBM.freeEnergy', v);
    const hiddenTerm = softplus(v.matmul(this.weight, { transposeB: true }).add(this.hiddenBias)).sum(1);
    const b = this.visibleBias.reshape([this.nVisible, 1]);
    const visibleTerm =
      this.visible === 'bernoulli'
        ? v.matmul(b).reshape([v.shape[0]!]).neg()
        : v.sub(this.visibleBias).square().sum(1).mul(0.5);
    return visibleTerm.sub(hiddenTerm);
  }

  /** E(v, h) of each row pair: `[B, V]`, `[B, H]` → `[B]`. */
  energy(v: Tensor, h: Tensor): Tensor {
    this.checkVisible('RBM.energy', v);
    this.checkHidden('RBM.energy', h);
    if (v.shape[0] !== h.shape[0])
      throw new RangeError(`RBM.energy: ${v.shape[0]} visible rows but ${h.shape[0]} hidden rows`);
    const n = v.shape[0]!;
    const interaction = h.matmul(this.weight).mul(v).sum(1);
    const hidden = h.matmul(this.hiddenBias.reshape([this.nHidden, 1])).reshape([n]);
    const visible =
      this.visible === 'bernoulli'
        ? v
            .matmul(this.visibleBias.reshape([this.nVisible, 1]))
            .reshape([n])
            .neg()
        : v.sub(this.visibleBias).square().sum(1).mul(0.5);
    return visible.sub(hidden).sub(interaction);
  }

  /** The mean-field reconstruction E[v | h = p(h | v)]: `[B, V]` → `[B, V]`. */
  reconstruct(v: Tensor): Tensor {
    return noGrad(() => scope(() => this.visibleMean(this.hiddenProbs(v))));
  }

  /**
   * Contrastive divergence (Hinton 2002; persistent CD: Tieleman 2008): the estimate of the gradient
   * of the mean negative log-likelihood of the batch `v0` `[B, V]`,
   *
   *   ∂(−log p)/∂W ≈ −(⟨h vᵀ⟩_data − ⟨h vᵀ⟩_model),
   *
   * with the data term from p(h | v0) and the model term from the end `v_k` of a k-step Gibbs chain
   * (h ~ p(h|v), v ~ p(v|h)) started at `v0`, or at `chain` (persistent CD; `[C, V]`, any C). Both
   * terms use hidden probabilities, not samples (Hinton's guide §3). The caller owns the result.
   */
  cdGradients(v0: Tensor, options: { k?: number; chain?: Tensor; seed?: Seed } = {}): CDGradients {
    this.checkVisible('RBM.cdGradients', v0);
    const k = options.k ?? 1;
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`RBM.cdGradients: k must be an integer ≥ 1, got ${k}`);
    if (options.chain) this.checkVisible('RBM.cdGradients (chain)', options.chain);
    const gen = seedGen(options.seed);
    return noGrad(() =>
      scope(() => {
        const b = v0.shape[0]!;
        const posH = this.hiddenProbs(v0);
        let v = options.chain ?? v0;
        let negH = options.chain ? this.hiddenProbs(v) : posH;
        for (let step = 0; step < k; step++) {
          v = this.sampleVisible(sampleBernoulli(negH, gen), gen);
          negH = this.hiddenProbs(v);
        }
        const c = v.shape[0]!;
        const weight = negH
          .matmul(v, { transposeA: true })
          .div(c)
          .sub(posH.matmul(v0, { transposeA: true }).div(b));
        const visibleBias = v.mean(0).sub(v0.mean(0));
        const hiddenBias = negH.mean(0).sub(posH.mean(0));
        return { weight, visibleBias, hiddenBias, chain: v };
      }),
    );
  }
}

/** What `rbmStep` needs of an optimizer (any of `@myelin/optim`'s). */
export interface StepOptimizer {
  step(): unknown;
  zeroGrad(): void;
}

/**
 * One training step: the CD-k (or PCD) gradient of `v0` set as the parameters' `.grad`, one
 * optimizer step. Returns the next persistent chain (`keep`-ed; the caller disposes it) when
 * `chain` was given, else null, and the batch's mean-field reconstruction error (mean squared).
 */
export function rbmStep(
  rbm: RBM,
  optimizer: StepOptimizer,
  v0: Tensor,
  options: { k?: number; chain?: Tensor; seed?: Seed } = {},
): { chain: Tensor | null; reconstructionError: Tensor } {
  const g = rbm.cdGradients(v0, options);
  rbm.weight.grad = keep(g.weight);
  rbm.visibleBias.grad = keep(g.visibleBias);
  rbm.hiddenBias.grad = keep(g.hiddenBias);
  optimizer.step();
  optimizer.zeroGrad();
  const reconstructionError = keep(noGrad(() => scope(() => rbm.reconstruct(v0).sub(v0).square().mean())));
  if (options.chain) return { chain: keep(g.chain), reconstructionError };
  g.chain.dispose();
  return { chain: null, reconstructionError };
}

/** Give the event loop a turn (timers, unsubscribes) between batches. */
export const yieldTurn = (): Promise<void> =>
  new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/** Batches of visible states `[B, V]` for `fitRbm`, re-iterated each epoch; each is disposed after use. */
export type VisibleBatches = (epoch: number) => Iterable<Tensor> | AsyncIterable<Tensor>;

export interface FitRbmOptions {
  optimizer: StepOptimizer;
  data: VisibleBatches;
  epochs: number;
  /** Gibbs steps per update (CD-k; default 1). */
  k?: number;
  /**
   * Persistent CD (Tieleman 2008): this many fantasy particles kept from update to update, started
   * from the first batch's rows (0, default: plain CD-k from each batch).
   */
  persistentChains?: number;
  /** Batches per epoch, for progress. */
  batchesPerEpoch?: number;
  seed?: Seed;
  signal?: AbortSignal;
}

/**
 * Train an RBM by CD-k or persistent CD as a stream of `fit`'s events (`fitStart`, `batchEnd`,
 * `epochEnd`, `fitEnd`): the reported loss is the mean-field reconstruction error (mean squared),
 * the usual, if rough, progress measure (Hinton's guide §5). Unsubscribing stops it between batches.
 */
export function fitRbm(rbm: RBM, options: FitRbmOptions): Observable<TrainEvent> {
  return new Observable<TrainEvent>((subscriber) => {
    let stopped = false;
    const gen = seedGen(options.seed);
    const run = async () => {
      const t0 = performance.now();
      let chain: Tensor | null = null;
      try {
        subscriber.next({
          type: 'fitStart',
          epochs: options.epochs,
          batchesPerEpoch: options.batchesPerEpoch ?? null,
        });
        for (let epoch = 0; epoch < options.epochs; epoch++) {
          subscriber.next({ type: 'epochStart', epoch });
          const te = performance.now();
          let total = 0;
          let samples = 0;
          let batch = 0;
          for await (const v of options.data(epoch)) {
            try {
              if (stopped || options.signal?.aborted) return;
              const want = options.persistentChains ?? 0;
              if (want > 0 && !chain) {
                const rows = Math.min(want, v.shape[0]!);
                chain = keep(v.slice([0, rows]));
              }
              const out = rbmStep(rbm, options.optimizer, v, {
                k: options.k,
                chain: chain ?? undefined,
                seed: gen,
              });
              if (out.chain) {
                chain?.dispose();
                chain = out.chain;
              }
              const loss = (await out.reconstructionError.data())[0]!;
              out.reconstructionError.dispose();
              const n = v.shape[0]!;
              total += loss * n;
              samples += n;
              subscriber.next({
                type: 'batchEnd',
                epoch,
                batch,
                batchesPerEpoch: options.batchesPerEpoch ?? null,
                loss,
                metrics: {},
                samples: n,
                samplesPerSec: samples / ((performance.now() - te) / 1000),
              });
              batch++;
            } finally {
              v.dispose();
            }
            await yieldTurn();
          }
          const durationMs = performance.now() - te;
          subscriber.next({
            type: 'epochEnd',
            epoch,
            loss: samples ? total / samples : Number.NaN,
            metrics: {},
            samples,
            samplesPerSec: samples / (durationMs / 1000),
            durationMs,
          });
        }
        subscriber.next({ type: 'fitEnd', epochs: options.epochs, durationMs: performance.now() - t0 });
        subscriber.complete();
      } finally {
        chain?.dispose();
      }
    };
    run().catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (!stopped) {
        subscriber.next({ type: 'error', error });
        subscriber.error(error);
      }
    });
    return () => {
      stopped = true;
    };
  });
}
