import type { Backend } from './backend.js';
import { currentContext } from './context.js';
import type { DType } from './dtype.js';
import { keep, resolveBackend, scope } from './engine.js';
import { fmtShape, shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * A tensor whose value can be replaced in place (`assign`): the state of a model or an optimizer.
 * Variables are never disposed by scopes; dispose them (or their Module) explicitly.
 */
export class Variable extends Tensor {
  constructor(init: Tensor, options: { requiresGrad?: boolean } = {}) {
    const st = init.storageRef('Variable');
    st.retain();
    super(st, Object.freeze([...init.shape]), init.dtype, 'Variable', false);
    keep(this);
    if (options.requiresGrad) this.requiresGrad = true;
  }

  /** Replace the value (same shape and dtype); graphs already recorded keep the old value. */
  assign(value: Tensor): this {
    if (!shapesEqual(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new RangeError(
        `assign: value has shape ${fmtShape(value.shape)} ${value.dtype} but the variable is ${fmtShape(this.shape)} ${this.dtype}`,
      );
    }
    this.replaceStorage(value, 'assign');
    return this;
  }
}

/** A trainable tensor of a Module: a Variable that requires grad (float32). */
export class Parameter extends Variable {
  constructor(init: Tensor, options: { requiresGrad?: boolean } = {}) {
    super(init, { requiresGrad: options.requiresGrad ?? true });
  }
}

/** A leaf tensor that requires grad, for `backward()` outside of modules. */
export function variable(init: Tensor, options: { requiresGrad?: boolean; dtype?: DType } = {}): Variable {
  return new Variable(init, { requiresGrad: options.requiresGrad ?? true });
}

/**
 * The base of layers and models. A subclass defines `forward` with whatever signature it needs
 * (`forward(x: Tensor): Tensor` for layers that go in a Sequential; an LSTM returns a tuple), and
 * `Module`'s type knows it has one: `model.forward(x)` type-checks on any `Module` (returning `any`,
 * narrowed by the subclass's own signature wherever the subclass is known), so generic code such as
 * `fit` needs no casts.
 *
 * Called outside any `scope()`, a module's `forward` runs in a scope of its own: the temporaries it
 * makes are freed when it returns, and only the tensors it returns (directly, or inside arrays,
 * Maps and plain objects) survive, as with core's ops, so nothing is left to the garbage
 * collector. Inside a scope nothing changes: temporaries belong to the enclosing scope, so hooks
 * that capture an intermediate activation keep it until that scope closes.
 *
 * Parameters, buffers (non-trainable Variables such as running statistics) and child modules are
 * found from the instance's own properties, in the order they were assigned; arrays and Maps of
 * modules are walked too. Names are PyTorch's dotted paths (`features.0.weight`), so state dicts
 * line up with PyTorch's.
 */
export abstract class Module {
  /**
   * The forward pass, as the subclass declares it. (Typed as an index signature so a subclass
   * declares `forward` with its own parameters and result without an `override` modifier; names
   * beginning with `forward` are for methods.) A module without one (a container such as
   * `ModuleList`) has none at run time.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each subclass narrows the signature
  [forward: `forward${string}`]: (...args: any[]) => any;

  training = true;

  constructor() {
    scopeForwards(this);
  }

  /** Direct children by name (arrays and Maps of modules give `name.0`, `name.key`). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v)) {
        v.forEach((m, i) => {
          if (m instanceof Module) out.push([`${k}.${i}`, m]);
        });
      } else if (v instanceof Map)
        for (const [mk, m] of v) if (m instanceof Module) out.push([`${k}.${String(mk)}`, m]);
    }
    return out;
  }

  /** Every module in the tree, this one first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  private ownVariables(): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [k, v] of Object.entries(this)) if (v instanceof Variable) out.push([k, v]);
    return out;
  }

  /**
   * Trainable parameters with dotted names. A parameter reachable by several paths (tied weights,
   * a module held twice) is listed once, under its first path, as PyTorch's `named_parameters`.
   */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Variable>();
    return this.namedVariables(true).filter(([, p]) => !seen.has(p) && !!seen.add(p)) as [
      string,
      Parameter,
    ][];
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Non-trainable state (running statistics…) with dotted names, each listed once. */
  namedBuffers(): [string, Variable][] {
    const seen = new Set<Variable>();
    return this.namedVariables(false).filter(([, b]) => !seen.has(b) && !!seen.add(b));
  }

  /** Every path to a parameter (params = true) or buffer, module by module. */
  private namedVariables(params: boolean): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, v] of m.ownVariables()) {
        if (v instanceof Parameter === params) out.push([prefix ? `${prefix}.${k}` : k, v]);
      }
    }
    return out;
  }

  /** Training mode (dropout active, batch statistics) for this module and its children. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Parameters and buffers by dotted name, module by module (each module's parameters, then its
   * buffers), every path included — PyTorch's state_dict order. The tensors are the live variables.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules()) {
      const own = m.ownVariables();
      for (const [k, v] of [
        ...own.filter(([, v]) => v instanceof Parameter),
        ...own.filter(([, v]) => !(v instanceof Parameter)),
      ]) {
        out[prefix ? `${prefix}.${k}` : k] = v;
      }
    }
    return out;
  }

  /**
   * Copy values in by dotted name. With `strict` (default) missing or unexpected names and any shape
   * mismatch throw, listing them all.
   */
  loadStateDict(
    state: Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !(k in own));
    const mismatched = Object.keys(own)
      .filter((k) => k in state && !shapesEqual(own[k]!.shape, state[k]!.shape))
      .map((k) => `${k}: expected ${fmtShape(own[k]!.shape)}, got ${fmtShape(state[k]!.shape)}`);
    if (mismatched.length || (strict && (missing.length || unexpected.length))) {
      const parts = [
        missing.length ? `missing: ${missing.join(', ')}` : '',
        unexpected.length ? `unexpected: ${unexpected.join(', ')}` : '',
        mismatched.length ? `shape mismatch: ${mismatched.join('; ')}` : '',
      ].filter(Boolean);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [k, v] of Object.entries(own)) {
      const src = state[k];
      if (src) (v as Variable).assign(src.dtype === v.dtype ? src : src.cast(v.dtype));
    }
    return { missing, unexpected };
  }

  /** Clear `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /**
   * Move every parameter, gradient and buffer of this module to another backend in place (by
   * instance or registered name), as PyTorch's `model.to(device)`; resolves with the module. Reads
   * asynchronously, so a model can leave WebGPU; tensors that share storage move together, and
   * `memory()` counts them on the new backend afterwards. Ops run on the active backend (`use`),
   * so move the model to the backend you `use`: `await use('wasm'); await model.to('wasm')`.
   */
  async to(backend: Backend | string): Promise<this> {
    const target = await resolveBackend(backend, 'Module.to');
    const tensors: Tensor[] = [];
    for (const p of this.parameters()) {
      tensors.push(p);
      if (p.grad) tensors.push(p.grad);
    }
    for (const [, b] of this.namedBuffers()) tensors.push(b);
    for (const t of tensors) await t.storageRef('Module.to').moveToAsync(target);
    return this;
  }

  /** Free every parameter and buffer. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}

/** Prototypes whose `forward` (if any) is already wrapped, with all their ancestors'. */
const scopedPrototypes = new WeakSet<object>();

/**
 * Wrap the `forward` method of every class between `module`'s own and `Module`, once per class:
 * the wrapper runs the method in a `scope()` keeping only what it returns (and the tensors it left
 * in its array and plain-object arguments) when no scope encloses the call, and calls it straight
 * through otherwise (one context lookup per call). Instances get
 * no own properties; a class without a `forward` keeps having none.
 */
function scopeForwards(module: Module): void {
  let proto: object | null = Object.getPrototypeOf(module);
  while (proto !== null && proto !== Module.prototype && !scopedPrototypes.has(proto)) {
    scopedPrototypes.add(proto);
    const own = Object.getOwnPropertyDescriptor(proto, 'forward');
    if (own && typeof own.value === 'function') {
      const run = own.value as (...args: unknown[]) => unknown;
      const forward = function forward(this: Module, ...args: unknown[]): unknown {
        if (currentContext().scope !== null) return run.apply(this, args);
        // What the call returns survives, and so does what it put into its arguments: tensors
        // pushed onto an array or set on a plain object the caller passed in (an attention-weights
        // sink, a cache) are outputs too.
        return scope(() => [run.apply(this, args), args] as const)[0];
      };
      Object.defineProperty(proto, 'forward', { ...own, value: forward });
    }
    proto = Object.getPrototypeOf(proto);
  }
}
