import { hessian, hvp, scope, type Tensor, tensor, valueAndGrad } from '@myelin/core';

/** A scalar-valued function of one float32 tensor (the objective of the second-order methods). */
export type Objective = (x: Tensor) => Tensor;

/** What `newton`, `newtonCG` and `bfgs` return. `x` is a new tensor the caller owns. */
export interface MinimizeResult {
  x: Tensor;
  /** f(x). */
  fun: number;
  /** The largest |∂f/∂xᵢ| at x. */
  gradInf: number;
  /** Outer iterations taken. */
  iterations: number;
  /** Evaluations of f (with its gradient), line searches included. */
  evaluations: number;
  /** Whether the gradient test `gradInf <= gtol` was met (false: maxIter, or no decrease found). */
  converged: boolean;
  /** f at the start and after each iteration. */
  history: number[];
}

export interface SecondOrderOptions {
  /** Stop when max |∂f/∂xᵢ| <= gtol (default 1e-5). */
  gtol?: number;
  /** Most outer iterations (default 100; 500 for bfgs). */
  maxIter?: number;
  /** Sufficient-decrease constant of the backtracking (Armijo) line search (default 1e-4). */
  c1?: number;
  /** Step shrink factor of the line search (default 0.5). */
  shrink?: number;
  /** Most halvings per line search before giving up (default 40). */
  maxBacktracks?: number;
}

export interface NewtonCGOptions extends SecondOrderOptions {
  /** Most CG iterations per outer step (default: the number of elements of x). */
  cgMaxIter?: number;
}

type Vec = Float64Array;

/** f and its gradient at `x` (host values), in a scope. */
class Problem {
  evaluations = 0;
  readonly n: number;
  constructor(
    readonly fn: string,
    readonly f: Objective,
    readonly shape: number[],
  ) {
    this.n = shape.reduce((a, b) => a * b, 1);
  }

  toTensor(x: Vec): Tensor {
    return tensor(Float32Array.from(x), { shape: this.shape });
  }

  value(x: Vec): { fx: number; g: Vec } {
    this.evaluations += 1;
    return scope(() => {
      const [v, g] = valueAndGrad((t: Tensor) => {
        const out = this.f(t);
        if (!out || typeof (out as Tensor).dataSync !== 'function' || out.size !== 1) {
          const got =
            out && Array.isArray((out as Tensor).shape) ? `shape [${out.shape.join(', ')}]` : typeof out;
          throw new RangeError(`${this.fn}: the objective must return a one-element tensor, got ${got}`);
        }
        return out;
      })(this.toTensor(x)) as [Tensor, Tensor];
      return { fx: v.item() as number, g: Float64Array.from(g.dataSync() as Float32Array) };
    });
  }

  hessian(x: Vec): Vec {
    return scope(() => Float64Array.from(hessian(this.f, this.toTensor(x)).dataSync() as Float32Array));
  }

  hvp(x: Vec, v: Vec): Vec {
    return scope(() => {
      const [, hv] = hvp(this.f, this.toTensor(x), this.toTensor(v));
      return Float64Array.from(hv.dataSync() as Float32Array);
    });
  }
}

const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const infNorm = (a: Vec): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const axpy = (x: Vec, t: number, p: Vec): Vec => x.map((v, i) => v + t * p[i]!);

function start(fn: string, f: Objective, x0: Tensor, options: SecondOrderOptions) {
  if (typeof f !== 'function')
    throw new TypeError(`${fn}: the objective must be a function, got ${typeof f}`);
  if (!x0 || typeof (x0 as Tensor).dataSync !== 'function') {
    throw new TypeError(`${fn}: x0 must be a tensor, got ${typeof x0}`);
  }
  if (x0.dtype !== 'float32') throw new TypeError(`${fn}: x0 must be float32, got ${x0.dtype}`);
  if (x0.size === 0) throw new RangeError(`${fn}: x0 is empty (shape [${x0.shape.join(', ')}])`);
  const opts = {
    gtol: options.gtol ?? 1e-5,
    c1: options.c1 ?? 1e-4,
    shrink: options.shrink ?? 0.5,
    maxBacktracks: options.maxBacktracks ?? 40,
  };
  if (!(opts.gtol >= 0)) throw new RangeError(`${fn}: invalid gtol ${opts.gtol} (must be >= 0)`);
  if (!(opts.c1 > 0 && opts.c1 < 1)) throw new RangeError(`${fn}: invalid c1 ${opts.c1} (must be in (0, 1))`);
  if (!(opts.shrink > 0 && opts.shrink < 1))
    throw new RangeError(`${fn}: invalid shrink ${opts.shrink} (must be in (0, 1))`);
  const problem = new Problem(fn, f, [...x0.shape]);
  const x = Float64Array.from(x0.dataSync() as Float32Array);
  return { problem, x, opts };
}

/**
 * Backtracking (Armijo) line search from `x` along the descent direction `p`: the first t in 1,
 * shrink, shrink², … with f(x + tp) <= f(x) + c1·t·∇fᵀp. Null when none is found.
 */
function backtrack(
  problem: Problem,
  x: Vec,
  fx: number,
  g: Vec,
  p: Vec,
  opts: { c1: number; shrink: number; maxBacktracks: number },
): { x: Vec; fx: number; g: Vec } | null {
  const slope = dot(g, p);
  let t = 1;
  for (let i = 0; i <= opts.maxBacktracks; i++) {
    const xn = axpy(x, t, p);
    const next = problem.value(xn);
    if (Number.isFinite(next.fx) && next.fx <= fx + opts.c1 * t * slope) return { x: xn, ...next };
    t *= opts.shrink;
  }
  return null;
}

/** Run the outer loop: `direction` gives the search direction at (x, g). */
function descend(
  fn: string,
  f: Objective,
  x0: Tensor,
  options: SecondOrderOptions,
  defaultMaxIter: number,
  direction: (problem: Problem, x: Vec, g: Vec, iteration: number) => Vec,
  afterStep?: (s: Vec, y: Vec) => void,
): MinimizeResult {
  const { problem, x: x00, opts } = start(fn, f, x0, options);
  const maxIter = options.maxIter ?? defaultMaxIter;
  let x: Vec = x00;
  let { fx, g } = problem.value(x);
  const history = [fx];
  let iterations = 0;
  while (iterations < maxIter && infNorm(g) > opts.gtol) {
    let p = direction(problem, x, g, iterations);
    if (!(dot(g, p) < 0) || p.some((v) => !Number.isFinite(v))) p = g.map((v) => -v); // not a descent direction
    const next = backtrack(problem, x, fx, g, p, opts);
    if (!next) break;
    iterations += 1;
    afterStep?.(
      next.x.map((v, i) => v - x[i]!),
      next.g.map((v, i) => v - g[i]!),
    );
    ({ x, fx, g } = next);
    history.push(fx);
  }
  const gradInf = infNorm(g);
  return {
    x: problem.toTensor(x),
    fun: fx,
    gradInf,
    iterations,
    evaluations: problem.evaluations,
    converged: gradInf <= opts.gtol,
    history,
  };
}

/** Solve A p = b for a symmetric n×n A by Cholesky; null if A is not positive definite. */
function choleskySolve(a: Vec, n: number, b: Vec): Vec | null {
  const l = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    // a pivot at rounding level of the diagonal counts as singular (it would give a huge step)
    if (!(d > 1e-12 * scale)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = (a[i * n + j]! + a[j * n + i]!) / 2;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * out[k]!;
    out[i] = s / l[i * n + i]!;
  }
  return out;
}

/**
 * Newton's method with a backtracking line search (Nocedal & Wright, ch. 3): the step solves
 * (H + τI) p = −∇f with the dense Hessian from `hessian` (core), τ = 0 when H is positive definite,
 * else τ = β − min Hᵢᵢ (β = 1e-3·max|Hᵢᵢ|), doubled until the Cholesky factorisation succeeds
 * (N&W Algorithm 3.3: a modified Newton step, always a descent direction). For small problems: it forms the n×n Hessian
 * with n reverse passes.
 *
 * ```ts
 * const { x, fun } = newton((x) => x.sub(target).square().sum(), zeros([3]));
 * ```
 */
export function newton(f: Objective, x0: Tensor, options: SecondOrderOptions = {}): MinimizeResult {
  return descend('newton', f, x0, options, 100, (problem, x, g) => {
    const n = problem.n;
    const h = problem.hessian(x);
    const minusG = g.map((v) => -v);
    let maxDiag = 0;
    let minDiag = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      maxDiag = Math.max(maxDiag, Math.abs(h[i * n + i]!));
      minDiag = Math.min(minDiag, h[i * n + i]!);
    }
    // Nocedal & Wright, Algorithm 3.3 (Cholesky with added multiple of the identity)
    const beta = Math.max(1e-3 * maxDiag, 1e-8);
    let tau = minDiag > 0 ? 0 : beta - minDiag;
    let p: Vec | null = null;
    for (let k = 0; k < 100 && !p; k++) {
      const shifted = Float64Array.from(h);
      for (let i = 0; i < n; i++) shifted[i * n + i]! += tau;
      p = choleskySolve(shifted, n, minusG);
      tau = Math.max(2 * tau, beta);
    }
    return p ?? minusG;
  });
}

/**
 * Truncated Newton, "Hessian-free" (Nocedal & Wright, Algorithm 7.1; Martens 2010): each step solves
 * H p = −∇f approximately by conjugate gradients that only touch H through Hessian-vector products
 * (`hvp`, core: two reverse passes, H never formed), stopping at the forcing tolerance
 * ‖r‖ <= min(0.5, √‖∇f‖)·‖∇f‖ or at negative curvature; then a backtracking line search.
 */
export function newtonCG(f: Objective, x0: Tensor, options: NewtonCGOptions = {}): MinimizeResult {
  return descend('newtonCG', f, x0, options, 100, (problem, x, g) => {
    const n = problem.n;
    const cgMax = options.cgMaxIter ?? n;
    const gNorm = Math.sqrt(dot(g, g));
    const tol = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
    let z: Vec = new Float64Array(n);
    let r: Vec = Float64Array.from(g);
    let d: Vec = g.map((v) => -v);
    for (let j = 0; j < cgMax; j++) {
      const hd = problem.hvp(x, d);
      const curvature = dot(d, hd);
      if (curvature <= 0) return j === 0 ? d : z;
      const rr = dot(r, r);
      const alpha = rr / curvature;
      z = axpy(z, alpha, d);
      r = axpy(r, alpha, hd);
      const rrNext = dot(r, r);
      if (Math.sqrt(rrNext) <= tol) break;
      const beta = rrNext / rr;
      d = r.map((v, i) => -v + beta * d[i]!);
    }
    return z;
  });
}

/**
 * BFGS with a dense inverse-Hessian approximation (Nocedal & Wright, Algorithm 6.1): p = −H∇f, a
 * backtracking line search, then H ← (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ with ρ = 1/yᵀs (skipped when
 * yᵀs <= 1e-10·‖s‖‖y‖, as the Armijo search does not enforce the curvature condition); before the
 * first update H is scaled to (yᵀs/yᵀy)·I. O(n²) memory: for large n use `LBFGS`.
 */
export function bfgs(f: Objective, x0: Tensor, options: SecondOrderOptions = {}): MinimizeResult {
  let h: Vec | null = null;
  let n = 0;
  let updated = false;
  return descend(
    'bfgs',
    f,
    x0,
    options,
    500,
    (problem, _x, g) => {
      n = problem.n;
      if (!h) {
        h = new Float64Array(n * n);
        for (let i = 0; i < n; i++) h[i * n + i] = 1;
      }
      const p = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s -= h[i * n + k]! * g[k]!;
        p[i] = s;
      }
      return p;
    },
    (s, y) => {
      const sy = dot(s, y);
      if (!(sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
      const H = h!;
      if (!updated) {
        const scale = sy / dot(y, y);
        H.fill(0);
        for (let i = 0; i < n; i++) H[i * n + i] = scale;
        updated = true;
      }
      const rho = 1 / sy;
      const hy = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += H[i * n + k]! * y[k]!;
        hy[i] = acc;
      }
      const yhy = dot(y, hy);
      const c = rho * rho * yhy + rho;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          H[i * n + k] = H[i * n + k]! - rho * (hy[i]! * s[k]! + s[i]! * hy[k]!) + c * s[i]! * s[k]!;
        }
      }
    },
  );
}
