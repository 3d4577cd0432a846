import type { Backend } from './backend.js';
import { isPromiseLike } from './context.js';
import { bytesPerElement, type DType } from './dtype.js';
import { assertShape, fmtShape, type Shape, sizeOf } from './shape.js';
import { liveStorages } from './storage.js';

/*
 * The backend registry (`registerBackend`, `use`, `getBackend`) and the size checks made before
 * anything is allocated. Knows nothing of tensors: it moves storages (storage.ts).
 */

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
