import { Generator, memory, tensor } from '@myelin/core';
import { SGD } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import { RecommenderRBM } from '../src/energy/rbm-recommender.js';

/**
 * A small documented ratings set (synthetic, built here): 60 users × 8 films, ratings 1–5. Films
 * 0–3 are one genre, 4–7 another; even users like the first genre (4 or 5) and dislike the second
 * (1 or 2), odd users the reverse; which of the two values is a fixed pattern of user and film. Each
 * user leaves two films unrated, and one more rated film is held out for the test.
 */
function ratingsSet() {
  const users = 60;
  const items = 8;
  const train = new Int32Array(users * items);
  const heldOut: { user: number; item: number; rating: number }[] = [];
  for (let u = 0; u < users; u++) {
    const likesFirst = u % 2 === 0;
    const unrated = [u % items, (u * 3 + 1) % items];
    const held = (u * 5 + 2) % items;
    for (let i = 0; i < items; i++) {
      const liked = i < 4 === likesFirst;
      const rating = liked ? 4 + ((u + i) % 2) : 1 + ((u * i) % 2);
      if (unrated.includes(i)) continue;
      if (i === held && !unrated.includes(held)) heldOut.push({ user: u, item: i, rating });
      else train[u * items + i] = rating;
    }
  }
  return { users, items, train, heldOut };
}

describe('recommender RBM (softmax visible units)', () => {
  it('encode: one-hot ratings and a mask of rated items; p(h | V) = σ(c + Σ W v) by hand', () => {
    const rbm = new RecommenderRBM({ items: 2, ratings: 3, hidden: 1 });
    const { visible, mask } = rbm.encode([2, 0], 1);
    expect(Array.from(visible.dataSync())).toEqual([0, 1, 0, 0, 0, 0]);
    expect(Array.from(mask.dataSync())).toEqual([1, 1, 1, 0, 0, 0]);
    rbm.weight.assign(tensor([[0.1, 0.7, -0.2, 5, 5, 5]]));
    rbm.hiddenBias.assign(tensor([-0.3]));
    // Only the rated item's rating-2 unit counts: σ(−0.3 + 0.7) = σ(0.4).
    expect(rbm.hiddenProbs(visible).dataSync()[0]).toBeCloseTo(1 / (1 + Math.exp(-0.4)), 6);
    // p(v | h = 1) of item 0 is softmax(0.1, 0.7, −0.2) (zero visible biases).
    const p = Array.from(rbm.visibleProbs(tensor([[1]])).dataSync()).slice(0, 3);
    const z = Math.exp(0.1) + Math.exp(0.7) + Math.exp(-0.2);
    for (const [i, v] of p.entries()) expect(v).toBeCloseTo(Math.exp([0.1, 0.7, -0.2][i]!) / z, 6);
  });

  it('CD-1 learns the two tastes: held-out RMSE well below the per-film mean baseline; memory flat', () => {
    const data = ratingsSet();
    const rbm = new RecommenderRBM({ items: data.items, ratings: 5, hidden: 6, seed: 3, initStd: 0.1 });
    const { visible, mask } = rbm.encode(data.train, data.users);
    const opt = new SGD(rbm.parameters(), { lr: 0.1, momentum: 0.5 });
    const gen = new Generator(9);
    const counts: number[] = [];
    for (let step = 0; step < 300; step++) {
      rbm.step(opt, visible, mask, { seed: gen }).dispose();
      if (step >= 2) counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    const predicted = rbm.expectedRatings(visible).dataSync();
    // Baseline: every held-out rating predicted as its film's mean training rating.
    const sums = new Float64Array(data.items);
    const ns = new Float64Array(data.items);
    data.train.forEach((r, k) => {
      if (r > 0) {
        sums[k % data.items]! += r;
        ns[k % data.items]!++;
      }
    });
    let se = 0;
    let seBase = 0;
    for (const h of data.heldOut) {
      se += (predicted[h.user * data.items + h.item]! - h.rating) ** 2;
      seBase += (sums[h.item]! / ns[h.item]! - h.rating) ** 2;
    }
    const rmse = Math.sqrt(se / data.heldOut.length);
    const base = Math.sqrt(seBase / data.heldOut.length);
    console.log(
      `recommender RBM: held-out RMSE ${rmse.toFixed(3)} vs per-film mean ${base.toFixed(3)} (${data.heldOut.length} ratings)`,
    );
    expect(base).toBeGreaterThan(1.4);
    expect(rmse).toBeLessThan(0.8);
  });

  it('bad input names the function', () => {
    expect(() => new RecommenderRBM({ items: 3, ratings: 1, hidden: 2 })).toThrow(
      /RecommenderRBM: ratings must be at least 2/,
    );
    const rbm = new RecommenderRBM({ items: 2, ratings: 5, hidden: 2 });
    expect(() => rbm.encode([6, 0], 1)).toThrow(
      /RecommenderRBM.encode: rating 6 at 0 is not 0 \(unrated\) or 1…5/,
    );
    expect(() => rbm.encode([1, 2, 3], 1)).toThrow(/expected 1 × 2 = 2 ratings, got 3/);
  });
});
