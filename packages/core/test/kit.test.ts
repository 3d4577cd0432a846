import { describe, expect, it } from 'vitest';
import type { KernelArgs } from '../src/kernels.js';
import {
  broadcastStrides,
  gatherInto,
  HandleLedger,
  HOST_KERNELS,
  padSource,
  StridedRuns,
  scanInto,
  scatterInto,
  sortInto,
  topKInto,
  wrapKernels,
} from '../src/kit/index.js';

// Expected values are PyTorch's documented examples or worked by hand from the definitions.

describe('@myelin/core/kit strided iteration', () => {
  it('broadcastStrides zeroes size-1 and missing dims', () => {
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([], [2, 2])).toEqual([0, 0]);
  });

  it('StridedRuns merges contiguous dims and walks a broadcast operand run by run', () => {
    const same = new StridedRuns(
      [2, 3],
      [
        [3, 1],
        [3, 1],
      ],
    );
    expect([same.count, same.length]).toEqual([1, 6]);
    // [2, 3] + [3]: two runs of 3; the row operand restarts at 0 each run
    const runs = new StridedRuns(
      [2, 3],
      [
        [3, 1],
        [0, 1],
      ],
    );
    const starts: number[][] = [];
    for (let r = 0; r < runs.count; r++) {
      starts.push([...runs.offset]);
      runs.next();
    }
    expect([runs.length, starts]).toEqual([
      3,
      [
        [0, 0],
        [3, 0],
      ],
    ]);
    expect(new StridedRuns([2, 0], [[0, 1]]).count).toBe(0);
  });
});

describe('@myelin/core/kit reference kernels', () => {
  it('gatherInto follows torch.gather and names the op on a bad index', () => {
    // torch.gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]])) = [[1, 1], [4, 3]]
    const out = new Float32Array(4);
    gatherInto(out, Float32Array.of(1, 2, 3, 4), [2, 2], Int32Array.of(0, 0, 1, 0), [2, 2], 1);
    expect([...out]).toEqual([1, 1, 4, 3]);
    expect(() => gatherInto(out, Float32Array.of(1, 2), [2], Int32Array.of(2), [1], 0)).toThrow(
      /gather: index 2 is out of bounds for dimension 0 with size 2/,
    );
  });

  it('scatterInto adds (int32 wrapping, bool saturating) and sets', () => {
    // scatter_add into zeros(5) at index [0, 1, 0, 4] of [1, 2, 3, 4] = [4, 2, 0, 0, 4]
    const out = new Float32Array(5);
    scatterInto(
      out,
      'float32',
      [5],
      Int32Array.of(0, 1, 0, 4),
      [4],
      Float32Array.of(1, 2, 3, 4),
      [4],
      0,
      true,
    );
    expect([...out]).toEqual([4, 2, 0, 0, 4]);
    const int = Int32Array.of(2147483647);
    scatterInto(int, 'int32', [1], Int32Array.of(0), [1], Int32Array.of(1), [1], 0, true);
    expect(int[0]).toBe(-2147483648);
    const bool = Uint8Array.of(1);
    scatterInto(bool, 'bool', [1], Int32Array.of(0), [1], Uint8Array.of(1), [1], 0, true);
    expect(bool[0]).toBe(1);
    const set = Float32Array.of(9, 9, 9);
    scatterInto(set, 'float32', [3], Int32Array.of(2), [1], Float32Array.of(5), [1], 0, false);
    expect([...set]).toEqual([9, 9, 5]);
  });

  it('sortInto is stable and puts NaN last ascending, first descending', () => {
    const x = Float32Array.of(3, Number.NaN, 1, 3);
    const values = new Float32Array(4);
    const indices = new Int32Array(4);
    sortInto(values, indices, x, [4], 0, false);
    expect([...values]).toEqual([1, 3, 3, Number.NaN]);
    expect([...indices]).toEqual([2, 0, 3, 1]);
    sortInto(values, indices, x, [4], 0, true);
    expect([...indices]).toEqual([1, 0, 3, 2]);
  });

  it('topKInto keeps the lower index first on ties', () => {
    const values = new Float32Array(2);
    const indices = new Int32Array(2);
    topKInto(values, indices, Float32Array.of(5, 7, 7, 1), [4], 2, true);
    expect([...values, ...indices]).toEqual([7, 7, 1, 2]);
  });

  it('scanInto wraps int32 sums and runs in reverse', () => {
    const out = new Int32Array(2);
    scanInto(out, Int32Array.of(2147483647, 1), [2], 'int32', 0, false, false);
    expect([...out]).toEqual([2147483647, -2147483648]);
    const rev = new Float32Array(3);
    scanInto(rev, Float32Array.of(1, 2, 3), [3], 'float32', 0, true, true);
    expect([...rev]).toEqual([6, 6, 3]);
  });

  it('padSource reflects without repeating the edge, as torch reflect padding', () => {
    // F.pad(arange(4), (2, 2), mode='reflect') = [2, 1, 0, 1, 2, 3, 2, 1]
    const src = Array.from({ length: 8 }, (_, i) => padSource(i - 2, 4, 'reflect'));
    expect(src).toEqual([2, 1, 0, 1, 2, 3, 2, 1]);
    expect(padSource(-1, 4, 'constant')).toBe(-1);
    expect(padSource(9, 4, 'replicate')).toBe(3);
  });

  it('HOST_KERNELS write every output element (wasm hands them unzeroed storage)', () => {
    const garbage = (n: number) => new Float32Array(n).fill(Number.NaN);
    const tile = garbage(6);
    HOST_KERNELS.Tile!({
      values: [Float32Array.of(1, 2)],
      shapes: [[1, 2]],
      attrs: { reps: [1, 3] },
      outputs: [tile],
      specs: [{ shape: [1, 6], dtype: 'float32' }],
    });
    expect([...tile]).toEqual([1, 2, 1, 2, 1, 2]);
    const pad = garbage(5);
    HOST_KERNELS.Pad!({
      values: [Float32Array.of(1, 2)],
      shapes: [[2]],
      attrs: { pads: [1, 2], mode: 'constant', value: 0 },
      outputs: [pad],
      specs: [{ shape: [5], dtype: 'float32' }],
    });
    expect([...pad]).toEqual([0, 1, 2, 0, 0]);
    const cat = garbage(6);
    HOST_KERNELS.Concat!({
      values: [Float32Array.of(1, 2), new Float32Array(0), Float32Array.of(3, 4, 5, 6)],
      shapes: [
        [2, 1],
        [2, 0],
        [2, 2],
      ],
      attrs: { axis: 1 },
      outputs: [cat],
      specs: [{ shape: [2, 3], dtype: 'float32' }],
    });
    expect([...cat]).toEqual([1, 3, 4, 2, 5, 6]);
  });
});

describe('@myelin/core/kit backend plumbing', () => {
  it('HandleLedger counts live handles and bytes, ignores a second remove, clears on dispose', () => {
    const ledger = new HandleLedger<{ id: number }>();
    const a = ledger.add({ id: 1 }, 16);
    const b = ledger.add({ id: 2 }, 4);
    expect(ledger.memory()).toEqual({ handles: 2, bytes: 20 });
    ledger.remove(a, 16);
    ledger.remove(a, 16);
    expect(ledger.memory()).toEqual({ handles: 1, bytes: 4 });
    expect([ledger.has(a), ledger.has(b)]).toEqual([false, true]);
    const released: number[] = [];
    ledger.clear((h) => released.push(h.id));
    expect([released, ledger.memory()]).toEqual([[2], { handles: 0, bytes: 0 }]);
  });

  it('wrapKernels passes core args to the backend form and keeps only present kernels', () => {
    const seen: unknown[] = [];
    const handle = {};
    const table = wrapKernels<(n: number) => object>({ Neg: () => handle }, (kernel) => (args) => {
      seen.push(args.attrs);
      return [kernel(1)];
    });
    expect(Object.keys(table)).toEqual(['Neg']);
    const args = { inputs: [], attrs: { tag: 1 }, outputs: [] } as unknown as KernelArgs<never>;
    expect(table.Neg!(args)).toEqual([handle]);
    expect(seen).toEqual([{ tag: 1 }]);
  });
});
