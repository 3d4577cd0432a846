import { memory, oneHot, slice, stack, take, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';

describe('ops free their own temporaries', () => {
  it('composites called outside any scope leave only their result', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    const idx = tensor(new Int32Array([0, 2]));
    const results = [
      () => stack([a, b]),
      () => take(a, idx),
      () => slice(a, 1),
      () => oneHot(idx, 3),
      () => a.add(1),
      () => a.std(),
    ];
    for (const f of results) {
      const before = memory().tensors;
      const r = f();
      expect(memory().tensors - before).toBe(1);
      r.dispose();
    }
  });
});
