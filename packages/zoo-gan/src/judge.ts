/**
 * Judging generated digits with a trained classifier (the "Inception score" idea of Salimans et
 * al., 2016, and the FID of Heusel et al., 2017, with LeNet-5 in Inception's place): how sure the
 * classifier is of each sample, how evenly the samples spread over the classes, and the Fréchet
 * distance between its penultimate features (84 wide, after the ReLU) for samples and for real
 * digits.
 */
import { argmax, concat, noGrad, scope, softmax, type Tensor } from '@myelin/core';
import type { Sequential } from '@myelin/nn';
import { type FeatureStats, featureStats } from './frechet.js';

/** A judge's verdict over a set of samples. */
export interface JudgeScores {
  /** Mean over samples of the largest class probability. */
  confidence: number;
  /** Samples per predicted class. */
  counts: number[];
  /** Classes predicted at least once. */
  classes: number;
  /** Entropy of the predicted-class histogram, in bits (log2 10 ≈ 3.32 for ten even classes). */
  spreadBits: number;
  /** The predicted class of each sample. */
  predicted: Int32Array;
  /** Features of the penultimate layer, [n, d] row-major. */
  features: Float32Array;
  featureWidth: number;
}

/**
 * A classifier used as a judge of images in [0, 1], [N, 1, 28, 28]: a `Sequential` (LeNet-5 from
 * `@myelin/zoo-cnn`) whose last layer gives the class logits and whose layers before it give the
 * features. The network is put in eval mode; the judge does not own it.
 */
export class Judge {
  constructor(
    readonly net: Sequential,
    /** Images per forward pass (memory bound, not a statistical choice). */
    readonly batch = 250,
  ) {
    if (net.length < 2)
      throw new RangeError(
        `Judge: the network needs a feature layer and a class layer, got ${net.length} layers`,
      );
  }

  /** Features and logits of images in [0, 1]. */
  private run(x: Tensor): [features: Tensor, logits: Tensor] {
    this.net.eval();
    let h = x;
    const last = this.net.length - 1;
    for (let i = 0; i < last; i++) h = this.net.at(i).forward(h);
    return [h, this.net.at(last).forward(h)];
  }

  /**
   * Score images in [0, 1] (the caller keeps `images`): confidence, class counts and spread,
   * predicted classes and features, `batch` images per forward pass.
   */
  async score(images: Tensor): Promise<JudgeScores> {
    if (images.rank !== 4)
      throw new RangeError(`Judge.score: expected images [N, C, H, W], got [${images.shape.join(', ')}]`);
    const n = images.shape[0]!;
    const parts: { f: Float32Array; p: Float32Array; c: Int32Array }[] = [];
    for (let start = 0; start < n; start += this.batch) {
      const end = Math.min(n, start + this.batch);
      const [f, p, c] = noGrad(() =>
        scope(() => {
          const [feat, logits] = this.run(images.slice([start, end]));
          const probs = softmax(logits, 1);
          return [feat.reshape([end - start, -1]), probs.max(1), argmax(probs, 1)];
        }),
      );
      try {
        const [fv, pv, cv] = await Promise.all([f.data(), p.data(), c.data()]);
        parts.push({ f: Float32Array.from(fv), p: Float32Array.from(pv), c: Int32Array.from(cv) });
      } finally {
        f.dispose();
        p.dispose();
        c.dispose();
      }
    }
    const featureWidth = parts.length ? parts[0]!.f.length / (parts[0]!.p.length || 1) : 0;
    const features = new Float32Array(n * featureWidth);
    const predicted = new Int32Array(n);
    let confidence = 0;
    let at = 0;
    for (const part of parts) {
      features.set(part.f, at * featureWidth);
      predicted.set(part.c, at);
      for (const v of part.p) confidence += v / n;
      at += part.p.length;
    }
    const counts: number[] = [];
    for (const c of predicted) counts[c] = (counts[c] ?? 0) + 1;
    for (let i = 0; i < counts.length; i++) counts[i] ??= 0;
    let spreadBits = 0;
    for (const k of counts) if (k > 0) spreadBits -= (k / n) * Math.log2(k / n);
    return {
      confidence,
      counts,
      classes: counts.filter((k) => k > 0).length,
      spreadBits,
      predicted,
      features,
      featureWidth,
    };
  }

  /** The Gaussian of the judge's features over `images` in [0, 1]. */
  async stats(images: Tensor): Promise<FeatureStats> {
    const s = await this.score(images);
    return featureStats(s.features, images.shape[0]!, s.featureWidth);
  }
}

/** Images in [−1, 1] (a tanh generator's) to [0, 1]. */
export function toUnit(x: Tensor): Tensor {
  return x.add(1).mul(0.5);
}

/** Concatenate along the batch axis, disposing the parts. */
export function concatBatches(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0]!;
  const out = concat(parts, 0);
  for (const p of parts) p.dispose();
  return out;
}
