import type { Backend, DataId, OutputSpec } from './backend.js';
import { currentContext, isPromiseLike, runWithContext, Scope } from './context.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import type { KernelAttrs, KernelImpl, KernelName } from './kernels.js';
import { fmtShape, type Shape, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

// ---------------------------------------------------------------------------------------------
// Backend registry
// ---------------------------------------------------------------------------------------------

type BackendFactory = () => Backend | Promise<Backend>;

interface Registration {
  name: string;
  factory: BackendFactory;
  priority: number;
  instance: Backend | null;
}

const registry = new Map<string, Registration>();
let active: Backend | null = null;

/**
 * Make a backend available by name. Backend packages call this when imported; the registered
 * backend with the highest priority becomes the default when none was chosen with `use`.
 */
export function registerBackend(
  name: string,
  factory: BackendFactory,
  options: { priority?: number } = {},
): void {
  registry.set(name, { name, factory, priority: options.priority ?? 0, instance: null });
}

export function registeredBackends(): string[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority).map((r) => r.name);
}

async function instantiate(reg: Registration): Promise<Backend> {
  if (!reg.instance) reg.instance = await reg.factory();
  return reg.instance;
}

/**
 * Choose the backend that new tensors and ops use: a registered name, or a backend instance.
 * `await use('cpu')`, `await use(cpuBackend())`.
 */
export async function use(backend: string | Backend | Promise<Backend>): Promise<Backend> {
  if (typeof backend === 'string') {
    const reg = registry.get(backend);
    if (!reg) {
      const known = registeredBackends();
      throw new Error(
        `use: no backend named '${backend}' is registered (registered: ${known.length ? known.join(', ') : 'none'}; import its package, e.g. @myelin/backend-${backend}, first)`,
      );
    }
    active = await instantiate(reg);
  } else {
    active = await backend;
    const reg = registry.get(active.name);
    if (reg && !reg.instance) reg.instance = active;
  }
  return active;
}

/** The active backend; instantiates the best registered one if none was chosen and it can start synchronously. */
export function getBackend(): Backend {
  if (active) return active;
  for (const name of registeredBackends()) {
    const reg = registry.get(name)!;
    if (reg.instance) return (active = reg.instance);
    const made = reg.factory();
    if (!isPromiseLike(made)) {
      reg.instance = made;
      return (active = made);
    }
  }
  throw new Error(
    'myelin: no backend is initialised: import a backend package (e.g. `import "@myelin/backend-cpu"`) or call `await use(cpuBackend())` first',
  );
}

/** Start the best available backend, including ones that initialise asynchronously (wasm, webgpu). */
export async function ready(): Promise<Backend> {
  if (active) return active;
  const errors: string[] = [];
  for (const name of registeredBackends()) {
    try {
      return (active = await instantiate(registry.get(name)!));
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`myelin: no backend could start${errors.length ? ` (${errors.join('; ')})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Storage: reference-counted handles, and the counters behind memory()
// ---------------------------------------------------------------------------------------------

interface BackendStats {
  tensors: number;
  handles: number;
  bytes: number;
}
const stats = new Map<string, BackendStats>();
function statsFor(name: string): BackendStats {
  let s = stats.get(name);
  if (!s) stats.set(name, (s = { tensors: 0, handles: 0, bytes: 0 }));
  return s;
}

/**
 * One backend handle shared by every tensor that views it (a reshape shares its input's storage).
 * Freed on the backend when the last holder releases it.
 */
export class Storage {
  refs = 1;
  constructor(
    public backend: Backend,
    public dataId: DataId,
    readonly bytes: number,
  ) {
    const s = statsFor(backend.name);
    s.handles++;
    s.bytes += bytes;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0) return;
    const s = statsFor(this.backend.name);
    s.handles--;
    s.bytes -= this.bytes;
    this.backend.free(this.dataId);
  }

  /** Move the data to another backend in place, so every tensor sharing it follows. */
  moveTo(target: Backend): void {
    if (target === this.backend) return;
    const values = this.backend.readSync(this.dataId);
    const dataId = target.write(values, dtypeOfArray(values));
    const from = statsFor(this.backend.name);
    from.handles--;
    from.bytes -= this.bytes;
    this.backend.free(this.dataId);
    const to = statsFor(target.name);
    to.handles++;
    to.bytes += this.bytes;
    this.backend = target;
    this.dataId = dataId;
  }
}

function dtypeOfArray(a: TypedArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'bool';
}

export interface MemoryInfo {
  /** Live tensors (not disposed and not yet garbage-collected). */
  tensors: number;
  /** Live storage handles; fewer than tensors when tensors share storage (reshape). */
  handles: number;
  bytes: number;
  backends: Record<string, BackendStats>;
}

/** Tensors, handles and bytes alive now, in total and per backend. */
export function memory(): MemoryInfo {
  const backends: Record<string, BackendStats> = {};
  let tensors = 0;
  let handles = 0;
  let bytes = 0;
  for (const [name, s] of stats) {
    backends[name] = { ...s };
    tensors += s.tensors;
    handles += s.handles;
    bytes += s.bytes;
  }
  return { tensors, handles, bytes, backends };
}

export function countTensor(backend: Backend, delta: number): void {
  statsFor(backend.name).tensors += delta;
}

// ---------------------------------------------------------------------------------------------
// Debug mode and the FinalizationRegistry safety net
// ---------------------------------------------------------------------------------------------

let debug = false;
export interface LeakInfo {
  id: number;
  shape: Shape;
  dtype: DType;
  op: string;
  stack?: string;
}
const live = new Map<number, { ref: WeakRef<Tensor>; info: LeakInfo }>();
let onLeak: (info: LeakInfo) => void = (info) => {
  console.warn(
    `myelin: tensor #${info.id} ${fmtShape(info.shape)} ${info.dtype} created by ${info.op} was garbage-collected without dispose()${info.stack ? `\n${info.stack}` : ''}`,
  );
};

/** In debug mode every tensor records the op that made it, and leaks are reported with it. */
export function setDebug(on: boolean, options: { onLeak?: (info: LeakInfo) => void } = {}): void {
  debug = on;
  if (options.onLeak) onLeak = options.onLeak;
  if (!on) live.clear();
}

/** In debug mode: the tensors alive now, with the op that created each. */
export function liveTensors(): LeakInfo[] {
  const out: LeakInfo[] = [];
  for (const { ref, info } of live.values()) if (ref.deref()) out.push(info);
  return out;
}

export interface Token {
  storage: Storage;
  release: () => void;
  info: LeakInfo | null;
}
const finalizer = new FinalizationRegistry<Token>((token) => {
  if (token.info) {
    live.delete(token.info.id);
    onLeak(token.info);
  }
  token.release();
});

/**
 * Called by Tensor's constructor: counts it and files it in the current scope. A tensor outside
 * any scope gets the safety net at once; a scoped tensor only when it leaves scope management
 * (returned from an outermost scope, or `keep`), since its scope frees it otherwise: registering
 * every short-lived tensor with the FinalizationRegistry would cost more than the op.
 */
export function trackTensor(t: Tensor, op: string, release: () => void): void {
  countTensor(t.storageRef().backend, 1);
  let info: LeakInfo | null = null;
  if (debug) {
    info = {
      id: t.id,
      shape: t.shape,
      dtype: t.dtype,
      op,
      stack: new Error().stack?.split('\n').slice(3).join('\n'),
    };
    live.set(t.id, { ref: new WeakRef(t), info });
  }
  t.gcRelease = { storage: t.storageRef(), release, info };
  const scope = currentContext().scope;
  if (scope) {
    scope.tracked.add(t);
    t.ownerScope = scope;
  }
  // Debug mode watches every tensor, so leaks are reported even for scoped ones kept by mistake.
  if (!scope || debug) arm(t);
}

function arm(t: Tensor): void {
  if (t.gcArmed || !t.gcRelease) return;
  t.gcArmed = true;
  finalizer.register(t, t.gcRelease, t);
}

export function untrackTensor(t: Tensor, backend: Backend): void {
  countTensor(backend, -1);
  if (t.gcArmed) finalizer.unregister(t);
  t.gcArmed = false;
  if (debug) live.delete(t.id);
  t.ownerScope?.tracked.delete(t);
  t.ownerScope = null;
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

/**
 * Run `fn` and dispose every tensor it created, except those it returns (found in arrays, plain
 * objects and Maps of the result). Works for async functions: the scope stays open until the promise
 * settles and keeps owning what is allocated after each `await`.
 */
export function scope<T>(fn: () => T): T {
  const ctx = currentContext();
  const s = new Scope(ctx.scope);
  let result: T;
  try {
    result = runWithContext({ scope: s, gradEnabled: ctx.gradEnabled }, fn);
  } catch (e) {
    closeScope(s, undefined);
    throw e;
  }
  if (isPromiseLike(result)) {
    return (result as unknown as Promise<unknown>).then(
      (v) => {
        closeScope(s, v);
        return v;
      },
      (e) => {
        closeScope(s, undefined);
        throw e;
      },
    ) as unknown as T;
  }
  closeScope(s, result);
  return result;
}

function closeScope(s: Scope, result: unknown): void {
  const kept = new Set<Tensor>();
  collectTensors(result, kept, 0);
  for (const t of s.tracked) {
    if (kept.has(t)) {
      t.ownerScope = s.parent;
      if (s.parent) s.parent.tracked.add(t);
      else arm(t);
    } else {
      t.dispose();
    }
  }
  s.tracked.clear();
}

function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

/** Take tensors out of scope management: no enclosing scope will dispose them. Returns its argument. */
export function keep<T>(value: T): T {
  const found = new Set<Tensor>();
  collectTensors(value, found, 0);
  for (const t of found) {
    t.ownerScope?.tracked.delete(t);
    t.ownerScope = null;
    arm(t);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Kernel execution (no autograd here: see autograd.ts)
// ---------------------------------------------------------------------------------------------

/** Run one kernel on the active backend and wrap its outputs as tensors. */
export function execute<K extends KernelName>(
  name: K,
  inputs: readonly Tensor[],
  attrs: KernelAttrs[K],
  outputs: readonly OutputSpec[],
): Tensor[] {
  const backend = getBackend();
  const impl = backend.kernels[name] as KernelImpl<KernelAttrs[K]> | undefined;
  if (!impl) {
    throw new Error(`kernel '${name}' is not implemented by backend '${backend.name}'`);
  }
  const infos = inputs.map((t) => {
    const st = t.storageRef(name);
    if (st.backend !== backend) st.moveTo(backend);
    return { dataId: st.dataId, shape: t.shape, dtype: t.dtype };
  });
  for (const o of outputs) {
    if (!backend.supports(o.dtype))
      throw new TypeError(`${name}: backend '${backend.name}' does not support dtype ${o.dtype}`);
  }
  const ids = impl({ inputs: infos, attrs, outputs });
  return outputs.map((o, i) =>
    Tensor.fromStorage(
      new Storage(backend, ids[i]!, sizeOf(o.shape) * bytesPerElement(o.dtype)),
      o.shape,
      o.dtype,
      name,
    ),
  );
}

/** Upload host values as a new tensor on the active backend. */
export function fromValues(values: TypedArray, shape: Shape, dtype: DType, op = 'tensor'): Tensor {
  const backend = getBackend();
  const id = backend.write(values, dtype);
  return Tensor.fromStorage(
    new Storage(backend, id, values.length * bytesPerElement(dtype)),
    shape,
    dtype,
    op,
  );
}

export { Scope };
