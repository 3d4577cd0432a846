/**
 * A size-class free-list allocator over a `WebAssembly.Memory`.
 *
 * Every block is 64-byte aligned (a cache line, and v128 loads never straddle one) and carries at
 * least 16 bytes of slack after the requested size, so SIMD kernels may over-read the tail of an
 * operand. Sizes round up to a class: multiples of 64 bytes up to 4 KiB, then four classes per
 * power of two (2^k · 1, 1.25, 1.5, 1.75), so at most 25% is wasted. A freed block goes on its
 * class's stack and the next request of that class takes it back (last in, first out keeps
 * recently used memory in cache). Blocks are never split or merged: a training loop allocates the
 * same sizes every step, so after the first step every request is served from a free list and
 * the memory stops growing. New blocks come from a bump pointer; past the end of the memory, the
 * memory grows by at least 1/8 of its size (fewer, larger grows).
 */
export class Allocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Bytes in blocks handed out and not yet returned (class sizes). */
  inUse = 0;
  /** Incremented on every growth of the memory, so views over it can be re-created. */
  generation = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxPages: number,
  ) {
    this.top = align(base);
  }

  /** The class size that serves a request of `bytes` (> 0). */
  static classSize(bytes: number): number {
    const need = align(bytes + 16);
    if (need <= 4096) return need;
    const shift = 31 - Math.clz32(need);
    const quarter = 2 ** (shift - 2);
    return Math.ceil(need / quarter) * quarter;
  }

  /** A block of at least `bytes` bytes (> 0); returns its address and class size. */
  alloc(bytes: number): [ptr: number, size: number] {
    const size = Allocator.classSize(bytes);
    const list = this.freeLists.get(size);
    if (list !== undefined && list.length > 0) {
      this.inUse += size;
      return [list.pop()!, size];
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.grow(end - have);
    this.top = end;
    this.inUse += size;
    return [ptr, size];
  }

  /** Return a block obtained from `alloc` with its class size. */
  free(ptr: number, size: number): void {
    let list = this.freeLists.get(size);
    if (list === undefined) this.freeLists.set(size, (list = []));
    list.push(ptr);
    this.inUse -= size;
  }

  private grow(bytes: number): void {
    const pages = this.memory.buffer.byteLength / 65536;
    const need = Math.ceil(bytes / 65536);
    const want = Math.max(need, Math.ceil(pages / 8));
    const room = this.maxPages - pages;
    if (need > room) {
      throw new RangeError(
        `wasm backend: out of memory: ${this.inUse} bytes in use, ${bytes} more needed, ` +
          `and the memory is at its maximum of ${this.maxPages * 64} KiB`,
      );
    }
    this.memory.grow(Math.min(want, room));
    this.generation++;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
