import {
  concat,
  exp,
  fmtShape,
  full,
  gather,
  log,
  Module,
  maximum,
  stopGradient,
  type Tensor,
  tensor,
  where,
} from '@myelin/core';
import { nnOp } from './scoped.js';

import type { Reduction } from './util.js';

/** Stands in for log 0: finite, so the recursion's gradients never meet inf − inf. */
const NEG = -1e30;

export interface CTCOptions {
  /** The blank label (default 0). */
  blank?: number;
  /** 'mean' (default: each loss divided by its target length, then averaged), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Infinite losses (no alignment possible) and their gradients become 0. */
  zeroInfinity?: boolean;
}

function hostInts(op: string, v: Tensor | readonly number[], n: number, what: string): Int32Array {
  const a = Array.isArray(v)
    ? Int32Array.from(v as readonly number[])
    : Int32Array.from((v as Tensor).dataSync());
  if (a.length !== n) throw new RangeError(`${op}: ${what} must have ${n} entries, got ${a.length}`);
  return a;
}

/**
 * Connectionist temporal classification loss (Graves et al., 2006), as torch.nn.functional.ctc_loss:
 * the negative log-likelihood of `targets` summed over all alignments, by the forward (α)
 * recursion in log space, written with core ops so the gradient comes from autograd.
 *
 * - `logProbs` [T, N, C]: log-probabilities (apply logSoftmax first), or [T, C] unbatched;
 * - `targets` [N, S] padded, or the concatenation of all targets (1-D), int32, never the blank;
 * - `inputLengths`, `targetLengths`: per sample (arrays or int tensors).
 *
 * Impossible alignments give +∞ (or 0 with zeroInfinity), as PyTorch.
 */
export const ctcLoss = nnOp(function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | readonly number[],
  targetLengths: Tensor | readonly number[],
  options: CTCOptions = {},
): Tensor {
  const op = 'ctcLoss';
  const unbatched = logProbs.rank === 2;
  if (logProbs.rank !== 2 && logProbs.rank !== 3)
    throw new RangeError(`${op}: logProbs must be [T, N, C] or [T, C], got ${fmtShape(logProbs.shape)}`);
  const lp = (unbatched ? logProbs.unsqueeze(1) : logProbs).cast('float32');
  const [T, N, C] = lp.shape as [number, number, number];
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C)
    throw new RangeError(`${op}: blank ${blank} must be a class index in [0, ${C})`);
  const inLens = hostInts(
    op,
    unbatched && !Array.isArray(inputLengths) ? (inputLengths as Tensor).reshape([1]) : inputLengths,
    N,
    'inputLengths',
  );
  const tgLens = hostInts(
    op,
    unbatched && !Array.isArray(targetLengths) ? (targetLengths as Tensor).reshape([1]) : targetLengths,
    N,
    'targetLengths',
  );
  const tg = Int32Array.from(targets.dataSync());
  const padded = !unbatched && targets.rank === 2;
  const rowStride = padded ? targets.shape[1]! : 0;
  let offset = 0;
  const labels: Int32Array[] = [];
  for (let n = 0; n < N; n++) {
    const L = tgLens[n]!;
    if (inLens[n]! < 0 || inLens[n]! > T)
      throw new RangeError(`${op}: inputLengths[${n}] = ${inLens[n]} must be in [0, ${T}]`);
    const start = padded ? n * rowStride : offset;
    if (L < 0 || (padded && L > rowStride) || start + L > tg.length)
      throw new RangeError(
        `${op}: targetLengths[${n}] = ${L} does not fit targets of shape ${fmtShape(targets.shape)}`,
      );
    const row = tg.subarray(start, start + L);
    for (const c of row)
      if (c < 0 || c >= C || c === blank)
        throw new RangeError(
          `${op}: target label ${c} must be in [0, ${C}) and differ from the blank ${blank}`,
        );
    labels.push(row);
    offset += L;
  }

  // Extended label sequences l' = (blank, l1, blank, l2, …, blank), padded with blanks.
  const Lmax = Math.max(0, ...tgLens);
  const S = 2 * Lmax + 1;
  const ext = new Int32Array(N * S).fill(blank);
  const skip = new Float32Array(N * S).fill(NEG);
  const init = new Float32Array(N * S).fill(NEG);
  const endIdx = new Int32Array(N * 2);
  const endMask = new Float32Array(N * 2);
  for (let n = 0; n < N; n++) {
    const row = labels[n]!;
    for (let i = 0; i < row.length; i++) ext[n * S + 2 * i + 1] = row[i]!;
    for (let s = 2; s < S; s++) {
      const c = ext[n * S + s]!;
      if (c !== blank && c !== ext[n * S + s - 2]) skip[n * S + s] = 0;
    }
    init[n * S] = 0;
    if (row.length > 0) init[n * S + 1] = 0;
    endIdx[2 * n] = 2 * row.length;
    endIdx[2 * n + 1] = Math.max(0, 2 * row.length - 1);
    endMask[2 * n + 1] = row.length > 0 ? 0 : NEG;
  }

  const extT = tensor(ext, { shape: [1, N, S] }).broadcastTo([T, N, S]);
  const lpExt = T > 0 ? gather(lp, 2, extT).split(1, 0) : [];
  const skipT = tensor(skip, { shape: [N, S] });
  const neg1 = full([N, 1], NEG);
  const neg2 = full([N, 2], NEG);
  let alpha =
    T > 0 ? lpExt[0]!.squeeze(0).add(tensor(init, { shape: [N, S] })) : tensor(init, { shape: [N, S] });
  for (let t = 1; t < T; t++) {
    const a1 = S > 1 ? concat([neg1, alpha.slice(null, [0, S - 1])], 1) : full([N, S], NEG);
    const a2 = S > 2 ? concat([neg2, alpha.slice(null, [0, S - 2])], 1).add(skipT) : full([N, S], NEG);
    const m = stopGradient(maximum(alpha, maximum(a1, a2)));
    const lse = m.add(
      log(
        exp(alpha.sub(m))
          .add(exp(a1.sub(m)))
          .add(exp(a2.sub(m))),
      ),
    );
    const next = lse.add(lpExt[t]!.squeeze(0));
    const active = new Uint8Array(N);
    let all = true;
    for (let n = 0; n < N; n++) {
      active[n] = t < inLens[n]! ? 1 : 0;
      all &&= active[n] === 1;
    }
    alpha = all ? next : where(tensor(active, { shape: [N, 1], dtype: 'bool' }), next, alpha);
  }
  const ends = gather(alpha, 1, tensor(endIdx, { shape: [N, 2] })).add(tensor(endMask, { shape: [N, 2] }));
  const m = stopGradient(ends.max(1, { keepdims: true }));
  let loss = m
    .add(log(exp(ends.sub(m)).sum(1, { keepdims: true })))
    .reshape([N])
    .neg();
  const impossible = loss.greater(-NEG / 10);
  loss = where(impossible, options.zeroInfinity ? 0 : Number.POSITIVE_INFINITY, loss);
  switch (options.reduction ?? 'mean') {
    case 'none':
      return unbatched ? loss.reshape([]) : loss;
    case 'sum':
      return loss.sum();
    case 'mean':
      return loss.div(tensor(Float32Array.from(tgLens, (l) => Math.max(1, l)))).mean();
    default:
      throw new RangeError(
        `${op}: reduction must be 'none', 'mean' or 'sum', got '${String(options.reduction)}'`,
      );
  }
});

/** torch.nn.CTCLoss: `forward(logProbs, targets, inputLengths, targetLengths)`. */
export class CTCLoss extends Module {
  constructor(readonly options: CTCOptions = {}) {
    super();
  }
  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | readonly number[],
    targetLengths: Tensor | readonly number[],
  ): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.options);
  }
}
