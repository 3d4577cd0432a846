import { fmtShape, Module, type Parameter, randn, type Seed, type Tensor, tensor } from '@myelin/core';
import { Dropout } from './dropout.js';
import { generatorFrom, param, positiveInt } from './util.js';

/**
 * The sinusoidal table of Vaswani et al. (2017, §3.5), [length, dModel]:
 * PE[pos, 2i] = sin(pos / 10000^{2i/d}), PE[pos, 2i+1] = cos(pos / 10000^{2i/d}),
 * computed as the PyTorch tutorial does (div = exp(2i · −ln(10000)/d)).
 */
export function sinusoidalTable(length: number, dModel: number): Tensor {
  const v = new Float32Array(length * dModel);
  for (let i = 0; 2 * i < dModel; i++) {
    const div = Math.exp(Math.fround(2 * i * Math.fround(-Math.log(10000) / dModel)));
    for (let pos = 0; pos < length; pos++) {
      const a = Math.fround(pos * Math.fround(div));
      v[pos * dModel + 2 * i] = Math.sin(a);
      if (2 * i + 1 < dModel) v[pos * dModel + 2 * i + 1] = Math.cos(a);
    }
  }
  return tensor(v, { shape: [length, dModel] });
}

export interface PositionalEncodingOptions {
  /** Dropout after adding the encoding (default 0.1, as the PyTorch tutorial's PositionalEncoding). */
  dropout?: number;
  /** Longest sequence accepted (default 5000). */
  maxLen?: number;
  /** Inputs are [batch, seq, dModel] (default false: [seq, batch, dModel]). */
  batchFirst?: boolean;
  seed?: Seed;
}

function seqAxis(op: string, x: Tensor, dModel: number, batchFirst: boolean, maxLen: number): number {
  if (x.rank < 2 || x.shape[x.rank - 1] !== dModel)
    throw new RangeError(`${op}: input must end in dModel = ${dModel}, got ${fmtShape(x.shape)}`);
  const axis = x.rank === 2 ? 0 : batchFirst ? 1 : 0;
  if (x.shape[axis]! > maxLen)
    throw new RangeError(`${op}: sequence length ${x.shape[axis]} exceeds maxLen ${maxLen}`);
  return axis;
}

/**
 * Adds the fixed sinusoidal encoding to x [seq, batch, dModel] (or [batch, seq, dModel] with
 * batchFirst, or [seq, dModel]) and applies dropout. The table is a constant, not part of the state dict.
 */
export class SinusoidalPositionalEncoding extends Module {
  dropout: Dropout;
  readonly maxLen: number;
  readonly batchFirst: boolean;
  #table: Float32Array | null = null;

  constructor(
    readonly dModel: number,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    positiveInt('SinusoidalPositionalEncoding', dModel, 'dModel');
    this.maxLen = options.maxLen ?? 5000;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = new Dropout(options.dropout ?? 0.1, { seed: generatorFrom(options.seed) });
  }

  forward(x: Tensor): Tensor {
    const axis = seqAxis('SinusoidalPositionalEncoding', x, this.dModel, this.batchFirst, this.maxLen);
    const T = x.shape[axis]!;
    if (!this.#table || this.#table.length < T * this.dModel) {
      const t = sinusoidalTable(Math.max(T, 64), this.dModel);
      this.#table = t.dataSync() as Float32Array;
      t.dispose();
    }
    const pe = tensor(this.#table.subarray(0, T * this.dModel), { shape: [T, this.dModel] });
    const shaped = x.rank === 2 || axis === 1 ? pe : pe.unsqueeze(1);
    return this.dropout.forward(x.add(shaped));
  }
}

/**
 * A learned position table added to the input (BERT/GPT style): `weight` [maxLen, dModel],
 * initialised N(0, std²) with std 0.02 by default; dropout after (default 0).
 */
export class LearnedPositionalEncoding extends Module {
  weight: Parameter;
  dropout: Dropout;
  readonly batchFirst: boolean;

  constructor(
    readonly maxLen: number,
    readonly dModel: number,
    options: Omit<PositionalEncodingOptions, 'maxLen'> & { std?: number } = {},
  ) {
    super();
    positiveInt('LearnedPositionalEncoding', maxLen, 'maxLen');
    positiveInt('LearnedPositionalEncoding', dModel, 'dModel');
    const gen = generatorFrom(options.seed);
    this.weight = param(randn([maxLen, dModel], { seed: gen, std: options.std ?? 0.02 }));
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = new Dropout(options.dropout ?? 0, { seed: gen });
  }

  forward(x: Tensor): Tensor {
    const axis = seqAxis('LearnedPositionalEncoding', x, this.dModel, this.batchFirst, this.maxLen);
    const T = x.shape[axis]!;
    const pe = this.weight.slice([0, T]);
    const shaped = x.rank === 2 || axis === 1 ? pe : pe.unsqueeze(1);
    return this.dropout.forward(x.add(shaped));
  }
}
