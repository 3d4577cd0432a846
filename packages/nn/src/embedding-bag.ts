import {
  fmtShape,
  Module,
  Parameter,
  randn,
  type Seed,
  scope,
  segmentReduce,
  type Tensor,
  tensor,
  where,
} from '@myelin/core';
import { generatorFrom, positiveInt } from './util.js';

export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

export interface EmbeddingBagOptions {
  /** How the vectors of a bag are combined (default 'mean', as PyTorch). */
  mode?: EmbeddingBagMode;
  /** `offsets` has B+1 entries, the last being the number of indices (PyTorch's include_last_offset). */
  includeLastOffset?: boolean;
  /**
   * Indices equal to this are left out of their bag (not counted by 'mean'; a bag of nothing else
   * gives zeros), and the row starts at zero; negative counts from the end.
   */
  paddingIdx?: number;
  seed?: Seed;
  /** Initial table [numEmbeddings, embeddingDim] (copied); default N(0, 1). */
  weight?: Tensor;
}

export interface EmbeddingBagCall {
  /** With 1-D indices: where each bag starts (int32, [B], first 0, non-decreasing). */
  offsets?: Tensor | null;
  /** One weight per index (same shape as indices), multiplying its vector; mode 'sum' only. */
  perSampleWeights?: Tensor | null;
}

/**
 * Bags of embeddings reduced without materialising the per-index vectors' layout
 * (torch.nn.EmbeddingBag): `forward(indices)` with indices [B, L] (every bag L long) or 1-D
 * indices plus `offsets` gives [B, embeddingDim], each row the sum, mean or max of its bag's
 * vectors; an empty bag gives zeros. Max's gradient goes to the winning vector.
 * @example new EmbeddingBag(1000, 16, { mode: 'sum' }).forward(ids, { offsets })
 */
export class EmbeddingBag extends Module {
  weight: Parameter;
  readonly mode: EmbeddingBagMode;
  readonly includeLastOffset: boolean;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingBagOptions = {},
  ) {
    super();
    positiveInt('EmbeddingBag', numEmbeddings, 'numEmbeddings');
    positiveInt('EmbeddingBag', embeddingDim, 'embeddingDim');
    const mode = options.mode ?? 'mean';
    if (mode !== 'sum' && mode !== 'mean' && mode !== 'max')
      throw new RangeError(`EmbeddingBag: mode must be 'sum', 'mean' or 'max', got '${mode as string}'`);
    this.mode = mode;
    this.includeLastOffset = options.includeLastOffset ?? false;
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)
        throw new RangeError(
          `EmbeddingBag: paddingIdx ${pad} must be an integer in [−${numEmbeddings}, ${numEmbeddings})`,
        );
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    const w = options.weight;
    if (w && (w.rank !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim))
      throw new RangeError(
        `EmbeddingBag: weight must be [${numEmbeddings}, ${embeddingDim}], got ${fmtShape(w.shape)}`,
      );
    const init = scope(() => {
      const t = w
        ? w.cast('float32')
        : randn([numEmbeddings, embeddingDim], { seed: generatorFrom(options.seed) });
      if (pad === null || w) return t;
      const isPad = new Uint8Array(numEmbeddings);
      isPad[pad] = 1;
      return where(tensor(isPad, { shape: [numEmbeddings, 1], dtype: 'bool' }), 0, t);
    });
    this.weight = new Parameter(init);
    init.dispose();
  }

  forward(indices: Tensor, call: EmbeddingBagCall = {}): Tensor {
    const op = 'EmbeddingBag';
    if (indices.dtype !== 'int32') throw new TypeError(`${op}: indices must be int32, got ${indices.dtype}`);
    const psw = call.perSampleWeights ?? null;
    if (psw && this.mode !== 'sum')
      throw new RangeError(`${op}: perSampleWeights needs mode 'sum', got mode '${this.mode}'`);
    if (psw && (psw.rank !== indices.rank || psw.shape.some((d, i) => d !== indices.shape[i])))
      throw new RangeError(
        `${op}: perSampleWeights ${fmtShape(psw.shape)} must have the shape of indices ${fmtShape(indices.shape)}`,
      );
    let bounds = this.bagBounds(indices, call.offsets ?? null);
    return scope(() => {
      let flat = indices.reshape([indices.size]);
      let weights = psw ? psw.cast('float32').reshape([indices.size]) : null;
      if (this.paddingIdx !== null) {
        // Drop the padding entries on the host and shift the bag bounds past them.
        const ids = flat.dataSync();
        const keep: number[] = [];
        const shifted = Int32Array.from(bounds);
        for (let i = 0, b = 0; i < ids.length; i++) {
          while (b < bounds.length - 1 && bounds[b + 1]! <= i) b++;
          if (ids[i] !== this.paddingIdx) keep.push(i);
          else for (let j = b + 1; j < bounds.length; j++) shifted[j]!--;
        }
        bounds = shifted;
        const kept = tensor(keep, { shape: [keep.length], dtype: 'int32' });
        flat = flat.indexSelect(0, kept);
        if (weights) weights = weights.indexSelect(0, kept);
      }
      let rows = this.weight.indexSelect(0, flat);
      if (weights) rows = rows.mul(weights.reshape([flat.size, 1]));
      return segmentReduce(rows, tensor(bounds, { shape: [bounds.length], dtype: 'int32' }), this.mode);
    });
  }

  /** The CSR row pointer (B+1 entries, 0 … E) of the bags, checked on the host. */
  private bagBounds(indices: Tensor, offsets: Tensor | null): Int32Array {
    const op = 'EmbeddingBag';
    const ids = indices.dataSync();
    for (const i of ids)
      if (i < 0 || i >= this.numEmbeddings)
        throw new RangeError(`${op}: index ${i} is out of range for ${this.numEmbeddings} embeddings`);
    if (indices.rank === 2) {
      if (offsets)
        throw new RangeError(`${op}: offsets must be omitted with 2-D indices ${fmtShape(indices.shape)}`);
      const [b, l] = indices.shape as [number, number];
      return Int32Array.from({ length: b + 1 }, (_, i) => i * l);
    }
    if (indices.rank !== 1)
      throw new RangeError(
        `${op}: indices must be [B, L] or 1-D with offsets, got ${fmtShape(indices.shape)}`,
      );
    if (!offsets) throw new RangeError(`${op}: 1-D indices ${fmtShape(indices.shape)} need offsets`);
    if (offsets.dtype !== 'int32' || offsets.rank !== 1)
      throw new TypeError(
        `${op}: offsets must be a 1-D int32 tensor, got ${offsets.dtype} ${fmtShape(offsets.shape)}`,
      );
    const e = indices.size;
    const given = Array.from(offsets.dataSync());
    const starts = this.includeLastOffset ? given.slice(0, -1) : given;
    if (this.includeLastOffset && (given.length === 0 || given[given.length - 1]! !== e))
      throw new RangeError(`${op}: with includeLastOffset the last offset must be ${e}, got [${given}]`);
    if (starts.length > 0 && starts[0] !== 0)
      throw new RangeError(`${op}: the first offset must be 0, got ${starts[0]}`);
    for (let i = 1; i < starts.length; i++)
      if (starts[i]! < starts[i - 1]! || starts[i]! > e)
        throw new RangeError(`${op}: offsets must be non-decreasing and ≤ ${e}, got [${given}]`);
    return Int32Array.from([...starts, e]);
  }
}
