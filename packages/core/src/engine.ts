import type { Backend, DataId, OutputSpec } from './backend.js';
import { currentContext, isPromiseLike, runWithContext, Scope } from './context.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { checkKernelDTypes, type KernelAttrs, type KernelImpl, type KernelName } from './kernels.js';
import { assertShape, fmtShape, type Shape, sizeOf } from './shape.js';
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
 *
 * Every live tensor (parameters, optimizer state, anything not yet disposed) moves to the new
 * backend before the promise resolves, read asynchronously from its old backend: a WebGPU tensor
 * can only be read that way, so moving it lazily at its next op (a synchronous read) could fail.
 */
export async function use(backend: string | Backend | Promise<Backend>): Promise<Backend> {
  await switchBackend(backend);
  const target = active!;
  const pending = [...liveStorages].filter((st) => st.backend !== target);
  try {
    for (const st of pending) await st.moveToAsync(target);
  } catch (e) {
    const left = [...liveStorages].filter((st) => st.backend !== target).length;
    throw new Error(
      `use: switched to backend '${target.name}' but could not move ${left} live tensor storage(s) to it: ${(e as Error).message}`,
    );
  }
  return target;
}

async function switchBackend(backend: string | Backend | Promise<Backend>): Promise<void> {
  active = await resolveBackend(backend, 'use');
}

/**
 * A backend by registered name (started if it has not been, without making it active), or the
 * instance given (remembered as that name's instance if none was started yet).
 */
export async function resolveBackend(
  backend: string | Backend | Promise<Backend>,
  op = 'resolveBackend',
): Promise<Backend> {
  if (typeof backend === 'string') {
    const reg = registry.get(backend);
    if (!reg) {
      const known = registeredBackends();
      throw new Error(
        `${op}: no backend named '${backend}' is registered (registered: ${known.length ? known.join(', ') : 'none'}; import its package, e.g. @myelin/backend-${backend}, first)`,
      );
    }
    return instantiate(reg);
  }
  const b = await backend;
  const reg = registry.get(b.name);
  if (reg && !reg.instance) reg.instance = b;
  return b;
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

/** Every storage not yet freed, so that `use()` can move them all to the new backend. */
const liveStorages = new Set<Storage>();

/**
 * One backend handle shared by every tensor that views it (a reshape shares its input's storage).
 * Freed on the backend when the last holder releases it.
 */
export class Storage {
  refs = 1;
  /** Counted (user-visible) tensors viewing this storage: they move with it between backends. */
  tensors = 0;
  constructor(
    public backend: Backend,
    public dataId: DataId,
    readonly bytes: number,
  ) {
    const s = statsFor(backend.name);
    s.handles++;
    s.bytes += bytes;
    liveStorages.add(this);
  }

  /** Count (+1) or uncount (−1) a tensor viewing this storage, on the backend holding it now. */
  countTensor(delta: number): void {
    this.tensors += delta;
    statsFor(this.backend.name).tensors += delta;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0) return;
    const s = statsFor(this.backend.name);
    s.handles--;
    s.bytes -= this.bytes;
    liveStorages.delete(this);
    this.backend.free(this.dataId);
  }

  /**
   * Move the data to another backend in place, so every tensor sharing it follows. Needs a
   * synchronous read: `use()` moves every live tensor beforehand with `moveToAsync`, so this only
   * runs for a tensor copied elsewhere with `to()` and then used on the active backend.
   */
  moveTo(target: Backend, op = 'move'): void {
    if (target === this.backend) return;
    let values: TypedArray;
    try {
      if (this.backend.canReadSync === false) throw new Error('it reads asynchronously only');
      values = this.backend.readSync(this.dataId);
    } catch (e) {
      throw new Error(
        `${op}: an input lives on backend '${this.backend.name}' but the active backend is '${target.name}', and it cannot be moved with a synchronous read (${(e as Error).message}); move it first: \`await use(...)\` moves every live tensor to the backend it selects, \`await t.to(backend)\` copies one`,
      );
    }
    this.rehome(target, target.write(values, dtypeOfArray(values)));
  }

  /** Move the data to another backend with an asynchronous read (what `use()` does). */
  async moveToAsync(target: Backend): Promise<void> {
    // Freed while earlier moves were awaited (a garbage-collected tensor's safety net runs then).
    if (target === this.backend || this.refs <= 0) return;
    const from = this.backend;
    const values = await from.read(this.dataId);
    // Freed, or moved by someone else, while the read was in flight.
    if (this.refs <= 0 || this.backend !== from) return;
    this.rehome(target, target.write(values, dtypeOfArray(values)));
  }

  private rehome(target: Backend, dataId: DataId): void {
    const from = statsFor(this.backend.name);
    from.handles--;
    from.bytes -= this.bytes;
    from.tensors -= this.tensors;
    this.backend.free(this.dataId);
    const to = statsFor(target.name);
    to.handles++;
    to.bytes += this.bytes;
    to.tensors += this.tensors;
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
  t.storageRef().countTensor(1);
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

export function untrackTensor(t: Tensor, storage: Storage): void {
  storage.countTensor(-1);
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
// Size limits and attribute checks: once, before anything is allocated
// ---------------------------------------------------------------------------------------------

/**
 * The longest typed array the host makes (V8, SpiderMonkey and JavaScriptCore on 64-bit: 2^32
 * elements). Creation and random ops build their values on the host first, whatever the backend.
 */
export const HOST_MAX_ELEMENTS = 2 ** 32;

function fmtBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${Number(n.toPrecision(3))} ${units[i]}`;
}

/**
 * Check that a tensor of `shape` and `dtype` may be allocated on `backend` (the active one by
 * default), before allocating it: the shape is valid (non-negative safe integers, at most 2^53 − 1
 * elements) and within the backend's limit, and the host's when `host` (the values are built on
 * the host first). Throws an error naming the op, the shape and the limit.
 */
export function checkAlloc(
  op: string,
  shape: Shape,
  dtype: DType,
  backend = getBackend(),
  host = false,
): void {
  assertShape(op, shape);
  const n = sizeOf(shape);
  const limit = backend.maxElements?.(dtype) ?? Infinity;
  if (n > limit) {
    throw new RangeError(
      `${op}: shape ${fmtShape(shape)} holds ${n} ${dtype} elements (${fmtBytes(n * bytesPerElement(dtype))}), more than backend '${backend.name}' can hold in one tensor: ${limit} elements${backend.limitNote ? ` (${backend.limitNote})` : ''}`,
    );
  }
  if (host && n > HOST_MAX_ELEMENTS) {
    throw new RangeError(
      `${op}: shape ${fmtShape(shape)} holds ${n} elements, more than a JavaScript typed array can hold (${HOST_MAX_ELEMENTS})`,
    );
  }
}

/**
 * Kernel attributes that are integers (sizes, axes, indices, strides, pads, counts). Every op that
 * takes integer arguments ends in a kernel call, so checking them here catches a NaN or 1.5 that
 * an op's own validation missed before it reaches a kernel's index arithmetic.
 */
const INTEGER_ATTRS = new Set([
  'axes',
  'axis',
  'perm',
  'begin',
  'step',
  'pads',
  'reps',
  'k',
  'kernel',
  'stride',
  'pad',
  'dilation',
  'groups',
  'size',
]);

function checkAttrs(name: string, attrs: object): void {
  for (const [key, v] of Object.entries(attrs)) {
    if (!INTEGER_ATTRS.has(key)) continue;
    const list: readonly unknown[] = Array.isArray(v) ? v : [v];
    for (const x of list) {
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
        throw new RangeError(
          `${name}: attribute '${key}' must hold integers, got ${Array.isArray(v) ? `[${v.map(String).join(',')}]` : String(v)}`,
        );
      }
    }
  }
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
  checkAttrs(name, attrs);
  checkKernelDTypes(
    name,
    inputs.map((t) => t.dtype),
  );
  for (const o of outputs) {
    if (!backend.supports(o.dtype))
      throw new TypeError(`${name}: backend '${backend.name}' does not support dtype ${o.dtype}`);
    checkAlloc(name, o.shape, o.dtype, backend);
  }
  const infos = inputs.map((t) => {
    const st = t.storageRef(name);
    if (st.backend !== backend) st.moveTo(backend, name);
    return { dataId: st.dataId, shape: t.shape, dtype: t.dtype };
  });
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
  checkAlloc(op, shape, dtype, backend);
  if (sizeOf(shape) !== values.length) {
    throw new RangeError(`${op}: ${values.length} values cannot fill shape ${fmtShape(shape)}`);
  }
  const id = backend.write(values, dtype);
  return Tensor.fromStorage(
    new Storage(backend, id, values.length * bytesPerElement(dtype)),
    shape,
    dtype,
    op,
  );
}

export { Scope };
