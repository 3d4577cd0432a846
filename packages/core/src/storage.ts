import type { Backend, DataId } from './backend.js';
import { currentContext } from './context.js';
import type { DType, TypedArray } from './dtype.js';
import { fmtShape, type Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/*
 * Storage and tensor tracking: the reference-counted backend handles every tensor views, the
 * counters behind memory(), the live set that use() moves between backends, debug mode and the
 * FinalizationRegistry safety net. A leaf module: it knows tensors only as a type, so tensor.ts,
 * engine.ts and autograd.ts all build on it without importing each other in a loop.
 */

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
export const liveStorages = new Set<Storage>();

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

/** Hand a tensor that left scope management to the FinalizationRegistry safety net. */
export function arm(t: Tensor): void {
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
