import type { OutputSpec } from './backend.js';
import { currentContext, isPromiseLike, runWithContext, Scope } from './context.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { checkKernelDTypes, type KernelAttrs, type KernelImpl, type KernelName } from './kernels.js';
import { checkAlloc, getBackend } from './registry.js';
import { fmtShape, type Shape, sizeOf } from './shape.js';
import { arm, Storage } from './storage.js';
import { Tensor } from './tensor.js';

/*
 * The engine: memory scopes and kernel execution. The backend registry lives in registry.ts and
 * storage and tensor tracking in storage.ts; both are re-exported here, where the rest of core and
 * module.ts import them from.
 */

export {
  checkAlloc,
  getBackend,
  HOST_MAX_ELEMENTS,
  ready,
  registerBackend,
  registeredBackends,
  resolveBackend,
  use,
} from './registry.js';
export {
  type LeakInfo,
  liveTensors,
  type MemoryInfo,
  memory,
  Storage,
  setDebug,
  type Token,
  trackTensor,
  untrackTensor,
} from './storage.js';

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
