import { keep, noGrad, scope, Tensor, Variable, zerosLike } from '@myelin/core';

/** Options every optimizer has: the learning rate that schedules adjust. */
export interface BaseOptions {
  lr: number;
}

/**
 * Keys that LR schedules write into a parameter group, as torch does (`initial_lr`, OneCycleLR's
 * `max_lr`/`min_lr`/momentum bounds). They ride along in `stateDict()`.
 */
export interface ScheduleFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/** A parameter group: its parameters and its own value of every option. */
export type ParamGroup<O extends BaseOptions> = O & ScheduleFields & { params: Variable[] };

/** A parameter group as given to a constructor or `addParamGroup`: options it omits take the defaults. */
export type ParamGroupInput<O extends BaseOptions> = Partial<O> &
  ScheduleFields & {
    params: Iterable<Variable> | Variable;
  };

/** What the optimizer's constructor takes: parameters, or parameter groups with their own options. */
export type ParamsInput<O extends BaseOptions> = Iterable<Variable> | Iterable<ParamGroupInput<O>>;

/** One value of per-parameter state: tensors (Variables), counters, or lists of them (L-BFGS history). */
export type StateValue = Tensor | number | boolean | string | null | StateValue[];
export type ParamState = Record<string, StateValue>;

/** A JSON value (what a parameter group holds besides its tensors). */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The optimizer's state in torch's layout: per-parameter state keyed by the parameter's index
 * (counting through the groups in order), and the groups' options with `params` as those indices.
 * Tensors in it are the optimizer's live state; `loadStateDict` copies what it is given.
 */
export interface OptimizerStateDict {
  state: Record<string, ParamState>;
  paramGroups: ({ params: number[] } & Record<string, JsonValue>)[];
}

/** A closure re-evaluates the loss and calls `backward()` (L-BFGS needs one; others accept one). */
export type Closure = () => Tensor | number;

/** Per-parameter state of the Adam family (see `updateMoments`). */
export interface MomentState {
  step: number;
  expAvg: Variable;
  expAvgSq?: Variable;
}

/**
 * The base of every optimizer: parameter groups, per-parameter state, `zeroGrad`, state dicts.
 *
 * A step reads each parameter's `.grad` (parameters whose grad is null are skipped), runs its math
 * without recording gradients inside a memory scope, and `assign`s the results to the parameters
 * and to the state Variables, so it leaves no tensors behind.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The options a group gets for what it does not set. */
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created at a parameter's first step. */
  readonly state = new Map<Variable, ParamState>();
  /** The optimizer's name in error messages (a getter: the base constructor already uses it). */
  protected get name(): string {
    return 'Optimizer';
  }

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    const list = [...(params as Iterable<Variable | ParamGroupInput<O>>)];
    if (list.length === 0) throw new RangeError(`${this.name}: got an empty parameter list`);
    const groups: ParamGroupInput<O>[] =
      list[0] instanceof Variable || !isGroup(list[0])
        ? [{ params: list as Variable[] } as unknown as ParamGroupInput<O>]
        : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Add a group of parameters with its own options (fine-tuning: unfreeze layers as training goes).
   * Options it omits take the optimizer's defaults.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.name;
    if (!isGroup(group))
      throw new TypeError(`${name}.addParamGroup: a group is an object with a params field`);
    const params = group.params instanceof Variable ? [group.params] : [...group.params];
    params.forEach((p, i) => {
      if (!(p instanceof Variable)) {
        throw new TypeError(
          `${name}: parameter ${i} of group ${this.paramGroups.length} is not a Variable or Parameter (optimizers update parameters with assign())`,
        );
      }
      if (p.dtype !== 'float32') {
        throw new TypeError(
          `${name}: parameter ${i} is ${p.dtype}; only float32 parameters can be optimized`,
        );
      }
    });
    if (new Set(params).size !== params.length) {
      throw new RangeError(`${name}: a parameter group lists the same parameter twice`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p))) {
      throw new RangeError(`${name}: some parameters appear in more than one parameter group`);
    }
    const merged = { ...this.defaults, ...withoutUndefined(group), params } as ParamGroup<O>;
    this.validateGroup(merged, this.paramGroups.length);
    this.paramGroups.push(merged);
  }

  /** Check a group's options; throw a message that names the option and the value. */
  protected validateGroup(group: ParamGroup<O>, index: number): void {
    if (typeof group.lr !== 'number' || !(group.lr >= 0)) {
      throw new RangeError(
        `${this.name}: parameter group ${index} has invalid lr ${String(group.lr)} (give options.lr or the group's lr, >= 0)`,
      );
    }
  }

  /**
   * Clear the gradients of every parameter. By default `.grad` becomes null (as PyTorch 2 and
   * `Module.zeroGrad`); `{ setToNone: false }` fills it with zeros instead (PyTorch 1.13's default),
   * which makes a following step update with a zero gradient rather than skip the parameter.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        p.grad = setToNone ? null : keep(noGrad(() => zerosLike(g)));
        g.dispose();
      }
    }
  }

  /**
   * One optimization step from the parameters' current `.grad`. With a closure (which re-evaluates
   * the loss and calls `backward()`), the closure runs first and its result is returned.
   */
  step(closure?: Closure): Tensor | number | undefined {
    const loss = closure ? closure() : undefined;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        let st = this.state.get(p);
        if (!st) this.state.set(p, (st = {}));
        const state = st;
        noGrad(() => scope(() => this.update(p, g, state, group)));
      }
    }
    return loss;
  }

  /**
   * Update one parameter from its gradient: runs without gradient recording inside a scope, so the
   * implementation just computes and `assign`s (to `p` and to state Variables it creates on the
   * first call, when `state` is empty).
   */
  protected abstract update(p: Variable, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** A Variable holding a copy of `t` (state tensors are Variables: scopes never free them). */
  protected stateVar(t: Tensor): Variable {
    return new Variable(t);
  }

  /**
   * The exponential moving averages that Adam and its relatives keep, created on the first step:
   * m ← β₁m + (1−β₁)g, and v ← β₂v + (1−β₂)g² unless `second` is false (Adamax keeps an infinity
   * norm instead). Advances and returns `state.step`.
   */
  protected updateMoments(
    state: MomentState,
    p: Tensor,
    g: Tensor,
    betas: readonly [number, number],
    second = true,
  ): number {
    const [beta1, beta2] = betas;
    if (!state.expAvg) {
      state.step = 0;
      state.expAvg = this.stateVar(zerosLike(p));
      if (second) state.expAvgSq = this.stateVar(zerosLike(p));
    }
    state.step += 1;
    state.expAvg.assign(state.expAvg.mul(beta1).add(g.mul(1 - beta1)));
    if (second) state.expAvgSq!.assign(state.expAvgSq!.mul(beta2).add(g.mul(1 - beta2).mul(g)));
    return state.step;
  }

  /** The state and the groups' options, in torch's layout (tensors are the live state). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Variable, number>();
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    for (const group of this.paramGroups) {
      const packed: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(group))
        if (k !== 'params' && v !== undefined) packed[k] = v as JsonValue;
      const params = group.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      paramGroups.push({ ...packed, params });
    }
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[String(i)] = { ...st };
    }
    return { state, paramGroups };
  }

  /**
   * Load a state dict (from `stateDict()` or `loadOptimizerState`): the groups' options and the
   * per-parameter state, matched to this optimizer's parameters by position. Tensors are copied
   * into new Variables (the caller may dispose what it passed); the old state is freed.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(
        `${this.name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`,
      );
    }
    const byIndex = new Map<number, Variable>();
    sd.paramGroups.forEach((saved, gi) => {
      const own = this.paramGroups[gi]!;
      if (saved.params.length !== own.params.length) {
        throw new RangeError(
          `${this.name}.loadStateDict: parameter group ${gi} has ${saved.params.length} parameters in the state dict, ${own.params.length} here`,
        );
      }
      saved.params.forEach((idx, j) => {
        byIndex.set(idx, own.params[j]!);
      });
    });
    const next = new Map<Variable, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) continue;
      next.set(p, copyState(st) as ParamState);
    }
    this.disposeState();
    for (const [p, st] of next) this.state.set(p, st);
    sd.paramGroups.forEach((saved, gi) => {
      const own = this.paramGroups[gi]!;
      const { params: _params, ...options } = saved;
      Object.assign(own, structuredClone(options));
    });
  }

  /** Free the optimizer's state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const st of this.state.values()) disposeValue(Object.values(st));
    this.state.clear();
  }
}

function isGroup(x: unknown): x is { params: unknown } {
  return typeof x === 'object' && x !== null && !(x instanceof Variable) && 'params' in x;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function copyState(v: StateValue | ParamState): StateValue | ParamState {
  if (v instanceof Tensor) return new Variable(v);
  if (Array.isArray(v)) return v.map((x) => copyState(x) as StateValue);
  if (v !== null && typeof v === 'object') {
    const out: ParamState = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyState(x) as StateValue;
    return out;
  }
  return v;
}

/** Dispose every tensor in a state value (nested lists included). */
export function disposeValue(v: StateValue): void {
  if (Array.isArray(v)) for (const x of v) disposeValue(x);
  else if (v instanceof Tensor) v.dispose();
}

/** @internal torch's common preamble: negate the gradient to maximize, then add the L2 term λθ. */
export function directedGrad(grad: Tensor, p: Tensor, weightDecay: number, maximize: boolean): Tensor {
  const g = maximize ? grad.neg() : grad;
  return weightDecay !== 0 ? g.add(p.mul(weightDecay)) : g;
}

/** @internal a non-negative number option, or a RangeError naming it. */
export function checkNonNegative(optimizer: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0)) {
    throw new RangeError(`${optimizer}: invalid ${name} ${String(value)} (must be >= 0)`);
  }
}

/** @internal betas in [0, 1). */
export function checkBetas(optimizer: string, betas: readonly [number, number]): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`${optimizer}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
  }
  betas.forEach((b, i) => {
    if (!(b >= 0 && b < 1))
      throw new RangeError(`${optimizer}: invalid beta${i + 1} ${b} (must be in [0, 1))`);
  });
}
