/**
 * Derivative tools after torch.autograd.functional / torch.autograd.gradcheck: `jacobian`,
 * `hessian`, Hessian-vector products `hvp`, `jvp` and a finite-difference `gradcheck`. All are built
 * on the reverse-mode tape (`vjp`); `jvp` uses the double-vjp construction (the vjp is linear in
 * its cotangent u, so differentiating u ↦ Jᵀu against v gives J v), not a forward-mode tape.
 */
import { grad, vjp } from '../autograd.js';
import { scope } from '../engine.js';
import { mul, reshape, stack, sum, tensor, zerosLike } from '../ops/all.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';

type Fn = (...xs: Tensor[]) => Tensor;

function checkOutput(op: string, y: unknown): Tensor {
  if (!(y instanceof Tensor))
    throw new TypeError(`${op}: the function must return one tensor, got ${typeof y}`);
  if (y.dtype !== 'float32')
    throw new TypeError(`${op}: the function must return a float32 tensor, got ${y.dtype}`);
  return y;
}

function checkInputs(op: string, xs: readonly Tensor[]): void {
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${op}: input ${i} is not a tensor`);
    if (x.dtype !== 'float32') throw new TypeError(`${op}: input ${i} must be float32, got ${x.dtype}`);
  });
}

/** The Jacobians of `f` at `xs`, one per input, each of shape [...f(xs).shape, ...x.shape]. */
function jacobians(op: string, f: Fn, xs: readonly Tensor[]): Tensor[] {
  checkInputs(op, xs);
  const [y, back] = vjp(f, ...xs);
  const out = checkOutput(op, y);
  const rows: Tensor[][] = xs.map(() => []);
  for (let i = 0; i < out.size; i++) {
    const e = new Float32Array(out.size);
    e[i] = 1;
    const g = back(tensor(e, { shape: [...out.shape] }));
    g.forEach((gi, j) => {
      rows[j]!.push(gi);
    });
  }
  return xs.map((x, j) =>
    out.size === 0
      ? tensor(new Float32Array(0), { shape: [...out.shape, ...x.shape] })
      : reshape(stack(rows[j]!, 0), [...out.shape, ...x.shape]),
  );
}

/**
 * Jacobian of `f` at `x` (torch.autograd.functional.jacobian): shape [...f(x).shape, ...x.shape].
 * With several inputs pass an array and get one Jacobian per input. Differentiable, so
 * `jacobian(grad(f), x)` is the Hessian.
 */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor;
export function jacobian(f: Fn, x: readonly Tensor[]): Tensor[];
export function jacobian(f: Fn, x: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return scope(() => {
    const js = jacobians('jacobian', f, x instanceof Tensor ? [x] : x);
    return x instanceof Tensor ? js[0]! : js;
  });
}

/** Hessian of a scalar-valued `f` at `x`: shape [...x.shape, ...x.shape]. */
export function hessian(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return scope(() => {
    checkInputs('hessian', [x]);
    return jacobians('hessian', (u) => grad(f)(u), [x])[0]!;
  });
}

/**
 * Hessian-vector product of a scalar-valued `f` at `x` with `v` (torch.autograd.functional.hvp):
 * [f(x), H v], without forming H (two reverse passes).
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): [Tensor, Tensor] {
  checkInputs('hvp', [x, v]);
  if (x.shape.join() !== v.shape.join()) {
    throw new RangeError(`hvp: v has shape ${fmtShape(v.shape)} but x has shape ${fmtShape(x.shape)}`);
  }
  return scope(() => {
    const value = f(x);
    if (checkOutput('hvp', value).size !== 1) {
      throw new RangeError(
        `hvp: the function must return a one-element tensor, got shape ${fmtShape(value.shape)}`,
      );
    }
    const hv = grad((u: Tensor) => sum(mul(grad(f)(u), v)))(x);
    return [value, hv] as [Tensor, Tensor];
  });
}

/**
 * Jacobian-vector product (torch.autograd.functional.jvp): [f(x), J v] with v shaped like x, by
 * the double-vjp construction.
 */
export function jvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): [Tensor, Tensor] {
  checkInputs('jvp', [x, v]);
  if (x.shape.join() !== v.shape.join()) {
    throw new RangeError(`jvp: v has shape ${fmtShape(v.shape)} but x has shape ${fmtShape(x.shape)}`);
  }
  return scope(() => {
    const value = checkOutput('jvp', f(x));
    const [, backU] = vjp((u: Tensor) => {
      const [, back] = vjp(f, x);
      return back(u)[0]!;
    }, zerosLike(value));
    return [value, backU(v)[0]!] as [Tensor, Tensor];
  });
}

export interface GradcheckOptions {
  /** Finite-difference step; default 1e-3 (float32: roundoff ≈ 1e-7·|f|/eps, truncation ≈ eps²). */
  eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| elementwise; defaults 1e-3 and 1e-2. */
  atol?: number;
  rtol?: number;
  /** Throw a `GradcheckError` describing the worst entry on failure (default), else return false. */
  raiseException?: boolean;
}

export interface GradcheckReport {
  passed: boolean;
  /** The worst entry: input index, flat element of that input, flat element of the output. */
  worst: { input: number; element: number; output: number; analytic: number; numeric: number } | null;
  /** max |a − n| / max(|a|, |n|) over entries not both ~0: the books' relative error. */
  maxRelativeError: number;
}

export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
    this.name = 'GradcheckError';
  }
}

/**
 * Compare the reverse-mode Jacobian of `f` at `inputs` with central finite differences
 * (f(x + eps·e_i) − f(x − eps·e_i)) / 2eps, element by element (torch.autograd.gradcheck, whose
 * test is |a − n| ≤ atol + rtol·|n|). Runs in float32, hence looser defaults than PyTorch's
 * float64 ones. Returns true, or throws (or returns false with raiseException: false).
 */
export function gradcheck(f: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): boolean {
  return gradcheckReport(f, inputs, options).passed;
}

/** `gradcheck` returning the full report instead of a boolean. */
export function gradcheckReport(
  f: Fn,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  if (!(eps > 0)) throw new RangeError(`gradcheck: eps must be positive, got ${eps}`);
  checkInputs('gradcheck', inputs);
  const report = scope(() => {
    const analytic = jacobians('gradcheck', f, inputs).map((j) => j.dataSync());
    const base = inputs.map((x) => x.dataSync());
    let worst: GradcheckReport['worst'] = null;
    let worstExcess = -Infinity;
    let maxRel = 0;
    let passed = true;
    inputs.forEach((x, i) => {
      for (let e = 0; e < x.size; e++) {
        const evalAt = (delta: number) =>
          scope(() => {
            const data = Float32Array.from(base[i]!);
            data[e]! += delta;
            const args = inputs.map((t, k) => (k === i ? tensor(data, { shape: [...x.shape] }) : t));
            return Float64Array.from(checkOutput('gradcheck', f(...args)).dataSync());
          });
        const plus = evalAt(eps);
        const minus = evalAt(-eps);
        for (let o = 0; o < plus.length; o++) {
          const numeric = (plus[o]! - minus[o]!) / (2 * eps);
          const a = analytic[i]![o * x.size + e]!;
          const diff = Math.abs(a - numeric);
          const scale = Math.max(Math.abs(a), Math.abs(numeric));
          if (scale > atol) maxRel = Math.max(maxRel, diff / scale);
          const excess = diff - (atol + rtol * Math.abs(numeric));
          if (!(excess <= 0)) passed = false;
          if (excess > worstExcess || Number.isNaN(excess)) {
            worstExcess = Number.isNaN(excess) ? Infinity : excess;
            worst = { input: i, element: e, output: o, analytic: a, numeric };
          }
        }
      }
    });
    return { passed, worst, maxRelativeError: maxRel } as GradcheckReport;
  });
  if (!report.passed && options.raiseException !== false) {
    const w = report.worst!;
    throw new GradcheckError(
      `gradcheck: the analytic and numeric Jacobians differ for input ${w.input} element ${w.element}, output ${w.output}: analytic ${w.analytic}, numeric ${w.numeric} (atol ${atol}, rtol ${rtol}, eps ${eps})`,
      report,
    );
  }
  return report;
}
