import {
  fmtShape,
  Generator,
  maximum,
  minimum,
  noGrad,
  onesLike,
  rand,
  type Seed,
  scope,
  type Tensor,
  vjp,
} from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import type { Batch, BatchSource } from '@myelin/train';
import { checkImages, type ImageModel, inEvalMode } from './interpret.js';

/**
 * Adversarial examples under an L∞ budget on images in [0, 1]: FGSM (Goodfellow, Shlens & Szegedy
 * 2015), PGD (Madry et al. 2018), and PGD adversarial training. Attacks run the model in eval mode
 * and differentiate with respect to the input only, so the parameters' `.grad` is never touched.
 */

export interface AttackOptions {
  /** The L∞ budget: every pixel moves at most this far (a number in [0, 1]). */
  epsilon: number;
  /**
   * Targeted: `y` holds the classes to reach (the loss toward them is lowered). Untargeted
   * (default): `y` holds the true classes (the loss on them is raised).
   */
  targeted?: boolean;
}

export interface PgdOptions extends AttackOptions {
  /** Gradient-sign steps (default 20). */
  steps?: number;
  /** α, the size of each step (default 2.5·ε/steps, Madry et al. §C). */
  stepSize?: number;
  /** Start at a uniform draw from the ε-ball (default true), as Madry et al. */
  randomStart?: boolean;
  /**
   * Seed of the random start (a number or a core `Generator`, which advances from call to call);
   * default: core's global generator.
   */
  seed?: Seed;
}

function checkEpsilon(op: string, epsilon: unknown): number {
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1))
    throw new RangeError(
      `${op}: epsilon must be a number in [0, 1] (an L∞ budget on pixels in [0, 1]), got ${String(epsilon)}`,
    );
  return epsilon;
}

function checkLabels(op: string, x: Tensor, y: Tensor): void {
  checkImages(op, x);
  if (y.rank !== 1 || y.shape[0] !== x.shape[0] || y.dtype !== 'int32')
    throw new RangeError(
      `${op}: labels must be an int32 tensor [${x.shape[0]}] (one class per image), got ${y.dtype} ${fmtShape(y.shape)}`,
    );
}

/**
 * sign(∇ₓ CE(f(x), y)), the loss summed over the batch so each image's own gradient is kept
 * unscaled. The backward pass runs without recording (the parameters require grad, so it would
 * otherwise build a graph that each PGD step would chain onto the last).
 */
function lossGradSign(model: ImageModel, x: Tensor, y: Tensor): Tensor {
  return scope(() => {
    const [loss, back] = vjp(
      (input: Tensor) => crossEntropy(model.forward(input), y, { reduction: 'sum' }),
      x,
    );
    return noGrad(() => back(onesLike(loss))[0]!.sign());
  });
}

/**
 * FGSM (Goodfellow et al. 2015, eq. 3): x + ε·sign(∇ₓ J(x, y)), clipped to [0, 1]; targeted, it
 * steps down the loss toward `y` instead: x − ε·sign(∇ₓ J(x, y)).
 *
 * @throws RangeError when ε is not in [0, 1], or `x`/`y` are not an image batch and its labels
 * @example
 * const xAdv = fgsm(net, images, labels, { epsilon: 0.1 });
 */
export function fgsm(model: ImageModel, x: Tensor, y: Tensor, options: AttackOptions): Tensor {
  const op = 'fgsm';
  const eps = checkEpsilon(op, options.epsilon);
  checkLabels(op, x, y);
  const dir = options.targeted ? -eps : eps;
  return inEvalMode(model, () => scope(() => lossGradSign(model, x, y).mul(dir).add(x).clip(0, 1)));
}

/**
 * PGD under L∞ (Madry et al. 2018, eq. 2.1): from a random point of the ε-ball, `steps` times
 * x ← Π(x + α·sign(∇ₓ J(x, y))), where Π projects onto the ε-ball around the clean images and
 * then onto [0, 1] (the two commute into a box, so the result is in both). Targeted, it steps
 * down the loss toward `y`.
 *
 * @throws RangeError when ε is not in [0, 1], steps is not a positive integer, or α is not a
 *   positive number
 * @example
 * const xAdv = pgd(net, images, labels, { epsilon: 0.1, steps: 20, stepSize: 0.01, seed: 1 });
 */
export function pgd(model: ImageModel, x: Tensor, y: Tensor, options: PgdOptions): Tensor {
  const op = 'pgd';
  const eps = checkEpsilon(op, options.epsilon);
  const steps = options.steps ?? 20;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`${op}: steps must be a positive integer, got ${steps}`);
  const alpha = options.stepSize ?? (2.5 * eps) / steps;
  if (options.stepSize !== undefined && (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1)))
    throw new RangeError(`${op}: stepSize must be a number in (0, 1], got ${String(alpha)}`);
  checkLabels(op, x, y);
  // A zero budget leaves nothing to search.
  if (eps === 0) return x.clone();
  const dir = options.targeted ? -alpha : alpha;
  return inEvalMode(model, () =>
    scope(() => {
      // The box both constraints make: [max(x − ε, 0), min(x + ε, 1)].
      const lo = x.sub(eps).clip(0, 1);
      const hi = x.add(eps).clip(0, 1);
      let adv =
        options.randomStart === false
          ? x.clone()
          : scope(() =>
              rand(x.shape, { seed: options.seed })
                .mul(2 * eps)
                .sub(eps)
                .add(x)
                .clip(0, 1),
            );
      for (let s = 0; s < steps; s++) {
        const prev = adv;
        adv = scope(() => minimum(maximum(lossGradSign(model, prev, y).mul(dir).add(prev), lo), hi));
        prev.dispose();
      }
      return adv;
    }),
  );
}

/**
 * Adversarial training's data (Madry et al. 2018, §3): each batch of `source` with its images
 * replaced by PGD examples against the model as it is at that step (the clean images are freed).
 * The attack runs in eval mode and the model's modes are restored before `fit` trains on the
 * batch; the attack's gradients are taken with respect to the images only, so nothing reaches the
 * parameters' `.grad`.
 *
 * @example
 * fit(net, { optimizer, loss: crossEntropy, data: adversarialBatches(net, loader, { epsilon: 0.1, steps: 10 }) });
 */
export function adversarialBatches(
  model: ImageModel,
  source: BatchSource,
  options: PgdOptions,
): AsyncIterable<{ x: Tensor; y: Tensor }> {
  checkEpsilon('adversarialBatches', options.epsilon);
  // One generator for the whole run, so every batch gets a fresh random start.
  const seed =
    options.seed === undefined || options.seed instanceof Generator
      ? options.seed
      : new Generator(options.seed);
  return {
    async *[Symbol.asyncIterator]() {
      for await (const b of source as AsyncIterable<Batch>) {
        const [x, y] = Array.isArray(b)
          ? (b as readonly [Tensor, Tensor])
          : [(b as { x: Tensor }).x, (b as { y: Tensor }).y];
        let xAdv: Tensor;
        try {
          xAdv = pgd(model, x, y, { ...options, seed });
        } catch (e) {
          y.dispose();
          throw e;
        } finally {
          x.dispose();
        }
        yield { x: xAdv, y };
      }
    },
  };
}

/**
 * The share of images the model still classifies correctly (`attack` omitted: clean accuracy),
 * in batches of `batchSize`, reading only the count per batch.
 *
 * @example
 * const acc = await robustAccuracy(net, x, y, (m, xb, yb) => pgd(m, xb, yb, { epsilon: 0.1 }));
 */
export async function robustAccuracy(
  model: ImageModel,
  x: Tensor,
  y: Tensor,
  attack?: (model: ImageModel, x: Tensor, y: Tensor) => Tensor,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  checkLabels('robustAccuracy', x, y);
  const n = x.shape[0]!;
  const size = options.batchSize ?? 500;
  let correct = 0;
  for (let i = 0; i < n; i += size) {
    options.signal?.throwIfAborted();
    const hits = scope(() => {
      const xb = x.slice([i, Math.min(n, i + size)]);
      const yb = y.slice([i, Math.min(n, i + size)]);
      const input = attack ? attack(model, xb, yb) : xb;
      const logits = inEvalMode(model, () => noGrad(() => model.forward(input)));
      return logits.argmax(1).equal(yb).cast('int32').sum();
    });
    correct += (await hits.data())[0]!;
    hits.dispose();
    // Give the event loop a turn between batches, so a run stays stoppable.
    await new Promise<void>((r) => setTimeout(r, 0));
  }
  return correct / n;
}
