import { concat, dot, noGrad, scope, slice, stopGradient, type Tensor, Variable, zeros } from '@myelin/core';
import {
  type BaseOptions,
  type Closure,
  Optimizer,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type StateValue,
} from './optimizer.js';

export interface LBFGSOptions extends BaseOptions {
  /** Iterations per `step()` (default 20). */
  maxIter: number;
  /** Function evaluations per `step()` (default ⌊maxIter·5/4⌋). */
  maxEval: number;
  /** Stop when the largest gradient entry is at most this (default 1e-7). */
  toleranceGrad: number;
  /** Stop when the loss or the step changes less than this (default 1e-9). */
  toleranceChange: number;
  /** Number of (s, y) pairs kept (default 100). */
  historySize: number;
  /** `'strong_wolfe'` for torch's strong-Wolfe line search, null for a fixed step `lr` (default). */
  lineSearchFn: 'strong_wolfe' | null;
}

// ---------------------------------------------------------------------------------------------
// Scalars as torch holds them. Its L-BFGS mixes Python floats (double) with 0-d float32 tensors
// (dot products, and everything computed from them); arithmetic with a tensor rounds to float32.
// Following that keeps the line search's decisions the same as torch's, step for step.
// ---------------------------------------------------------------------------------------------

/** A 0-d float32 tensor's value (a plain number is a Python float). */
class F32 {
  readonly v: number;
  constructor(v: number) {
    this.v = Math.fround(v);
  }
}
type Scalar = number | F32;

const val = (a: Scalar): number => (a instanceof F32 ? a.v : a);
function arith(a: Scalar, b: Scalar, op: (x: number, y: number) => number): Scalar {
  if (a instanceof F32 || b instanceof F32) return new F32(op(Math.fround(val(a)), Math.fround(val(b))));
  return op(a, b);
}
const add = (a: Scalar, b: Scalar) => arith(a, b, (x, y) => x + y);
const sub = (a: Scalar, b: Scalar) => arith(a, b, (x, y) => x - y);
const mul = (a: Scalar, b: Scalar) => arith(a, b, (x, y) => x * y);
const div = (a: Scalar, b: Scalar) => arith(a, b, (x, y) => x / y);
const neg = (a: Scalar): Scalar => (a instanceof F32 ? new F32(-a.v) : -a);
const abs = (a: Scalar): Scalar => (a instanceof F32 ? new F32(Math.abs(a.v)) : Math.abs(a));
const sqrt = (a: Scalar): Scalar => (a instanceof F32 ? new F32(Math.sqrt(a.v)) : Math.sqrt(a));
function cmp(a: Scalar, b: Scalar): number {
  return a instanceof F32 || b instanceof F32 ? Math.fround(val(a)) - Math.fround(val(b)) : a - b;
}
const lt = (a: Scalar, b: Scalar) => cmp(a, b) < 0;
const le = (a: Scalar, b: Scalar) => cmp(a, b) <= 0;
const gt = (a: Scalar, b: Scalar) => cmp(a, b) > 0;
const ge = (a: Scalar, b: Scalar) => cmp(a, b) >= 0;
/** Python's min/max of two: the first unless the second is strictly better. */
const pyMin = (a: Scalar, b: Scalar) => (lt(b, a) ? b : a);
const pyMax = (a: Scalar, b: Scalar) => (gt(b, a) ? b : a);

const item = (t: Tensor): F32 => new F32(t.item());
const dotS = (a: Tensor, b: Tensor): F32 => item(dot(a, b));
const maxAbs = (t: Tensor): F32 => item(t.abs().max());

/** Cubic interpolation of two points with values and slopes (torch's `_cubic_interpolate`). */
function cubicInterpolate(
  x1: Scalar,
  f1: Scalar,
  g1: Scalar,
  x2: Scalar,
  f2: Scalar,
  g2: Scalar,
  bounds?: [Scalar, Scalar],
): Scalar {
  const [lo, hi] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(mul(3, sub(f1, f2)), sub(x1, x2)));
  const d2Square = sub(mul(d1, d1), mul(g1, g2));
  if (ge(d2Square, 0)) {
    const d2 = sqrt(d2Square);
    const minPos = le(x1, x2)
      ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
      : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pyMin(pyMax(minPos, lo), hi);
  }
  return div(add(lo, hi), 2);
}

type ObjFunc = (t: Scalar) => { f: number; g: Tensor };

/** Strong-Wolfe line search (torch's `_strong_wolfe`, a port of minFunc's / torch7's lswolfe). */
function strongWolfe(
  obj: ObjFunc,
  t0: Scalar,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: Scalar,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): { f: number; g: Tensor; t: Scalar; evals: number } {
  let t = t0;
  const dNorm = maxAbs(d);
  let { f: fNew, g: gNew } = obj(t);
  let evals = 1;
  let gtdNew: Scalar = dotS(gNew, d);

  let tPrev: Scalar = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev: Scalar = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: Scalar[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: Scalar[] = [];
  while (lsIter < maxLs) {
    if (gt(fNew, add(f, mul(mul(c1, t), gtd))) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (le(abs(gtdNew), mul(-c2, gtd))) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (ge(gtdNew, 0)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // interpolate
    const minStep = add(t, mul(0.01, sub(t, tPrev)));
    const maxStep = mul(t, 10);
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    ({ f: fNew, g: gNew } = obj(t));
    evals += 1;
    gtdNew = dotS(gNew, d);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  // Zoom: refine the bracket until a point satisfies the strong Wolfe conditions.
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (lt(mul(abs(sub(bracket[1]!, bracket[0]!)), dNorm), toleranceChange)) break;
    t = cubicInterpolate(
      bracket[0]!,
      bracketF[0]!,
      bracketGtd[0]!,
      bracket[1]!,
      bracketF[1]!,
      bracketGtd[1]!,
    );
    const bMax = pyMax(bracket[0]!, bracket[1]!);
    const bMin = pyMin(bracket[0]!, bracket[1]!);
    const eps = mul(0.1, sub(bMax, bMin));
    if (lt(pyMin(sub(bMax, t), sub(t, bMin)), eps)) {
      // interpolation close to a boundary
      if (insufProgress || ge(t, bMax) || le(t, bMin)) {
        t = lt(abs(sub(t, bMax)), abs(sub(t, bMin))) ? sub(bMax, eps) : add(bMin, eps);
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    ({ f: fNew, g: gNew } = obj(t));
    evals += 1;
    gtdNew = dotS(gNew, d);
    lsIter += 1;
    if (gt(fNew, add(f, mul(mul(c1, t), gtd))) || fNew >= bracketF[lowPos]!) {
      // Armijo condition not met, or not lower than the lowest point
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (le(abs(gtdNew), mul(-c2, gtd))) {
        done = true;
      } else if (ge(mul(gtdNew, sub(bracket[highPos]!, bracket[lowPos]!)), 0)) {
        // the old high becomes the new low
        bracket[highPos] = bracket[lowPos]!;
        bracketF[highPos] = bracketF[lowPos]!;
        bracketG[highPos] = bracketG[lowPos]!;
        bracketGtd[highPos] = bracketGtd[lowPos]!;
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return { f: bracketF[lowPos]!, g: bracketG[lowPos]!, t: bracket[lowPos]!, evals };
}

interface LBFGSState {
  funcEvals: number;
  nIter: number;
  d?: Tensor;
  t?: number;
  oldDirs?: Tensor[];
  oldStps?: Tensor[];
  ro?: number[];
  hDiag?: number;
  prevFlatGrad?: Tensor;
  prevLoss?: number;
}

/**
 * L-BFGS, as `torch.optim.LBFGS` (PyTorch 1.13; itself after minFunc): a quasi-Newton method that
 * keeps the last `historySize` steps and gradient changes, with an optional strong-Wolfe line
 * search. One `step(closure)` runs up to `maxIter` iterations; the closure re-evaluates the loss
 * and calls `backward()`. One parameter group only; state lives on the first parameter, as torch.
 *
 * ```ts
 * const opt = new LBFGS([x], { lineSearchFn: 'strong_wolfe' });
 * opt.step(() => { opt.zeroGrad(); const loss = f(x); loss.backward(); return loss; });
 * ```
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: ParamsInput<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    const maxIter = options.maxIter ?? 20;
    super(params, {
      lr: options.lr ?? 1,
      maxIter,
      maxEval: options.maxEval ?? Math.floor((maxIter * 5) / 4),
      toleranceGrad: options.toleranceGrad ?? 1e-7,
      toleranceChange: options.toleranceChange ?? 1e-9,
      historySize: options.historySize ?? 100,
      lineSearchFn: options.lineSearchFn ?? null,
    });
  }

  protected override get name(): string {
    return 'LBFGS';
  }

  override addParamGroup(group: ParamGroupInput<LBFGSOptions>): void {
    if (this.paramGroups.length > 0) {
      throw new RangeError(
        "LBFGS doesn't support per-parameter options (parameter groups): give one list of parameters",
      );
    }
    super.addParamGroup(group);
  }

  protected override validateGroup(group: ParamGroup<LBFGSOptions>, index: number): void {
    super.validateGroup(group, index);
    if (group.lineSearchFn !== null && group.lineSearchFn !== 'strong_wolfe') {
      throw new RangeError(
        `LBFGS: lineSearchFn must be 'strong_wolfe' or null, got ${String(group.lineSearchFn)}`,
      );
    }
    for (const k of ['maxIter', 'maxEval', 'historySize'] as const) {
      if (!(Number.isInteger(group[k]) && group[k] > 0)) {
        throw new RangeError(`LBFGS: ${k} must be a positive integer, got ${String(group[k])}`);
      }
    }
  }

  protected update(): void {
    throw new Error('LBFGS: step() needs a closure');
  }

  /**
   * Run up to `maxIter` L-BFGS iterations. `closure` zeroes the gradients, evaluates the loss,
   * calls `backward()` and returns the loss; it is called several times. Returns what the first
   * call returned.
   */
  override step(closure?: Closure): Tensor | number {
    if (typeof closure !== 'function') {
      throw new TypeError(
        'LBFGS.step: a closure is required (it re-evaluates the loss and calls backward())',
      );
    }
    const group = this.paramGroups[0]!;
    const params = group.params;
    const first = params[0]!;
    let st = this.state.get(first);
    if (!st) this.state.set(first, (st = { funcEvals: 0, nIter: 0 }));
    const state = st as unknown as LBFGSState;
    const before = new Set<Tensor>();
    collect(Object.values(st), before);

    // The first loss is returned to the caller; everything else the step makes is freed at its end.
    return scope(() => {
      const origLoss = closure();
      const result = this.iterate(closure, origLoss, state, group);
      // Hold the new state in Variables; free state tensors that dropped out.
      const after = new Set<Tensor>();
      const wrap = (t: Tensor) => (t instanceof Variable ? t : new Variable(t));
      if (result.d) state.d = wrap(result.d);
      if (result.prevFlatGrad) state.prevFlatGrad = wrap(result.prevFlatGrad);
      if (result.oldDirs) state.oldDirs = result.oldDirs.map(wrap);
      if (result.oldStps) state.oldStps = result.oldStps.map(wrap);
      collect(Object.values(st), after);
      for (const t of before) if (!after.has(t)) t.dispose();
      return origLoss;
    });
  }

  private iterate(
    closure: Closure,
    origLoss: Tensor | number,
    state: LBFGSState,
    group: ParamGroup<LBFGSOptions>,
  ): { d?: Tensor; prevFlatGrad?: Tensor; oldDirs?: Tensor[]; oldStps?: Tensor[] } {
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const params = group.params;
    const evalLoss = (): number =>
      scope(() => {
        const l = closure();
        return typeof l === 'number' ? l : l.item();
      });

    let loss = typeof origLoss === 'number' ? origLoss : origLoss.item();
    let currentEvals = 1;
    state.funcEvals += 1;
    let flatGrad = this.gatherFlatGrad();
    let optCond = le(maxAbs(flatGrad), toleranceGrad);
    if (optCond) return {};

    let d = state.d;
    let t: Scalar | undefined = state.t;
    const oldDirs = state.oldDirs ? [...state.oldDirs] : [];
    const oldStps = state.oldStps ? [...state.oldStps] : [];
    const ro: Scalar[] = state.ro ? [...state.ro] : [];
    let hDiag: Scalar = state.hDiag ?? 1;
    let prevFlatGrad = state.prevFlatGrad;
    let prevLoss = state.prevLoss;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.nIter += 1;

      // -- the descent direction
      if (state.nIter === 1) {
        d = flatGrad.neg();
        oldDirs.length = 0;
        oldStps.length = 0;
        ro.length = 0;
        hDiag = 1;
      } else {
        const y = flatGrad.sub(prevFlatGrad!);
        const s = d!.mul(val(t!));
        const ys = dotS(y, s);
        if (gt(ys, 1e-10)) {
          if (oldDirs.length === historySize) {
            // shift the history by one (limited memory)
            oldDirs.shift();
            oldStps.shift();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(div(1, ys));
          hDiag = div(ys, dotS(y, y));
        }
        // two-loop recursion: the approximate inverse Hessian times the gradient
        const numOld = oldDirs.length;
        const al: Scalar[] = new Array(numOld);
        let q = flatGrad.neg();
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = mul(dotS(oldStps[i]!, q), ro[i]!);
          q = q.add(oldDirs[i]!.mul(val(neg(al[i]!))));
        }
        let r = q.mul(val(hDiag));
        for (let i = 0; i < numOld; i++) {
          const be = mul(dotS(oldDirs[i]!, r), ro[i]!);
          r = r.add(oldStps[i]!.mul(val(sub(al[i]!, be))));
        }
        d = r;
      }
      prevFlatGrad = flatGrad;
      prevLoss = loss;

      // -- the step length
      t = state.nIter === 1 ? mul(pyMin(1, div(1, item(flatGrad.abs().sum()))), lr) : lr;
      const gtd = dotS(flatGrad, d!);
      if (gt(gtd, -toleranceChange)) break;

      let lsEvals = 0;
      if (lineSearchFn !== null) {
        const xInit = params.map((p) => stopGradient(p));
        const dir = d!;
        const obj: ObjFunc = (tt) => {
          this.addGrad(tt, dir);
          const f = evalLoss();
          const g = this.gatherFlatGrad();
          params.forEach((p, i) => {
            p.assign(xInit[i]!);
          });
          return { f, g };
        };
        const ls = strongWolfe(obj, t, dir, loss, flatGrad, gtd);
        loss = ls.f;
        flatGrad = ls.g;
        t = ls.t;
        lsEvals = ls.evals;
        this.addGrad(t, dir);
        optCond = le(maxAbs(flatGrad), toleranceGrad);
      } else {
        this.addGrad(t, d!);
        if (nIter !== maxIter) {
          // re-evaluate only when another iteration follows (stochastic settings gain nothing)
          loss = evalLoss();
          flatGrad = this.gatherFlatGrad();
          optCond = le(maxAbs(flatGrad), toleranceGrad);
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      state.funcEvals += lsEvals;

      // -- stopping conditions
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (le(maxAbs(d!.mul(val(t))), toleranceChange)) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }

    state.t = t === undefined ? undefined : val(t);
    state.ro = ro.map(val);
    state.hDiag = val(hDiag);
    state.prevLoss = prevLoss;
    return { d, prevFlatGrad, oldDirs, oldStps };
  }

  /** All gradients as one flat vector (zeros for parameters without a gradient). */
  private gatherFlatGrad(): Tensor {
    const views = this.paramGroups[0]!.params.map((p) => (p.grad ? p.grad.reshape([-1]) : zeros([p.size])));
    return views.length === 1 ? views[0]! : concat(views, 0);
  }

  /** θ ← θ + t·d, with d cut into the parameters' shapes. */
  private addGrad(t: Scalar, d: Tensor): void {
    const step = val(t);
    noGrad(() => {
      let offset = 0;
      for (const p of this.paramGroups[0]!.params) {
        const part = slice(d, [offset, offset + p.size]).reshape(p.shape);
        p.assign(p.add(part.mul(step)));
        offset += p.size;
      }
    });
  }
}

function collect(values: StateValue[], out: Set<Tensor>): void {
  for (const v of values) {
    if (Array.isArray(v)) collect(v, out);
    else if (v !== null && typeof v === 'object') out.add(v);
  }
}
