/**
 * Linear algebra after torch.linalg (PyTorch 1.13): batched over leading dims, gradients as
 * PyTorch defines them. The factorisations (det/slogdet, inv, solve, cholesky, qr, eigh, svd,
 * pinv) run on the host in float64 (./host.ts) and upload float32 results, whatever the backend;
 * their gradients are written with tensor ops, so they run on the backend and can be
 * differentiated again. `trace`, `diagonal`, `matrixNorm` ('fro', 1, −1, inf, −inf) and `lstsq`
 * are compositions of tensor ops. docs/linalg.md lists the sources of the gradient formulas.
 */
import { type GradFn, noGrad, record } from '../autograd.js';
import { scope } from '../engine.js';
import {
  abs,
  add,
  broadcastTo,
  cast,
  concat,
  div,
  equal,
  eye,
  indexSelect,
  matmul,
  max,
  min,
  mul,
  neg,
  norm,
  prod,
  reshape,
  slice,
  sub,
  sum,
  tensor,
  transpose,
  tril,
  unsqueeze,
  where,
} from '../ops/all.js';
import { broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { choleskyLower, householderQr, jacobiEigh, jacobiSvd, luFactor, luSolve, type Mat } from './host.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function assertMatrix(op: string, a: Tensor, square: boolean): void {
  if (a.rank < 2) {
    throw new RangeError(
      `${op}: expects a matrix or a batch of matrices (rank ≥ 2), got shape ${fmtShape(a.shape)}`,
    );
  }
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (square && m !== n) {
    throw new RangeError(`${op}: expects square matrices, got shape ${fmtShape(a.shape)} (${m}×${n})`);
  }
  if (a.dtype !== 'float32') {
    throw new TypeError(`${op}: expects a float32 tensor, got ${a.dtype}`);
  }
}

const mT = (x: Tensor) => transpose(x, -2, -1);

/** The float64 matrices of a [..., m, n] tensor, one per batch element. */
function readMatrices(a: Tensor): Mat[] {
  const [m, n] = a.shape.slice(-2) as [number, number];
  const data = a.dataSync();
  const count = sizeOf(a.shape.slice(0, -2));
  const out: Mat[] = [];
  for (let b = 0; b < count; b++) out.push(Float64Array.from(data.subarray(b * m * n, (b + 1) * m * n)));
  return out;
}

/** A float32 tensor of `shape` from per-batch float64 blocks. */
function upload(blocks: readonly ArrayLike<number>[], shape: number[]): Tensor {
  const out = new Float32Array(sizeOf(shape));
  let o = 0;
  for (const b of blocks) {
    out.set(b as ArrayLike<number>, o);
    o += b.length;
  }
  return tensor(out, { shape });
}

/** Which batch element a flat batch index is, for error messages. */
function batchName(batch: readonly number[], b: number): string {
  if (batch.length === 0) return 'the matrix';
  const idx: number[] = [];
  let r = b;
  for (let i = batch.length - 1; i >= 0; i--) {
    idx.unshift(r % batch[i]!);
    r = Math.floor(r / batch[i]!);
  }
  return `batch element [${idx.join(', ')}]`;
}

/** Run a host computation without recording and record its outputs as one node. */
function hostOp(name: string, inputs: Tensor[], forward: () => Tensor[], grad: GradFn<never>): Tensor[] {
  const outs = noGrad(forward);
  record(name, inputs, outs, {}, grad);
  return outs;
}

/** v [..., n] → [..., n, n] with v on the diagonal. */
function diagEmbed(v: Tensor): Tensor {
  const n = v.shape[v.rank - 1]!;
  return mul(unsqueeze(v, -1), eye(n));
}

/** x[..., None, None]: a batch of scalars against a batch of matrices. */
const asScalars = (x: Tensor) => unsqueeze(unsqueeze(x, -1), -1);

// ---------------------------------------------------------------------------------------------
// diagonal, trace
// ---------------------------------------------------------------------------------------------

/**
 * The diagonal of the last two dims (torch.diagonal(x, offset, -2, -1)): offset > 0 above the main
 * diagonal, < 0 below. Output [..., d].
 */
export function diagonal(x: Tensor, offset = 0): Tensor {
  if (x.rank < 2) throw new RangeError(`diagonal: expects rank ≥ 2, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(offset)) throw new RangeError(`diagonal: offset must be an integer, got ${offset}`);
  return scope(() => {
    const [r, c] = x.shape.slice(-2) as [number, number];
    const len = Math.max(0, Math.min(r + Math.min(offset, 0), c - Math.max(offset, 0)));
    const idx: number[] = [];
    for (let i = 0; i < len; i++) {
      const row = i - Math.min(offset, 0);
      idx.push(row * c + row + offset);
    }
    const flat = reshape(x, [...x.shape.slice(0, -2), r * c]);
    return indexSelect(flat, -1, tensor(idx, { dtype: 'int32', shape: [len] }));
  });
}

/** Sum of the main diagonal of a 2-D tensor (torch.trace). */
export function trace(x: Tensor): Tensor {
  if (x.rank !== 2) throw new RangeError(`trace: expects a 2-D tensor, got shape ${fmtShape(x.shape)}`);
  return scope(() => sum(diagonal(x)));
}

// ---------------------------------------------------------------------------------------------
// LU family: det, slogdet, inv, solve
// ---------------------------------------------------------------------------------------------

function rawInv(a: Tensor): Tensor {
  const batch = a.shape.slice(0, -2);
  const n = a.shape[a.rank - 1]!;
  return hostOp(
    'LinalgInv',
    [a],
    () =>
      [
        upload(
          readMatrices(a).map((m, b) => {
            const f = luFactor(m, n);
            if (f.singular) {
              throw new RangeError(
                `inv: ${batchName(batch, b)} of shape ${fmtShape(a.shape)} is singular (a zero pivot in LU)`,
              );
            }
            const id = new Float64Array(n * n);
            for (let i = 0; i < n; i++) id[i * n + i] = 1;
            return luSolve(f.lu, f.perm, n, id, n);
          }),
          [...a.shape],
        ),
      ] as Tensor[],
    (({ dys, outputs }) => {
      // d(A⁻¹) = −A⁻¹ dA A⁻¹  ⇒  Ā = −A⁻ᵀ Ȳ A⁻ᵀ
      const yt = mT(outputs[0]!);
      return [neg(matmul(matmul(yt, dys[0]!), yt))];
    }) as GradFn<never>,
  )[0]!;
}

/** Inverse of square matrices [..., n, n]; a singular matrix is an error. */
export function inv(a: Tensor): Tensor {
  assertMatrix('inv', a, true);
  return scope(() => rawInv(a));
}

/** Determinant of square matrices [..., n, n] → [...]. Gradient det·A⁻ᵀ (needs A invertible). */
export function det(a: Tensor): Tensor {
  assertMatrix('det', a, true);
  return scope(() => {
    const n = a.shape[a.rank - 1]!;
    const vals = readMatrices(a).map((m) => {
      const f = luFactor(m, n);
      if (f.singular) return 0;
      let d = f.sign;
      for (let i = 0; i < n; i++) d *= f.lu[i * n + i]!;
      return d;
    });
    return hostOp('LinalgDet', [a], () => [upload([vals], a.shape.slice(0, -2))], (({
      dys,
      inputs,
      outputs,
    }) => {
      const x = inputs[0]!;
      // ∂det/∂A is the cofactor matrix: det·A⁻ᵀ when every matrix is invertible, otherwise (as
      // PyTorch) from the SVD: det(U)·det(Vh)·U diag(∏_{j≠i} σ_j) Vh.
      if (!vals.includes(0)) return [mul(asScalars(mul(dys[0]!, outputs[0]!)), mT(rawInv(x)))];
      const [u, s, vh] = svd(x);
      const k = s.shape[s.rank - 1]!;
      const others = prod(where(cast(eye(k), 'bool'), 1, unsqueeze(s, -2)), -1);
      const orient = mul(det(u), det(vh));
      return [mul(asScalars(mul(dys[0]!, orient)), matmul(mul(u, unsqueeze(others, -2)), vh))];
    }) as GradFn<never>)[0]!;
  });
}

/**
 * Sign and log-absolute-determinant, [sign, logabsdet] (torch.linalg.slogdet). A singular matrix
 * gives sign 0 and logabsdet −∞, as PyTorch. The gradient flows through logabsdet: A⁻ᵀ.
 */
export function slogdet(a: Tensor): [Tensor, Tensor] {
  assertMatrix('slogdet', a, true);
  return scope(() => {
    const n = a.shape[a.rank - 1]!;
    const signs: number[] = [];
    const logs: number[] = [];
    for (const m of readMatrices(a)) {
      const f = luFactor(m, n);
      let s = f.singular ? 0 : f.sign;
      let l = f.singular ? -Infinity : 0;
      if (!f.singular)
        for (let i = 0; i < n; i++) {
          const d = f.lu[i * n + i]!;
          if (d < 0) s = -s;
          l += Math.log(Math.abs(d));
        }
      signs.push(s);
      logs.push(l);
    }
    const shape = a.shape.slice(0, -2);
    const [s, l] = hostOp('LinalgSlogdet', [a], () => [upload([signs], shape), upload([logs], shape)], (({
      dys,
      inputs,
    }) => [mul(asScalars(dys[1]!), mT(rawInv(inputs[0]!)))]) as GradFn<never>);
    return [s!, l!];
  });
}

function rawSolve(a: Tensor, b: Tensor): Tensor {
  const batch = a.shape.slice(0, -2);
  const n = a.shape[a.rank - 1]!;
  const k = b.shape[b.rank - 1]!;
  const bs = readMatrices(b);
  return hostOp(
    'LinalgSolve',
    [a, b],
    () => [
      upload(
        readMatrices(a).map((m, i) => {
          const f = luFactor(m, n);
          if (f.singular) {
            throw new RangeError(
              `solve: ${batchName(batch, i)} of A ${fmtShape(a.shape)} is singular (a zero pivot in LU)`,
            );
          }
          return luSolve(f.lu, f.perm, n, bs[i]!, k);
        }),
        [...b.shape],
      ),
    ],
    (({ dys, inputs, outputs, needs }) => {
      // X = A⁻¹B: B̄ = A⁻ᵀ X̄, Ā = −B̄ Xᵀ
      const gb = rawSolve(mT(inputs[0]!), dys[0]!);
      return [needs[0] ? neg(matmul(gb, mT(outputs[0]!))) : null, gb];
    }) as GradFn<never>,
  )[0]!;
}

/**
 * Solve A X = B (torch.linalg.solve): A [..., n, n]; B [..., n, k], or a vector [n] / [..., n]
 * when its shape is A's without the last dim (as torch). Batch dims broadcast.
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  assertMatrix('solve', a, true);
  const n = a.shape[a.rank - 1]!;
  const vector = b.rank === 1 || (b.rank === a.rank - 1 && b.shape.every((d, i) => d === a.shape[i]));
  if (b.rank < 1 || b.shape[vector ? b.rank - 1 : b.rank - 2] !== n) {
    throw new RangeError(
      `solve: B of shape ${fmtShape(b.shape)} does not match A of shape ${fmtShape(a.shape)} (expected [..., ${n}, k] or [..., ${n}])`,
    );
  }
  return scope(() => {
    const bm = vector ? unsqueeze(b, -1) : b;
    const batch = broadcastShapes('solve', a.shape.slice(0, -2), bm.shape.slice(0, -2));
    const k = bm.shape[bm.rank - 1]!;
    const ab = broadcastTo(a, [...batch, n, n]);
    const bb = broadcastTo(bm, [...batch, n, k]);
    const x = rawSolve(ab, bb);
    return vector ? reshape(x, x.shape.slice(0, -1)) : x;
  });
}

// ---------------------------------------------------------------------------------------------
// cholesky, qr
// ---------------------------------------------------------------------------------------------

/**
 * Lower Cholesky factor L (A = L Lᵀ) of symmetric positive-definite matrices; like torch only the
 * lower triangle of A is read. A matrix that is not positive-definite is an error naming the order
 * of the failing leading minor.
 */
export function cholesky(a: Tensor): Tensor {
  assertMatrix('cholesky', a, true);
  const batch = a.shape.slice(0, -2);
  const n = a.shape[a.rank - 1]!;
  return scope(
    () =>
      hostOp(
        'LinalgCholesky',
        [a],
        () => [
          upload(
            readMatrices(a).map((m, b) => {
              const { l, failedAt } = choleskyLower(m, n);
              if (failedAt) {
                throw new RangeError(
                  `cholesky: ${batchName(batch, b)} of shape ${fmtShape(a.shape)} is not positive-definite (the leading minor of order ${failedAt} is not positive)`,
                );
              }
              return l;
            }),
            [...a.shape],
          ),
        ],
        (({ dys, outputs }) => {
          // PyTorch's cholesky_backward: Φ = ½(M + tril(M, −1)ᵀ) with M = tril(Lᵀ L̄); Ā = L⁻ᵀ Φ L⁻¹.
          const l = outputs[0]!;
          const m = tril(matmul(mT(l), dys[0]!));
          const phi = mul(add(m, mT(tril(m, -1))), 0.5);
          const linv = rawInv(l);
          return [matmul(matmul(mT(linv), phi), linv)];
        }) as GradFn<never>,
      )[0]!,
  );
}

/**
 * Reduced QR (torch.linalg.qr, mode 'reduced'): [Q [..., m, k], R [..., k, n]], k = min(m, n), by
 * Householder reflections. As LAPACK's, R's diagonal may be negative. Gradient (tall, square or
 * wide) as PyTorch's linalg_qr_backward; it needs the leading k×k block of R invertible.
 */
export function qr(a: Tensor): [Tensor, Tensor] {
  assertMatrix('qr', a, false);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  return scope(() => {
    const res = readMatrices(a).map((x) => householderQr(x, m, n));
    const [q, r] = hostOp(
      'LinalgQr',
      [a],
      () => [
        upload(
          res.map((x) => x.q),
          [...batch, m, k],
        ),
        upload(
          res.map((x) => x.r),
          [...batch, k, n],
        ),
      ],
      (({ dys, inputs, outputs }) => {
        const [qq, rr] = outputs as [Tensor, Tensor];
        const [gq, gr] = dys as [Tensor, Tensor];
        // Square or tall: M = R R̄ᵀ − Q̄ᵀ Q; Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ, copyltu(M) = tril(M) + tril(M, −1)ᵀ.
        const square = (gQ: Tensor, gR: Tensor, r: Tensor) => {
          const mm = sub(matmul(r, mT(gR)), matmul(mT(gQ), qq));
          const c = add(tril(mm), mT(tril(mm, -1)));
          return matmul(add(gQ, matmul(qq, c)), mT(rawInv(r)));
        };
        if (m >= n) return [square(gq, gr, rr)];
        // Wide: A = [X | Y], R = [U | V] with X = Q U square and Y = Q V, so Ȳ = Q V̄ and X is the
        // square case with Q̄ + Y V̄ᵀ.
        const cols = (t: Tensor, from: number, to: number) =>
          slice(t, ...t.shape.slice(0, -1).map(() => null), [from, to]);
        const y = cols(inputs[0]!, m, n);
        const [u, gu, gv] = [cols(rr, 0, m), cols(gr, 0, m), cols(gr, m, n)];
        return [concat([square(add(gq, matmul(y, mT(gv))), gu, u), matmul(qq, gv)], -1)];
      }) as GradFn<never>,
    );
    return [q!, r!];
  });
}

// ---------------------------------------------------------------------------------------------
// eigh, svd
// ---------------------------------------------------------------------------------------------

/**
 * Eigen-decomposition of symmetric matrices (torch.linalg.eigh, UPLO 'L'): [eigenvalues [..., n]
 * ascending, eigenvectors [..., n, n] as columns]. Only the lower triangle is read. The gradient
 * (PyTorch's linalg_eig_backward, Hermitian case) divides by eigenvalue gaps, so it is infinite
 * for repeated eigenvalues when the loss depends on the eigenvectors.
 */
export function eigh(a: Tensor): [Tensor, Tensor] {
  assertMatrix('eigh', a, true);
  const n = a.shape[a.rank - 1]!;
  const batch = a.shape.slice(0, -2);
  return scope(() => {
    const res = readMatrices(a).map((x) => jacobiEigh(x, n));
    const [w, v] = hostOp(
      'LinalgEigh',
      [a],
      () => [
        upload(
          res.map((x) => x.w),
          [...batch, n],
        ),
        upload(
          res.map((x) => x.v),
          [...batch, n, n],
        ),
      ],
      (({ dys, outputs }) => {
        // Ā = V (skew(Vᵀ V̄)/E + diag(L̄)) Vᵀ, skew(X) = ½(X − Xᵀ), E_ij = λ_j − λ_i (1 on the diagonal).
        const [lam, vec] = outputs as [Tensor, Tensor];
        const [gl, gv] = dys as [Tensor, Tensor];
        const vtg = matmul(mT(vec), gv);
        const skew = mul(sub(vtg, mT(vtg)), 0.5);
        const e = add(sub(unsqueeze(lam, -2), unsqueeze(lam, -1)), eye(n));
        const inner = add(div(skew, e), diagEmbed(gl));
        return [matmul(matmul(vec, inner), mT(vec))];
      }) as GradFn<never>,
    );
    return [w!, v!];
  });
}

/** Eigenvalues of symmetric matrices, ascending (torch.linalg.eigvalsh). */
export function eigvalsh(a: Tensor): Tensor {
  return scope(() => eigh(a)[0]);
}

/**
 * Reduced singular value decomposition (torch.linalg.svd, full_matrices=False): [U [..., m, k],
 * S [..., k] descending, Vh [..., k, n]], k = min(m, n). Gradient: PyTorch's svd_backward; like
 * it, infinite for repeated singular values when the loss depends on U or Vh.
 */
export function svd(a: Tensor): [Tensor, Tensor, Tensor] {
  assertMatrix('svd', a, false);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  return scope(() => {
    const res = readMatrices(a).map((x) => {
      const r = jacobiSvd(x, m, n);
      const vh = new Float64Array(k * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) vh[j * n + i] = r.v[i * k + j]!;
      return { u: r.u, s: r.s, vh };
    });
    const [u, s, vh] = hostOp(
      'LinalgSvd',
      [a],
      () => [
        upload(
          res.map((x) => x.u),
          [...batch, m, k],
        ),
        upload(
          res.map((x) => x.s),
          [...batch, k],
        ),
        upload(
          res.map((x) => x.vh),
          [...batch, k, n],
        ),
      ],
      (({ dys, outputs }) => [svdBackward(outputs as Tensor[], dys as Tensor[], m, n)]) as GradFn<never>,
    );
    return [u!, s!, vh!];
  });
}

/** PyTorch 1.13's svd_backward (real case, reduced SVD). */
function svdBackward([u, s, vh]: Tensor[], [gu, gs, gvh]: Tensor[], m: number, n: number): Tensor {
  const k = Math.min(m, n);
  const v = mT(vh!);
  const gv = mT(gvh!);
  const skew = (x: Tensor) => sub(x, mT(x));
  const uhgu = skew(matmul(mT(u!), gu!));
  const vhgv = skew(matmul(vh!, gv));
  const s2 = mul(s!, s!);
  const e = add(sub(unsqueeze(s2, -2), unsqueeze(s2, -1)), eye(k));
  let ga = div(add(mul(uhgu, unsqueeze(s!, -2)), mul(unsqueeze(s!, -1), vhgv)), e);
  ga = add(ga, diagEmbed(gs!));
  if (m > n) {
    ga = matmul(u!, ga);
    const gusinv = div(gu!, unsqueeze(s!, -2));
    ga = add(ga, sub(gusinv, matmul(u!, matmul(mT(u!), gusinv))));
    return matmul(ga, vh!);
  }
  if (m < n) {
    ga = matmul(ga, vh!);
    const gvsinv = div(gv, unsqueeze(s!, -2));
    ga = add(ga, sub(mT(gvsinv), matmul(matmul(mT(gvsinv), v), vh!)));
    return matmul(u!, ga);
  }
  return matmul(matmul(u!, ga), vh!);
}

/** Singular values, descending (torch.linalg.svdvals). */
export function svdvals(a: Tensor): Tensor {
  return scope(() => svd(a)[1]);
}

// ---------------------------------------------------------------------------------------------
// pinv, lstsq
// ---------------------------------------------------------------------------------------------

export interface PinvOptions {
  /** Singular values below rtol·σ_max are treated as zero; default max(m, n)·ε(float32), as torch. */
  rtol?: number;
}

/**
 * Moore–Penrose pseudo-inverse [..., n, m] of [..., m, n] by the SVD (torch.linalg.pinv). Gradient:
 * PyTorch's pinv_backward (valid where the rank is locally constant).
 */
export function pinv(a: Tensor, options: PinvOptions = {}): Tensor {
  assertMatrix('pinv', a, false);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const rtol = options.rtol ?? Math.max(m, n) * 2 ** -23;
  const batch = a.shape.slice(0, -2);
  return scope(() => {
    const blocks = readMatrices(a).map((x) => {
      const { u, s, v } = jacobiSvd(x, m, n);
      const cut = (s[0] ?? 0) * rtol;
      const p = new Float64Array(n * m);
      for (let j = 0; j < k; j++) {
        if (!(s[j]! > cut) || s[j] === 0) continue;
        const inv = 1 / s[j]!;
        for (let r = 0; r < n; r++) {
          const vr = v[r * k + j]! * inv;
          if (vr !== 0) for (let c = 0; c < m; c++) p[r * m + c]! += vr * u[c * k + j]!;
        }
      }
      return p;
    });
    return hostOp('LinalgPinv', [a], () => [upload(blocks, [...batch, n, m])], (({
      dys,
      inputs,
      outputs,
    }) => {
      const x = inputs[0]!;
      const p = outputs[0]!;
      const g = dys[0]!;
      const ph = mT(p);
      const gh = mT(g);
      if (m <= n) {
        const kk = matmul(gh, p);
        const kph = matmul(kk, ph);
        return [
          add(
            sub(add(neg(mT(matmul(p, kk))), kph), matmul(matmul(x, p), kph)),
            matmul(matmul(ph, p), sub(gh, matmul(kk, x))),
          ),
        ];
      }
      const kk = matmul(p, gh);
      const phk = matmul(ph, kk);
      return [
        add(
          sub(add(neg(mT(matmul(kk, p))), phk), matmul(matmul(phk, p), x)),
          matmul(matmul(sub(gh, matmul(x, kk)), p), ph),
        ),
      ];
    }) as GradFn<never>)[0]!;
  });
}

/**
 * Least-squares solution of A X ≈ B (the `solution` of torch.linalg.lstsq), computed as pinv(A) B:
 * the minimum-norm solution, also for rank-deficient A. A [..., m, n], B [..., m, k] or [..., m].
 */
export function lstsq(a: Tensor, b: Tensor, options: PinvOptions = {}): Tensor {
  assertMatrix('lstsq', a, false);
  const m = a.shape[a.rank - 2]!;
  const vector = b.rank === a.rank - 1;
  if (b.rank < 1 || b.shape[vector ? b.rank - 1 : b.rank - 2] !== m) {
    throw new RangeError(
      `lstsq: B of shape ${fmtShape(b.shape)} does not match A of shape ${fmtShape(a.shape)} (expected [..., ${m}, k] or [..., ${m}])`,
    );
  }
  return scope(() => {
    const x = matmul(pinv(a, options), vector ? unsqueeze(b, -1) : b);
    return vector ? reshape(x, x.shape.slice(0, -1)) : x;
  });
}

// ---------------------------------------------------------------------------------------------
// matrix norms
// ---------------------------------------------------------------------------------------------

export type MatrixNormOrd = 'fro' | 'nuc' | 1 | -1 | 2 | -2 | 'inf' | '-inf';

/**
 * Matrix norm over the last two dims (torch.linalg.matrix_norm): 'fro', 'nuc' (sum of singular
 * values), 2 / −2 (largest / smallest singular value), 1 / −1 (max / min column abs-sum),
 * 'inf' / '-inf' (max / min row abs-sum).
 */
export function matrixNorm(a: Tensor, ord: MatrixNormOrd = 'fro'): Tensor {
  if (a.rank < 2) throw new RangeError(`matrixNorm: expects rank ≥ 2, got shape ${fmtShape(a.shape)}`);
  return scope(() => {
    const x = cast(a, 'float32');
    switch (ord) {
      case 'fro':
        return norm(x, 'fro', [-2, -1]);
      case 'nuc':
        return sum(svd(x)[1], -1);
      case 2:
        return max(svd(x)[1], -1);
      case -2:
        return min(svd(x)[1], -1);
      case 1:
        return max(sum(abs(x), -2), -1);
      case -1:
        return min(sum(abs(x), -2), -1);
      case 'inf':
        return max(sum(abs(x), -1), -1);
      case '-inf':
        return min(sum(abs(x), -1), -1);
      default:
        throw new RangeError(
          `matrixNorm: unsupported ord ${String(ord)} (expected 'fro', 'nuc', 1, -1, 2, -2, 'inf' or '-inf')`,
        );
    }
  });
}

/** log|det A| as a convenience for Gaussian log-likelihoods: slogdet's second output. */
export function logdet(a: Tensor): Tensor {
  return scope(() => {
    const [s, l] = slogdet(a);
    return where(equal(s, -1), Number.NaN, l);
  });
}
/**
 * `eigh` of one symmetric n×n matrix held in a plain array, in float64 on the host (the cyclic
 * Jacobi routine behind `eigh`), for callers that never leave float64: a Fréchet distance's
 * covariance square root, a PCA of accumulated statistics. Reads the lower triangle (torch's
 * UPLO='L'); eigenvalues ascending, eigenvectors as the columns of the row-major `vectors`.
 *
 * @example
 * const { values, vectors } = eighFloat64([2, 1, 1, 2], 2);   // values [1, 3]
 */
export function eighFloat64(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  if (!Number.isInteger(n) || n < 0 || matrix.length !== n * n)
    throw new RangeError(`eighFloat64: an ${n}×${n} matrix needs ${n * n} values, got ${matrix.length}`);
  const { w, v } = jacobiEigh(Float64Array.from(matrix), n);
  return { values: w, vectors: v };
}

export * from './stats.js';
