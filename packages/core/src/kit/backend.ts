import type { BackendMemory, DataId } from '../backend.js';
import type { KernelArgs, KernelAttrs, KernelName, KernelTable } from '../kernels.js';

/**
 * Turn a backend's own kernel table into core's `KernelTable`. A backend writes its kernels in
 * whatever form suits it (returning typed arrays, or taking a runtime first); `adapt` turns one of
 * them into core's form: a function of core's args returning one handle per output, adopted into
 * the backend's storage bookkeeping. Only the kernels present in `kernels` appear in the result.
 * (`adapt` makes one closure per kernel, so the call per kernel run is the backend's own.)
 *
 * @example
 * type MyKernel<A> = (args: KernelArgs<A>) => TypedArray[];
 * this.kernels = wrapKernels<MyKernel<unknown>>(MY_KERNELS, (run) => (args) => {
 *   const arrays = run(args);
 *   const ids: DataId[] = new Array(arrays.length);
 *   for (let i = 0; i < arrays.length; i++) ids[i] = this.adopt(arrays[i]);
 *   return ids;
 * });
 */
export function wrapKernels<K>(
  kernels: { readonly [N in KernelName]?: unknown },
  adapt: (kernel: K) => (args: KernelArgs<KernelAttrs[KernelName]>) => DataId[],
): KernelTable {
  const table: Record<string, (args: KernelArgs<KernelAttrs[KernelName]>) => DataId[]> = {};
  for (const [name, kernel] of Object.entries(kernels)) {
    if (kernel !== undefined) table[name] = adapt(kernel as K);
  }
  return table as KernelTable;
}

/**
 * The storage bookkeeping every backend repeats: the set of live handles and the bytes they hold,
 * which `Backend.memory()` reports. `add` when a handle is made (a write or a kernel output),
 * `remove` when it is freed, `clear` on dispose.
 *
 * @example
 * private readonly ledger = new HandleLedger<MyData>();
 * free(id) { if (isLive(id)) { this.ledger.remove(id, id.byteLength); release(id); } }
 * memory() { return this.ledger.memory(); }
 */
export class HandleLedger<H> {
  private readonly live = new Set<H>();
  private total = 0;

  /** Count `handle`, holding `bytes`, as live; returns it. */
  add(handle: H, bytes: number): H {
    this.live.add(handle);
    this.total += bytes;
    return handle;
  }

  /** Stop counting `handle` (which held `bytes`); does nothing for a handle that is not live. */
  remove(handle: H, bytes: number): void {
    if (this.live.delete(handle)) this.total -= bytes;
  }

  /** Whether `handle` is counted as live. */
  has(handle: H): boolean {
    return this.live.has(handle);
  }

  /** Live handles and the bytes they hold. */
  memory(): BackendMemory {
    return { handles: this.live.size, bytes: this.total };
  }

  /** Forget every live handle, first passing each to `release` (a backend's dispose). */
  clear(release?: (handle: H) => void): void {
    if (release) for (const h of this.live) release(h);
    this.live.clear();
    this.total = 0;
  }
}
