import {
  embedding,
  fmtShape,
  Module,
  noGrad,
  Parameter,
  randn,
  type Seed,
  scope,
  type Tensor,
  tensor,
  where,
} from '@myelin/core';
import { generatorFrom, positiveInt } from './util.js';

export interface EmbeddingOptions {
  /** This row is initialised to zeros and never receives a gradient (negative counts from the end). */
  paddingIdx?: number;
  /** Rows looked up are first renormalised in place to this `normType`-norm when larger, as PyTorch. */
  maxNorm?: number;
  /** The p of the max-norm (default 2). */
  normType?: number;
  /** Scale each row's gradient by 1 / (its count in the mini-batch), as PyTorch's scale_grad_by_freq. */
  scaleGradByFreq?: boolean;
  seed?: Seed;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (torch.nn.Embedding): `weight`
 * [numEmbeddings, embeddingDim] ~ N(0, 1), the padding row zero. `forward(indices)` (int32, any
 * shape) returns [...indices.shape, embeddingDim].
 */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions & { weight?: Tensor } = {},
  ) {
    super();
    positiveInt('Embedding', numEmbeddings, 'numEmbeddings');
    positiveInt('Embedding', embeddingDim, 'embeddingDim');
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)
        throw new RangeError(`Embedding: paddingIdx ${pad} must be within numEmbeddings ${numEmbeddings}`);
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.scaleGradByFreq = options.scaleGradByFreq ?? false;
    if (options.weight) {
      if (
        options.weight.rank !== 2 ||
        options.weight.shape[0] !== numEmbeddings ||
        options.weight.shape[1] !== embeddingDim
      )
        throw new RangeError(
          `Embedding: weight must be [${numEmbeddings}, ${embeddingDim}], got ${fmtShape(options.weight.shape)}`,
        );
      this.weight = new Parameter(options.weight.cast('float32'));
    } else {
      const w = scope(() => {
        const init = randn([numEmbeddings, embeddingDim], { seed: generatorFrom(options.seed) });
        if (pad === null) return init;
        const isPad = new Uint8Array(numEmbeddings);
        isPad[pad] = 1;
        return where(tensor(isPad, { shape: [numEmbeddings, 1], dtype: 'bool' }), 0, init);
      });
      this.weight = new Parameter(w);
      w.dispose();
    }
  }

  /**
   * An embedding holding `embeddings` [n, dim] (copied); frozen (no gradient) unless `freeze` is false.
   * @example const emb = Embedding.fromPretrained(vectors, { freeze: false });
   */
  static fromPretrained(
    embeddings: Tensor,
    options: Omit<EmbeddingOptions, 'seed'> & { freeze?: boolean } = {},
  ): Embedding {
    if (embeddings.rank !== 2)
      throw new RangeError(
        `Embedding.fromPretrained: embeddings must be 2-D, got ${fmtShape(embeddings.shape)}`,
      );
    const e = new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { ...options, weight: embeddings });
    if (options.freeze ?? true) e.weight.requiresGrad = false;
    return e;
  }

  forward(indices: Tensor): Tensor {
    if (indices.dtype === 'float32') throw new TypeError('Embedding: indices must be int32, got float32');
    if (this.maxNorm !== null) this.renorm(indices);
    let out = embedding(indices, this.weight);
    if (this.scaleGradByFreq) {
      const idx = indices.dataSync();
      const counts = new Map<number, number>();
      for (const i of idx) counts.set(i, (counts.get(i) ?? 0) + 1);
      const s = Float32Array.from(idx, (i) => 1 / counts.get(i)!);
      const scale = tensor(s, { shape: [...indices.shape, 1] });
      // Same value, gradient scaled: y = x̄ + (x − x̄)·s.
      const fixed = out.detach();
      out = fixed.add(out.sub(fixed).mul(scale));
    }
    if (this.paddingIdx !== null) {
      const isPad = indices.equal(this.paddingIdx).unsqueeze(-1);
      out = where(isPad, out.detach(), out);
    }
    return out;
  }

  /** torch.embedding_renorm_: rows referenced by `indices` with norm > maxNorm are scaled to maxNorm. */
  private renorm(indices: Tensor): void {
    noGrad(() =>
      scope(() => {
        const idx = indices.dataSync();
        const norms = this.weight.norm(this.normType, 1).dataSync();
        const scale = new Float32Array(this.numEmbeddings).fill(1);
        let changed = false;
        for (const i of new Set(idx)) {
          if (i < 0 || i >= this.numEmbeddings)
            throw new RangeError(
              `Embedding: index ${i} is out of range for ${this.numEmbeddings} embeddings`,
            );
          const n = norms[i]!;
          if (n > this.maxNorm!) {
            scale[i] = this.maxNorm! / (n + 1e-7);
            changed = true;
          }
        }
        if (changed) this.weight.assign(this.weight.mul(tensor(scale, { shape: [this.numEmbeddings, 1] })));
      }),
    );
  }
}
