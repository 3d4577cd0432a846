import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WasmBackend, wasmBackend } from '../src/index.js';
import { RNN_PARALLEL_MIN } from '../src/kernels/rnn.js';
import { expectClose, type HostTensor, randomFloats, run } from './helpers.js';

/*
 * The fused LSTM and GRU cells against a float64 reference of the formulas core documents for
 * `LstmCell`, `LstmCellGrad`, `GruCell` and `GruCellGrad` (PyTorch's gate orders i, f, g, o and
 * r, z, n). The reference backwards are checked first against central differences of the
 * reference forwards, so the gradients rest on the forward formulas alone.
 */

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** LSTM forward per element: [h', c'] from the four pre-activations and c. */
function lstmRef(gates: ArrayLike<number>, c: ArrayLike<number>, N: number, H: number) {
  const h2 = new Float64Array(N * H);
  const c2 = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const at = (k: number) => gates[n * 4 * H + k * H + j]!;
      const cn = sig(at(1)) * c[n * H + j]! + sig(at(0)) * Math.tanh(at(2));
      c2[n * H + j] = cn;
      h2[n * H + j] = sig(at(3)) * Math.tanh(cn);
    }
  }
  return { h2, c2 };
}

/** LSTM backward, derived by hand: the cotangents of the pre-activations and of c. */
function lstmGradRef(
  gates: ArrayLike<number>,
  c: ArrayLike<number>,
  dh: ArrayLike<number>,
  dc: ArrayLike<number>,
  N: number,
  H: number,
) {
  const dg = new Float64Array(N * 4 * H);
  const dcPrev = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const at = (q: number) => gates[n * 4 * H + q * H + j]!;
      const [i, f, g, o] = [sig(at(0)), sig(at(1)), Math.tanh(at(2)), sig(at(3))];
      const tc = Math.tanh(f * c[k]! + i * g);
      const dct = dc[k]! + dh[k]! * o * (1 - tc * tc);
      dg[n * 4 * H + j] = dct * g * i * (1 - i);
      dg[n * 4 * H + H + j] = dct * c[k]! * f * (1 - f);
      dg[n * 4 * H + 2 * H + j] = dct * i * (1 - g * g);
      dg[n * 4 * H + 3 * H + j] = dh[k]! * tc * o * (1 - o);
      dcPrev[k] = dct * f;
    }
  }
  return { dg, dcPrev };
}

function gruRef(gx: ArrayLike<number>, gh: ArrayLike<number>, h: ArrayLike<number>, N: number, H: number) {
  const h2 = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const x = (q: number) => gx[n * 3 * H + q * H + j]!;
      const y = (q: number) => gh[n * 3 * H + q * H + j]!;
      const r = sig(x(0) + y(0));
      const z = sig(x(1) + y(1));
      const nn = Math.tanh(x(2) + r * y(2));
      h2[n * H + j] = (1 - z) * nn + z * h[n * H + j]!;
    }
  }
  return h2;
}

function gruGradRef(
  gx: ArrayLike<number>,
  gh: ArrayLike<number>,
  h: ArrayLike<number>,
  dh2: ArrayLike<number>,
  N: number,
  H: number,
) {
  const dgx = new Float64Array(N * 3 * H);
  const dgh = new Float64Array(N * 3 * H);
  const dh = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const x = (q: number) => gx[n * 3 * H + q * H + j]!;
      const y = (q: number) => gh[n * 3 * H + q * H + j]!;
      const r = sig(x(0) + y(0));
      const z = sig(x(1) + y(1));
      const nn = Math.tanh(x(2) + r * y(2));
      const dn = dh2[k]! * (1 - z) * (1 - nn * nn);
      const dz = dh2[k]! * (h[k]! - nn) * z * (1 - z);
      const dr = dn * y(2) * r * (1 - r);
      for (const [q, v] of [
        [0, dr],
        [1, dz],
        [2, dn],
      ] as const) {
        dgx[n * 3 * H + q * H + j] = v;
        dgh[n * 3 * H + q * H + j] = q === 2 ? dn * r : v;
      }
      dh[k] = dh2[k]! * z;
    }
  }
  return { dgx, dgh, dh };
}

/** d/dx of Σ w·f(x) at every element of `x` by central differences (float64). */
function numericGrad(x: Float64Array, loss: (x: Float64Array) => number): Float64Array {
  const out = new Float64Array(x.length);
  const eps = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + eps;
    const up = loss(x);
    x[i] = v - eps;
    const down = loss(x);
    x[i] = v;
    out[i] = (up - down) / (2 * eps);
  }
  return out;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Values in [-scale, scale), exactly representable in float32 (so both sides see the same inputs). */
function host(shape: number[], seed: number, scale = 2): HostTensor {
  const v = randomFloats(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ).map((x) => x * scale);
  return { values: v, shape, dtype: 'float32' };
}

describe('reference formulas (float64) against central differences', () => {
  const N = 2;
  const H = 3;
  it('LSTM backward', () => {
    const g = Float64Array.from(host([N, 4 * H], 1).values);
    const c = Float64Array.from(host([N, H], 2).values);
    const dh = Float64Array.from(host([N, H], 3).values);
    const dc = Float64Array.from(host([N, H], 4).values);
    const loss = (gg: Float64Array, cc: Float64Array) => {
      const { h2, c2 } = lstmRef(gg, cc, N, H);
      return dot(h2, dh) + dot(c2, dc);
    };
    const { dg, dcPrev } = lstmGradRef(g, c, dh, dc, N, H);
    expectClose(
      dg,
      numericGrad(g, (x) => loss(x, c)),
      1e-6,
      1e-8,
    );
    expectClose(
      dcPrev,
      numericGrad(c, (x) => loss(g, x)),
      1e-6,
      1e-8,
    );
  });
  it('GRU backward', () => {
    const gx = Float64Array.from(host([N, 3 * H], 5).values);
    const gh = Float64Array.from(host([N, 3 * H], 6).values);
    const h = Float64Array.from(host([N, H], 7).values);
    const d = Float64Array.from(host([N, H], 8).values);
    const { dgx, dgh, dh } = gruGradRef(gx, gh, h, d, N, H);
    expectClose(
      dgx,
      numericGrad(gx, (x) => dot(gruRef(x, gh, h, N, H), d)),
      1e-6,
      1e-8,
    );
    expectClose(
      dgh,
      numericGrad(gh, (x) => dot(gruRef(gx, x, h, N, H), d)),
      1e-6,
      1e-8,
    );
    // dh is the direct path only: gh held fixed.
    expectClose(
      dh,
      numericGrad(h, (x) => dot(gruRef(gx, gh, x, N, H), d)),
      1e-6,
      1e-8,
    );
  });
});

/** [N, H]: batch 1, H below one vector (scalar tail only), a partial vector, even, and big enough for the threads. */
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 3],
  [4, 5],
  [2, 8],
  [32, 128],
  [257, 131],
];

for (const threads of [1, 2]) {
  describe(`fused recurrent cells (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    let wasm: WasmBackend;
    beforeAll(async () => {
      wasm = await wasmBackend({ threads });
    });
    afterAll(() => {
      if (threads > 1) expect(wasm.runtime.pool!.jobs).toBeGreaterThan(0);
      wasm.dispose();
    });

    it('the largest shape is split over the threads', () => {
      expect(257 * 131).toBeGreaterThanOrEqual(RNN_PARALLEL_MIN);
    });

    for (const [N, H] of SHAPES) {
      it(`LstmCell and LstmCellGrad, N=${N} H=${H}`, () => {
        // Pre-activations up to ±6: σ and tanh well into saturation.
        const gates = host([N, 4 * H], 11, 6);
        const c = host([N, H], 12);
        const dh = host([N, H], 13);
        const dc = host([N, H], 14);
        const [h2, c2] = run(wasm, 'LstmCell', [gates, c], {}, [{ shape: [N, H] }, { shape: [N, H] }]);
        const want = lstmRef(gates.values, c.values, N, H);
        expectClose(h2!, want.h2, 1e-5, 1e-6);
        expectClose(c2!, want.c2, 1e-5, 1e-6);
        const [dg, dcPrev] = run(wasm, 'LstmCellGrad', [gates, c, dh, dc], {}, [
          { shape: [N, 4 * H] },
          { shape: [N, H] },
        ]);
        const wantGrad = lstmGradRef(gates.values, c.values, dh.values, dc.values, N, H);
        expectClose(dg!, wantGrad.dg, 1e-5, 1e-6);
        expectClose(dcPrev!, wantGrad.dcPrev, 1e-5, 1e-6);
      });

      it(`GruCell and GruCellGrad, N=${N} H=${H}`, () => {
        const gx = host([N, 3 * H], 21, 4);
        const gh = host([N, 3 * H], 22, 4);
        const h = host([N, H], 23);
        const d = host([N, H], 24);
        const [h2] = run(wasm, 'GruCell', [gx, gh, h], {}, [{ shape: [N, H] }]);
        expectClose(h2!, gruRef(gx.values, gh.values, h.values, N, H), 1e-5, 1e-6);
        const [dgx, dgh, dh] = run(wasm, 'GruCellGrad', [gx, gh, h, d], {}, [
          { shape: [N, 3 * H] },
          { shape: [N, 3 * H] },
          { shape: [N, H] },
        ]);
        const want = gruGradRef(gx.values, gh.values, h.values, d.values, N, H);
        expectClose(dgx!, want.dgx, 1e-5, 1e-6);
        expectClose(dgh!, want.dgh, 1e-5, 1e-6);
        expectClose(dh!, want.dh, 1e-5, 1e-6);
      });
    }

    it('saturated pre-activations (±100) give finite, saturated results', () => {
      const H = 6;
      const big = [100, -100, 100, -100, 100, -100];
      // i, f, g, o rows: i = 1/0, f = 1/0, g = ±1, o = 1/0 in alternation.
      const gates: HostTensor = {
        values: Float32Array.from([...big, ...big, ...big, ...big]),
        shape: [1, 4 * H],
        dtype: 'float32',
      };
      const c: HostTensor = { values: new Float32Array(H).fill(0.5), shape: [1, H], dtype: 'float32' };
      const [h2, c2] = run(wasm, 'LstmCell', [gates, c], {}, [{ shape: [1, H] }, { shape: [1, H] }]);
      const want = lstmRef(gates.values, c.values, 1, H);
      expectClose(c2!, want.c2, 1e-6, 1e-7);
      expectClose(h2!, want.h2, 1e-6, 1e-7);
      const ones: HostTensor = { values: new Float32Array(H).fill(1), shape: [1, H], dtype: 'float32' };
      const [dg] = run(wasm, 'LstmCellGrad', [gates, c, ones, ones], {}, [
        { shape: [1, 4 * H] },
        { shape: [1, H] },
      ]);
      for (const v of dg!) expect(Number.isFinite(v)).toBe(true);
    });

    it('an empty batch gives empty outputs', () => {
      const empty = (cols: number): HostTensor => ({
        values: new Float32Array(0),
        shape: [0, cols],
        dtype: 'float32',
      });
      const [h2, c2] = run(wasm, 'LstmCell', [empty(8), empty(2)], {}, [
        { shape: [0, 2] },
        { shape: [0, 2] },
      ]);
      expect(h2!.length).toBe(0);
      expect(c2!.length).toBe(0);
      const [g] = run(wasm, 'GruCell', [empty(6), empty(6), empty(2)], {}, [{ shape: [0, 2] }]);
      expect(g!.length).toBe(0);
    });

    it('gates that do not match the state are refused, naming the kernel', () => {
      expect(() =>
        run(wasm, 'LstmCell', [host([2, 12], 1), host([2, 4], 2)], {}, [
          { shape: [2, 4] },
          { shape: [2, 4] },
        ]),
      ).toThrow(/LstmCell: gates of shape \[2, 12\].*state of shape \[2, 4\]/);
      expect(() =>
        run(wasm, 'GruCell', [host([2, 6], 1), host([2, 9], 1), host([2, 2], 2)], {}, [{ shape: [2, 2] }]),
      ).toThrow(/GruCell: gates of shape \[2, 9\]/);
    });
  });
}
