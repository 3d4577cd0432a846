import { defineGrad, type GradFn, noGrad, record } from '../autograd.js';
import { fmtShape, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, compositeMulti, mul, sigmoid, sub, tanh } from './elementwise.js';
import { concat, reshape, slice, stack } from './shape.js';

/*
 * The pointwise halves of one LSTM and one GRU step, as composites: a backend with the fused
 * kernels (`LstmCell`, `GruCell` and their `…Grad` backwards) runs each step's gate maths in one
 * pass; every other backend runs the decompositions below. The matmuls stay outside (the caller
 * multiplies all gates at once), so a layer costs one matmul and one cell call per step.
 * Gate order and formulas are PyTorch's (torch.nn.LSTMCell, torch.nn.GRUCell).
 */

/** Column block `k` of width `h` of a (N, m·h) matrix. */
const block = (x: Tensor, k: number, h: number) => slice(x, null, [k * h, (k + 1) * h]);

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32, got ${t.dtype}`);
}

function checkCellShapes(op: string, gateName: string, gates: Tensor, blocks: number, state: Tensor): number {
  if (state.rank !== 2) {
    throw new RangeError(`${op}: the state must be 2-D (N, H), got shape ${fmtShape(state.shape)}`);
  }
  const [n, h] = state.shape as [number, number];
  if (gates.rank !== 2 || gates.shape[0] !== n || gates.shape[1] !== blocks * h) {
    throw new RangeError(
      `${op}: ${gateName} must have shape [${n},${blocks * h}] (N, ${blocks}·H for a state of shape ${fmtShape(state.shape)}), got ${fmtShape(gates.shape)}`,
    );
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// LSTM
// ---------------------------------------------------------------------------------------------

/** The activated gates i, f, g, o of a (N, 4H) pre-activation matrix. */
function lstmGates(gates: Tensor, h: number): [Tensor, Tensor, Tensor, Tensor] {
  return [
    sigmoid(block(gates, 0, h)),
    sigmoid(block(gates, 1, h)),
    tanh(block(gates, 2, h)),
    sigmoid(block(gates, 3, h)),
  ];
}

/**
 * One LSTM step after its matmuls: `gates` (N, 4H) = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh in PyTorch's
 * gate order (input, forget, cell, output), `c` (N, H) the previous cell state. Returns
 * `[h', c']` with c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c').
 * @example const [h1, c1] = lstmCell(add(matmul(x, wIhT), matmul(h0, wHhT)), c0);
 */
export function lstmCell(gates: Tensor, c: Tensor): [Tensor, Tensor] {
  checkFloat('lstmCell', 'gates', gates);
  checkFloat('lstmCell', 'c', c);
  const h = checkCellShapes('lstmCell', 'gates', gates, 4, c);
  const spec = { shape: c.shape, dtype: 'float32' as const };
  const [hOut, cOut] = compositeMulti('LstmCell', [gates, c], {}, [spec, spec], () => {
    const [i, f, g, o] = lstmGates(gates, h);
    const c1 = add(mul(f, c), mul(i, g));
    return [mul(o, tanh(c1)), c1];
  });
  return [hOut!, cOut!];
}

/**
 * The backward of `lstmCell`: the cotangents of its pre-activations and previous cell from those
 * of h' and c'. Returns `[dgates (N, 4H), dc (N, H)]`.
 */
export function lstmCellGrad(gates: Tensor, c: Tensor, dh: Tensor, dc: Tensor): [Tensor, Tensor] {
  for (const [name, t] of [
    ['gates', gates],
    ['c', c],
    ['dh', dh],
    ['dc', dc],
  ] as const)
    checkFloat('lstmCellGrad', name, t);
  const h = checkCellShapes('lstmCellGrad', 'gates', gates, 4, c);
  for (const [name, t] of [
    ['dh', dh],
    ['dc', dc],
  ] as const) {
    if (t.rank !== 2 || t.shape[0] !== c.shape[0] || t.shape[1] !== h) {
      throw new RangeError(
        `lstmCellGrad: ${name} must have the shape of c ${fmtShape(c.shape)}, got ${fmtShape(t.shape)}`,
      );
    }
  }
  const outs = [
    { shape: gates.shape, dtype: 'float32' as const },
    { shape: c.shape, dtype: 'float32' as const },
  ];
  const [dGates, dPrev] = compositeMulti('LstmCellGrad', [gates, c, dh, dc], {}, outs, () => {
    const [i, f, g, o] = lstmGates(gates, h);
    const tc = tanh(add(mul(f, c), mul(i, g)));
    // Everything reaching c': its own cotangent plus the path through h' = o·tanh(c').
    const dcTotal = add(dc, mul(mul(dh, o), sub(1, mul(tc, tc))));
    const dsig = (s: Tensor) => mul(s, sub(1, s));
    return [
      concat(
        [
          mul(mul(dcTotal, g), dsig(i)),
          mul(mul(dcTotal, c), dsig(f)),
          mul(mul(dcTotal, i), sub(1, mul(g, g))),
          mul(mul(dh, tc), dsig(o)),
        ],
        1,
      ),
      mul(dcTotal, f),
    ];
  });
  return [dGates!, dPrev!];
}

defineGrad('LstmCell', ({ dys, inputs, needs }) => {
  const [dGates, dc] = lstmCellGrad(inputs[0]!, inputs[1]!, dys[0]!, dys[1]!);
  return [needs[0] ? dGates : null, needs[1] ? dc : null];
});

// ---------------------------------------------------------------------------------------------
// GRU
// ---------------------------------------------------------------------------------------------

/** r, z and n of a GRU step (PyTorch: the reset gate scales h·W_hn + b_hn, inside the tanh). */
function gruGates(gx: Tensor, gh: Tensor, h: number): [Tensor, Tensor, Tensor] {
  const r = sigmoid(add(block(gx, 0, h), block(gh, 0, h)));
  const z = sigmoid(add(block(gx, 1, h), block(gh, 1, h)));
  const n = tanh(add(block(gx, 2, h), mul(r, block(gh, 2, h))));
  return [r, z, n];
}

function checkGru(op: string, gx: Tensor, gh: Tensor, hPrev: Tensor): number {
  checkFloat(op, 'gx', gx);
  checkFloat(op, 'gh', gh);
  checkFloat(op, 'h', hPrev);
  checkCellShapes(op, 'gx', gx, 3, hPrev);
  return checkCellShapes(op, 'gh', gh, 3, hPrev);
}

/**
 * One GRU step after its matmuls: `gx` (N, 3H) = x·W_ihᵀ + b_ih and `gh` (N, 3H) = h·W_hhᵀ + b_hh
 * in PyTorch's gate order (reset, update, new), `h` (N, H) the previous hidden state. Returns h'
 * = (1 − z)·n + z·h with r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n).
 * @example const h1 = gruCell(add(matmul(x, wIhT), bIh), add(matmul(h0, wHhT), bHh), h0);
 */
export function gruCell(gx: Tensor, gh: Tensor, h: Tensor): Tensor {
  const H = checkGru('gruCell', gx, gh, h);
  return compositeMulti('GruCell', [gx, gh, h], {}, [{ shape: h.shape, dtype: 'float32' }], () => {
    const [, z, n] = gruGates(gx, gh, H);
    return [add(n, mul(z, sub(h, n)))];
  })[0]!;
}

/**
 * The backward of `gruCell`: `[dgx (N, 3H), dgh (N, 3H), dh (N, H)]` from dh'. `dh` is the direct
 * path z·dh' only; the path through gh reaches h through the caller's matmul.
 */
export function gruCellGrad(gx: Tensor, gh: Tensor, h: Tensor, dhNext: Tensor): [Tensor, Tensor, Tensor] {
  const H = checkGru('gruCellGrad', gx, gh, h);
  checkFloat('gruCellGrad', 'dh', dhNext);
  if (dhNext.rank !== 2 || dhNext.shape[0] !== h.shape[0] || dhNext.shape[1] !== H) {
    throw new RangeError(
      `gruCellGrad: dh must have the shape of h ${fmtShape(h.shape)}, got ${fmtShape(dhNext.shape)}`,
    );
  }
  const outs = [
    { shape: gx.shape, dtype: 'float32' as const },
    { shape: gh.shape, dtype: 'float32' as const },
    { shape: h.shape, dtype: 'float32' as const },
  ];
  const [dgx, dgh, dh] = compositeMulti('GruCellGrad', [gx, gh, h, dhNext], {}, outs, () => {
    const [r, z, n] = gruGates(gx, gh, H);
    // Pre-activation cotangents: a_n = gx_n + r·gh_n, a_z and a_r under their sigmoids.
    const dan = mul(mul(dhNext, sub(1, z)), sub(1, mul(n, n)));
    const daz = mul(mul(dhNext, sub(h, n)), mul(z, sub(1, z)));
    const dar = mul(mul(dan, block(gh, 2, H)), mul(r, sub(1, r)));
    return [concat([dar, daz, dan], 1), concat([dar, daz, mul(dan, r)], 1), mul(dhNext, z)];
  });
  return [dgx!, dgh!, dh!];
}

defineGrad('GruCell', ({ dys, inputs, needs }) => {
  const [dgx, dgh, dh] = gruCellGrad(inputs[0]!, inputs[1]!, inputs[2]!, dys[0]!);
  return [needs[0] ? dgx : null, needs[1] ? dgh : null, needs[2] ? dh : null];
});

// ---------------------------------------------------------------------------------------------
// Time steps
// ---------------------------------------------------------------------------------------------

/**
 * The slices of `x` along `axis`, that dim removed (torch.unbind): a sequence's time steps. One
 * tape node for all of them, whose gradient stacks the slices' cotangents; slices recorded one by
 * one would each send back a zero-padded full-size gradient, O(T²) work over T steps (half the time
 * of an LSTM's backward at T = 32 on the CPU backend).
 * @example const steps = unbind(gatesX, 0);   // [T, N, 4H] → T × [N, 4H]
 */
export function unbind(x: Tensor, axis = 0): Tensor[] {
  const a = normAxis('unbind', axis, x.rank);
  const n = x.shape[a]!;
  const rest = x.shape.filter((_, d) => d !== a);
  const pieces = noGrad(() => {
    const out: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      out.push(reshape(slice(x, ...x.shape.map((_, d) => (d === a ? i : null))), rest));
    }
    return out;
  });
  if (n > 0) record('Unbind', [x], pieces, { axis: a }, (({ dys }) => [stack(dys, a)]) as GradFn<never>);
  return pieces;
}
