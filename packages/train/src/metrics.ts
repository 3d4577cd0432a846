import type { TypedArray } from '@myelin/core';

/**
 * What a metric reads: a Tensor, or host values already read from one (`fit` reads predictions
 * asynchronously, so metrics work on backends without synchronous reads, such as WebGPU).
 */
export interface MetricInput {
  readonly shape: readonly number[];
  readonly rank: number;
  readonly size: number;
  dataSync(): TypedArray;
}

type Tensor = MetricInput;

/** Host values with a tensor's shape, as a MetricInput. */
export function hostValues(values: TypedArray, shape: readonly number[]): MetricInput {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, rank: shape.length, size, dataSync: () => values };
}

/**
 * A streaming metric: `update` with each batch's predictions and targets (a host read), `compute`
 * the value over everything seen since `reset`. Values are accumulated in float64 on the host.
 */
export interface Metric {
  readonly name: string;
  update(pred: Tensor, target: Tensor): void;
  compute(): number;
  reset(): void;
}

/** Predicted and true class per sample, from logits/probabilities [N, C] (or [N] binary) and targets [N] or one-hot [N, C]. */
function classes(
  pred: Tensor,
  target: Tensor,
  op: string,
): { p: Int32Array; t: Int32Array; scores: TypedArray; c: number } {
  const scores = pred.dataSync();
  const tv = target.dataSync();
  if (pred.rank >= 2 && (target.rank === pred.rank - 1 || target.rank === pred.rank)) {
    const c = pred.shape[pred.rank - 1]!;
    const n = pred.size / c;
    if (target.size !== (target.rank === pred.rank ? pred.size : n)) {
      throw new RangeError(
        `${op}: predictions [${pred.shape.join(',')}] do not match targets [${target.shape.join(',')}]`,
      );
    }
    const p = new Int32Array(n);
    const t = new Int32Array(n);
    const oneHot = target.rank === pred.rank;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let tb = 0;
      for (let j = 1; j < c; j++) {
        if (scores[i * c + j]! > scores[i * c + best]!) best = j;
        if (oneHot && tv[i * c + j]! > tv[i * c + tb]!) tb = j;
      }
      p[i] = best;
      t[i] = oneHot ? tb : tv[i]!;
    }
    return { p, t, scores, c };
  }
  if (pred.size === target.size) {
    // Binary: a probability (or a 0/1 prediction) per sample.
    const n = pred.size;
    const p = new Int32Array(n);
    const t = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      p[i] = scores[i]! >= 0.5 ? 1 : 0;
      t[i] = tv[i]! >= 0.5 ? 1 : 0;
    }
    return { p, t, scores, c: 2 };
  }
  throw new RangeError(
    `${op}: predictions [${pred.shape.join(',')}] do not match targets [${target.shape.join(',')}] (expected [N, C] with [N] or one-hot [N, C], or equal shapes)`,
  );
}

/** Fraction of samples whose predicted class (argmax) is the target class. */
export function accuracy(): Metric {
  let right = 0;
  let total = 0;
  return {
    name: 'accuracy',
    update(pred, target) {
      const { p, t } = classes(pred, target, 'accuracy');
      for (let i = 0; i < p.length; i++) if (p[i] === t[i]) right++;
      total += p.length;
    },
    compute: () => (total ? right / total : 0),
    reset() {
      right = total = 0;
    },
  };
}

/** Fraction of samples whose target is among the k highest scores (ties broken by lower index). */
export function topKAccuracy(k: number): Metric {
  let right = 0;
  let total = 0;
  return {
    name: `top${k}Accuracy`,
    update(pred, target) {
      const { t, scores, c } = classes(pred, target, 'topKAccuracy');
      for (let i = 0; i < t.length; i++) {
        const s = scores[i * c + t[i]!]!;
        let better = 0;
        for (let j = 0; j < c; j++) {
          const v = scores[i * c + j]!;
          if (v > s || (v === s && j < t[i]!)) better++;
        }
        if (better < k) right++;
      }
      total += t.length;
    },
    compute: () => (total ? right / total : 0),
    reset() {
      right = total = 0;
    },
  };
}

/** Counts of [true class][predicted class]. */
export class ConfusionMatrix implements Metric {
  readonly name = 'confusionMatrix';
  private counts: Float64Array;
  constructor(readonly numClasses: number) {
    this.counts = new Float64Array(numClasses * numClasses);
  }
  update(pred: Tensor, target: Tensor): void {
    const { p, t } = classes(pred, target, 'confusionMatrix');
    const n = this.numClasses;
    for (let i = 0; i < p.length; i++) {
      if (t[i]! < 0 || t[i]! >= n || p[i]! >= n) {
        throw new RangeError(`confusionMatrix: class ${Math.max(t[i]!, p[i]!)} is outside 0..${n - 1}`);
      }
      this.counts[t[i]! * n + p[i]!]!++;
    }
  }
  /** The matrix as rows (true class) of columns (predicted class). */
  matrix(): number[][] {
    const n = this.numClasses;
    return Array.from({ length: n }, (_, i) => Array.from(this.counts.subarray(i * n, i * n + n)));
  }
  /** Accuracy, so that it can stand in a metric list. */
  compute(): number {
    let diag = 0;
    let all = 0;
    for (let i = 0; i < this.numClasses; i++) diag += this.counts[i * this.numClasses + i]!;
    for (const v of this.counts) all += v;
    return all ? diag / all : 0;
  }
  reset(): void {
    this.counts.fill(0);
  }
}

export type Average = 'macro' | 'micro';

/** Per-class precision, recall and F1 from a confusion matrix; classes with a zero denominator score 0 (as scikit-learn's zero_division=0). */
function prf(cm: ConfusionMatrix, kind: 'precision' | 'recall' | 'f1', average: Average): number {
  const m = cm.matrix();
  const n = cm.numClasses;
  let tpAll = 0;
  let fpAll = 0;
  let fnAll = 0;
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const tp = m[c]![c]!;
    let fp = 0;
    let fn = 0;
    for (let o = 0; o < n; o++) {
      if (o === c) continue;
      fp += m[o]![c]!;
      fn += m[c]![o]!;
    }
    tpAll += tp;
    fpAll += fp;
    fnAll += fn;
    sum += score(tp, fp, fn, kind);
  }
  return average === 'micro' ? score(tpAll, fpAll, fnAll, kind) : sum / n;
}

function score(tp: number, fp: number, fn: number, kind: 'precision' | 'recall' | 'f1'): number {
  const p = tp + fp ? tp / (tp + fp) : 0;
  const r = tp + fn ? tp / (tp + fn) : 0;
  if (kind === 'precision') return p;
  if (kind === 'recall') return r;
  return p + r ? (2 * p * r) / (p + r) : 0;
}

function classMetric(kind: 'precision' | 'recall' | 'f1', numClasses: number, average: Average): Metric {
  const cm = new ConfusionMatrix(numClasses);
  return {
    name: `${kind}${average === 'macro' ? 'Macro' : 'Micro'}`,
    update: (p, t) => cm.update(p, t),
    compute: () => prf(cm, kind, average),
    reset: () => cm.reset(),
  };
}

export const precision = (numClasses: number, options: { average?: Average } = {}) =>
  classMetric('precision', numClasses, options.average ?? 'macro');
export const recall = (numClasses: number, options: { average?: Average } = {}) =>
  classMetric('recall', numClasses, options.average ?? 'macro');
export const f1 = (numClasses: number, options: { average?: Average } = {}) =>
  classMetric('f1', numClasses, options.average ?? 'macro');

function regression(
  name: string,
  op: (sums: Float64Array) => number,
  add: (sums: Float64Array, p: number, t: number) => void,
): Metric {
  const sums = new Float64Array(4);
  return {
    name,
    update(pred, target) {
      if (pred.size !== target.size) {
        throw new RangeError(
          `${name}: predictions [${pred.shape.join(',')}] and targets [${target.shape.join(',')}] differ in size`,
        );
      }
      const pv = pred.dataSync();
      const tv = target.dataSync();
      for (let i = 0; i < pv.length; i++) add(sums, pv[i]!, tv[i]!);
    },
    compute: () => (sums[0] ? op(sums) : 0),
    reset: () => sums.fill(0),
  };
}

/** Mean squared error. */
export const mse = () =>
  regression(
    'mse',
    (s) => s[1]! / s[0]!,
    (s, p, t) => {
      s[0]!++;
      s[1]! += (p - t) ** 2;
    },
  );

/** Mean absolute error. */
export const mae = () =>
  regression(
    'mae',
    (s) => s[1]! / s[0]!,
    (s, p, t) => {
      s[0]!++;
      s[1]! += Math.abs(p - t);
    },
  );

/** Coefficient of determination 1 − SS_res / SS_tot. */
export const r2 = () =>
  regression(
    'r2',
    (s) => {
      const ssTot = s[3]! - (s[2]! * s[2]!) / s[0]!;
      return ssTot > 0 ? 1 - s[1]! / ssTot : 0;
    },
    (s, p, t) => {
      s[0]!++;
      s[1]! += (p - t) ** 2;
      s[2]! += t;
      s[3]! += t * t;
    },
  );

/** exp(mean cross-entropy) of logits [..., C] against int class targets [...]. */
export function perplexity(): Metric {
  let nll = 0;
  let count = 0;
  return {
    name: 'perplexity',
    update(pred, target) {
      const c = pred.shape[pred.rank - 1]!;
      const logits = pred.dataSync();
      const t = target.dataSync();
      if (t.length * c !== logits.length) {
        throw new RangeError(
          `perplexity: logits [${pred.shape.join(',')}] do not match targets [${target.shape.join(',')}]`,
        );
      }
      for (let i = 0; i < t.length; i++) {
        let m = -Infinity;
        for (let j = 0; j < c; j++) m = Math.max(m, logits[i * c + j]!);
        let s = 0;
        for (let j = 0; j < c; j++) s += Math.exp(logits[i * c + j]! - m);
        nll += m + Math.log(s) - logits[i * c + t[i]!]!;
      }
      count += t.length;
    },
    compute: () => (count ? Math.exp(nll / count) : 0),
    reset() {
      nll = count = 0;
    },
  };
}
