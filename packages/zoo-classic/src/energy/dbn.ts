import { Generator, noGrad, type Seed, scope, type Tensor } from '@myelin/core';
import { Linear, Sequential, Sigmoid } from '@myelin/nn';
import { RBM } from './rbm.js';

/**
 * A deep belief network's layers as a stack of RBMs (Hinton, Osindero & Teh 2006): RBM ℓ models the
 * hidden probabilities of RBM ℓ−1, trained greedily one after the other. `sizes` are the unit counts
 * from the input up, e.g. `[784, 500, 500]`.
 *
 * @example
 * const dbn = new DeepBeliefNet([784, 500, 500], { seed: 1 });
 * // pre-train dbn.rbms[0] on x, then dbn.rbms[1] on dbn.propagate(x, 1), …; then:
 * const mlp = dbn.toSequential(10); // Linear+Sigmoid per RBM, then a Linear to the classes
 */
export class DeepBeliefNet {
  readonly rbms: RBM[];

  constructor(
    readonly sizes: readonly number[],
    options: { seed?: Seed; visible?: 'bernoulli' | 'gaussian' } = {},
  ) {
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1))
      throw new RangeError(
        `DeepBeliefNet: sizes must be two or more integers ≥ 1 (input first), got [${sizes.join(', ')}]`,
      );
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    this.rbms = sizes.slice(1).map(
      (h, i) =>
        new RBM(sizes[i]!, h, {
          seed: gen.fork(),
          visible: i === 0 ? (options.visible ?? 'bernoulli') : 'bernoulli',
        }),
    );
  }

  /** The hidden probabilities of the first `depth` RBMs applied in turn (the input of RBM `depth`). */
  propagate(x: Tensor, depth: number): Tensor {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.rbms.length)
      throw new RangeError(
        `DeepBeliefNet.propagate: depth must be an integer in [0, ${this.rbms.length}], got ${depth}`,
      );
    return noGrad(() =>
      scope(() => {
        let h = x;
        for (let i = 0; i < depth; i++) h = this.rbms[i]!.hiddenProbs(h);
        return depth === 0 ? x.clone() : h;
      }),
    );
  }

  /**
   * The discriminative network the pre-trained stack initialises: for each RBM a `Linear` (its
   * `weight` `[H, V]` and hidden bias copied) and a `Sigmoid`, then a fresh `Linear` to `classes`
   * outputs (logits). The copies are independent of the RBMs; fine-tune it with any optimizer.
   */
  toSequential(classes: number, options: { seed?: Seed } = {}): Sequential {
    if (!Number.isInteger(classes) || classes < 1)
      throw new RangeError(`DeepBeliefNet.toSequential: classes must be an integer ≥ 1, got ${classes}`);
    const layers = [];
    for (const rbm of this.rbms) {
      const fc = new Linear(rbm.nVisible, rbm.nHidden, { seed: 0 });
      fc.weight.assign(rbm.weight);
      fc.bias!.assign(rbm.hiddenBias);
      layers.push(fc, new Sigmoid());
    }
    layers.push(new Linear(this.sizes.at(-1)!, classes, { seed: options.seed }));
    return new Sequential(...layers);
  }

  dispose(): void {
    for (const r of this.rbms) r.dispose();
  }
}
