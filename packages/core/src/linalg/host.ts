/**
 * Host (CPU, float64) matrix algorithms behind the decompositions of ./index.ts. Each works on one
 * row-major matrix held in a Float64Array; the ops read the tensor, run these per batch element and
 * upload float32 results. They are textbook algorithms sized for the small matrices of the books'
 * examples (O(n³) per matrix, no blocking): LU with partial pivoting, Cholesky–Banachiewicz,
 * Householder QR, cyclic Jacobi for symmetric eigenproblems and one-sided (Hestenes) Jacobi SVD.
 */

export type Mat = Float64Array;

/** LU with partial pivoting: PA = LU packed in one matrix. `singular` when a pivot is exactly 0. */
export function luFactor(a: Mat, n: number): { lu: Mat; perm: Int32Array; sign: number; singular: boolean } {
  const lu = a.slice();
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let sign = 1;
  let singular = false;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0) {
      singular = true;
      continue;
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
      sign = -sign;
    }
    const piv = lu[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k]! /= piv);
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j]! -= f * lu[k * n + j]!;
    }
  }
  return { lu, perm, sign, singular };
}

/** Solve A X = B (B n×k) from an LU factorisation. */
export function luSolve(lu: Mat, perm: Int32Array, n: number, b: Mat, k: number): Mat {
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) x[i * k + j] = b[perm[i]! * k + j]!;
  for (let i = 0; i < n; i++)
    for (let r = 0; r < i; r++) {
      const f = lu[i * n + r]!;
      if (f !== 0) for (let j = 0; j < k; j++) x[i * k + j]! -= f * x[r * k + j]!;
    }
  for (let i = n - 1; i >= 0; i--) {
    for (let r = i + 1; r < n; r++) {
      const f = lu[i * n + r]!;
      if (f !== 0) for (let j = 0; j < k; j++) x[i * k + j]! -= f * x[r * k + j]!;
    }
    const d = lu[i * n + i]!;
    for (let j = 0; j < k; j++) x[i * k + j]! /= d;
  }
  return x;
}

/** Lower Cholesky factor of the matrix whose lower triangle is `a`; the failing order when not PD. */
export function choleskyLower(a: Mat, n: number): { l: Mat; failedAt: number } {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return { l, failedAt: i + 1 };
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  return { l, failedAt: 0 };
}

/** Reduced Householder QR of an m×n matrix: Q m×k, R k×n with k = min(m, n). */
export function householderQr(a: Mat, m: number, n: number): { q: Mat; r: Mat } {
  const k = Math.min(m, n);
  const r = a.slice();
  const vs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = j; i < m; i++) norm += r[i * n + j]! ** 2;
    norm = Math.sqrt(norm);
    const x0 = r[j * n + j]!;
    const alpha = x0 >= 0 ? -norm : norm;
    for (let i = j; i < m; i++) v[i] = r[i * n + j]!;
    v[j] = x0 - alpha;
    let vn = 0;
    for (let i = j; i < m; i++) vn += v[i]! ** 2;
    if (vn > 0) {
      for (let c = j; c < n; c++) {
        let d = 0;
        for (let i = j; i < m; i++) d += v[i]! * r[i * n + c]!;
        const f = (2 * d) / vn;
        for (let i = j; i < m; i++) r[i * n + c]! -= f * v[i]!;
      }
    }
    vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v);
  }
  // Q = H_0 … H_{k-1} applied to the first k columns of the identity.
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j]!;
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i]! * q[i * k + c]!;
      for (let i = j; i < m; i++) q[i * k + c]! -= 2 * d * v[i]!;
    }
  }
  const rk = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) rk[i * n + c] = r[i * n + c]!;
  return { q, r: rk };
}

/**
 * Eigen-decomposition of the symmetric matrix whose lower triangle is `a` (as torch's UPLO='L') by
 * cyclic Jacobi rotations: eigenvalues ascending, eigenvectors as the columns of `v`.
 */
export function jacobiEigh(a: Mat, n: number): { w: Mat; v: Mat } {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      s[i * n + j] = a[i * n + j]!;
      s[j * n + i] = a[i * n + j]!;
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const x = s[i * n + j]! ** 2;
        total += x;
        if (i !== j) off += x;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q]!;
        if (apq === 0) continue;
        const theta = (s[q * n + q]! - s[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const skp = s[k * n + p]!;
          const skq = s[k * n + q]!;
          s[k * n + p] = c * skp - sn * skq;
          s[k * n + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < n; k++) {
          const spk = s[p * n + k]!;
          const sqk = s[q * n + k]!;
          s[p * n + k] = c * spk - sn * sqk;
          s[q * n + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + c * vkq;
        }
      }
  }
  const order = [...Array(n).keys()].sort((x, y) => s[x * n + x]! - s[y * n + y]!);
  const w = new Float64Array(order.map((i) => s[i * n + i]!));
  const vs = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vs[k * n + dst] = v[k * n + src]!;
  });
  return { w, v: vs };
}

/**
 * Reduced SVD A = U diag(S) Vᵀ of an m×n matrix by one-sided Jacobi on the columns (on Aᵀ when
 * m < n): U m×k, S k descending, V n×k. Columns of U for zero singular values are completed to an
 * orthonormal set.
 */
export function jacobiSvd(a: Mat, m: number, n: number): { u: Mat; s: Mat; v: Mat } {
  if (m < n) {
    const at = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j]!;
    const r = jacobiSvd(at, n, m);
    return { u: r.v, s: r.s, v: r.u };
  }
  const u = a.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let al = 0;
        let be = 0;
        let ga = 0;
        for (let i = 0; i < m; i++) {
          const x = u[i * n + p]!;
          const y = u[i * n + q]!;
          al += x * x;
          be += y * y;
          ga += x * y;
        }
        if (ga === 0 || Math.abs(ga) <= 1e-15 * Math.sqrt(al * be)) continue;
        rotated = true;
        const zeta = (be - al) / (2 * ga);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = u[i * n + p]!;
          const y = u[i * n + q]!;
          u[i * n + p] = c * x - s * y;
          u[i * n + q] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = v[i * n + p]!;
          const y = v[i * n + q]!;
          v[i * n + p] = c * x - s * y;
          v[i * n + q] = s * x + c * y;
        }
      }
    if (!rotated) break;
  }
  const norms = [...Array(n).keys()].map((j) => {
    let x = 0;
    for (let i = 0; i < m; i++) x += u[i * n + j]! ** 2;
    return Math.sqrt(x);
  });
  const order = [...Array(n).keys()].sort((x, y) => norms[y]! - norms[x]!);
  const s = new Float64Array(order.map((j) => norms[j]!));
  const uo = new Float64Array(m * n);
  const vo = new Float64Array(n * n);
  const tol = (s[0] ?? 0) * Math.max(m, n) * 1e-15;
  order.forEach((src, dst) => {
    const nj = norms[src]!;
    for (let i = 0; i < n; i++) vo[i * n + dst] = v[i * n + src]!;
    if (nj > tol) for (let i = 0; i < m; i++) uo[i * n + dst] = u[i * n + src]! / nj;
    else completeColumn(uo, m, n, dst);
  });
  return { u: uo, s, v: vo };
}

/** Fill column `c` of the m×n matrix with a unit vector orthogonal to columns 0..c-1 (Gram–Schmidt on e_i). */
function completeColumn(u: Mat, m: number, n: number, c: number): void {
  for (let e = 0; e < m; e++) {
    const x = new Float64Array(m);
    x[e] = 1;
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < c; j++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i * n + j]! * x[i]!;
        for (let i = 0; i < m; i++) x[i]! -= d * u[i * n + j]!;
      }
    const nx = Math.hypot(...x);
    if (nx > 1e-8) {
      for (let i = 0; i < m; i++) u[i * n + c] = x[i]! / nx;
      return;
    }
  }
}
