/**
 * GPU buffers recycled by size class and usage. Creating and destroying buffers is expensive on
 * every WebGPU implementation, and a training step frees and allocates the same sizes over and
 * over, so a freed buffer waits in a bucket until a request of its class comes back.
 *
 * Size classes are powers of two from 256 bytes, then steps of a quarter of a power of two above
 * 1 MiB, so a reused buffer wastes at most half (small) or a fifth (large) of its bytes.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Bytes in buffers handed out and in buckets. */
  allocatedBytes = 0;
  pooledBytes = 0;
  created = 0;
  reused = 0;

  constructor(private readonly device: GPUDevice) {}

  static sizeClass(bytes: number): number {
    const n = Math.max(bytes, 256);
    const p = 2 ** Math.ceil(Math.log2(n));
    if (p <= 1 << 20) return p;
    const q = p / 8;
    return Math.ceil(n / q) * q;
  }

  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    const bucket = this.free.get(`${size}:${usage}`);
    const buf = bucket?.pop();
    if (buf) {
      this.reused++;
      this.pooledBytes -= size;
      return buf;
    }
    this.created++;
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage });
  }

  release(buf: GPUBuffer): void {
    const key = `${buf.size}:${buf.usage}`;
    let bucket = this.free.get(key);
    if (!bucket) this.free.set(key, (bucket = []));
    bucket.push(buf);
    this.pooledBytes += buf.size;
  }

  /** Destroy every pooled buffer (the ones handed out stay alive). */
  trim(): void {
    for (const bucket of this.free.values()) {
      for (const b of bucket) {
        this.allocatedBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
    this.pooledBytes = 0;
  }
}
