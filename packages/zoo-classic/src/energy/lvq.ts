import {
  argmin,
  Generator,
  Module,
  noGrad,
  type Seed,
  scope,
  type Tensor,
  tensor,
  Variable,
} from '@myelin/core';

/**
 * Learning vector quantisation, LVQ1 (Kohonen 1990; "Self-Organizing Maps", §6.2): labelled
 * prototypes `weight` `[P, D]` with classes `prototypeLabels`; a sample is classified as its
 * nearest prototype, and training moves that prototype towards the sample when their classes
 * agree and away when they differ: w_c ← w_c ± α(x − w_c).
 *
 * @example
 * const lvq = new LVQ({ dims: 4, classes: 3, perClass: 2 });
 * lvq.initFromClassMeans(x, labels);
 * for (let e = 0; e < 30; e++) lvq.epoch(x, labels, { lr: 0.05 * (1 - e / 30), seed: e });
 */
export class LVQ extends Module {
  weight: Variable;
  /** The class of each prototype, class-major (`perClass` prototypes of class 0 first). */
  readonly prototypeLabels: Int32Array;
  readonly dims: number;
  readonly classes: number;

  constructor(options: { dims: number; classes: number; perClass?: number }) {
    super();
    const perClass = options.perClass ?? 1;
    for (const [v, what] of [
      [options.dims, 'dims'],
      [options.classes, 'classes'],
      [perClass, 'perClass'],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`LVQ: ${what} must be an integer ≥ 1, got ${v}`);
    this.dims = options.dims;
    this.classes = options.classes;
    this.prototypeLabels = Int32Array.from({ length: options.classes * perClass }, (_, i) =>
      Math.floor(i / perClass),
    );
    const init = tensor(new Float32Array(this.prototypeLabels.length * this.dims), {
      shape: [this.prototypeLabels.length, this.dims],
    });
    this.weight = new Variable(init);
    init.dispose();
  }

  private check(what: string, x: Tensor, labels?: ArrayLike<number>): void {
    if (x.rank !== 2 || x.shape[1] !== this.dims || x.shape[0] === 0)
      throw new RangeError(
        `${what}: expected samples [B ≥ 1, ${this.dims}], got shape [${x.shape.join(',')}]`,
      );
    if (labels) {
      if (labels.length !== x.shape[0])
        throw new RangeError(`${what}: ${x.shape[0]} samples but ${labels.length} labels`);
      for (let i = 0; i < labels.length; i++)
        if (!Number.isInteger(labels[i]) || labels[i]! < 0 || labels[i]! >= this.classes)
          throw new RangeError(`${what}: label ${labels[i]} at ${i} is not in [0, ${this.classes})`);
    }
  }

  /**
   * Prototypes of each class at random samples of that class (seeded), the usual start; a class
   * with no samples is an error.
   */
  initFromSamples(x: Tensor, labels: ArrayLike<number>, options: { seed?: Seed } = {}): void {
    this.check('LVQ.initFromSamples', x, labels);
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const host = x.dataSync() as Float32Array;
    const out = new Float32Array(this.prototypeLabels.length * this.dims);
    const byClass: number[][] = Array.from({ length: this.classes }, () => []);
    for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
    let slot = 0;
    for (const [k, rows] of byClass.entries()) {
      if (!rows.length) throw new RangeError(`LVQ.initFromSamples: class ${k} has no samples`);
      const order = gen.permutation(rows.length);
      const perClass = this.prototypeLabels.length / this.classes;
      for (let j = 0; j < perClass; j++) {
        const i = rows[order[j % rows.length]!]!;
        out.set(host.subarray(i * this.dims, (i + 1) * this.dims), slot * this.dims);
        slot++;
      }
    }
    const w = tensor(out, { shape: [this.prototypeLabels.length, this.dims] });
    this.weight.assign(w);
    w.dispose();
  }

  /** The index of each sample's nearest prototype: `[B, D]` → int32 `[B]`. */
  nearest(x: Tensor): Tensor {
    this.check('LVQ.nearest', x);
    return noGrad(() =>
      scope(() => {
        const ww = this.weight.square().sum(1).reshape([1, this.prototypeLabels.length]);
        return argmin(ww.sub(x.matmul(this.weight, { transposeB: true }).mul(2)), 1);
      }),
    );
  }

  /** The class of each sample (its nearest prototype's). */
  predict(x: Tensor): Int32Array {
    const idx = this.nearest(x);
    const near = idx.dataSync();
    idx.dispose();
    return Int32Array.from(near as ArrayLike<number>, (p) => this.prototypeLabels[Number(p)]!);
  }

  /** One LVQ1 update per sample, in order: w_c ← w_c + sα(x − w_c), s = +1 if the classes agree else −1. */
  update(x: Tensor, labels: ArrayLike<number>, lr: number): void {
    this.check('LVQ.update', x, labels);
    if (!(lr > 0 && lr <= 1)) throw new RangeError(`LVQ.update: lr must be in (0, 1], got ${lr}`);
    const n = x.shape[0]!;
    const p = this.prototypeLabels.length;
    for (let i = 0; i < n; i++) {
      const next = noGrad(() =>
        scope(() => {
          const xi = x.slice([i, i + 1]);
          const c = this.nearest(xi).item();
          const s = this.prototypeLabels[c] === labels[i] ? lr : -lr;
          const mask = new Float32Array(p);
          mask[c] = s;
          const step = tensor(mask, { shape: [p, 1] }).mul(xi.sub(this.weight));
          return this.weight.add(step);
        }),
      );
      this.weight.assign(next);
      next.dispose();
    }
  }

  /** One pass over `x` in a random order (seeded) at learning rate `lr`. */
  epoch(x: Tensor, labels: ArrayLike<number>, options: { lr: number; seed?: Seed }): void {
    this.check('LVQ.epoch', x, labels);
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const order = gen.permutation(x.shape[0]!);
    const shuffled = noGrad(() => scope(() => x.indexSelect(0, tensor(order, { dtype: 'int32' }))));
    try {
      this.update(
        shuffled,
        Array.from(order, (i) => labels[i]!),
        options.lr,
      );
    } finally {
      shuffled.dispose();
    }
  }
}
