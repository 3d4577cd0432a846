/**
 * Read-ahead over an async iterator: a pump pulls up to `capacity` values from the source before
 * they are asked for, so the next element is being made while the consumer works on this one.
 *
 * JavaScript runs one thing at a time, so what overlaps is the waiting: file reads, decompression
 * streams, timers, a GPU finishing its queue — not two pieces of synchronous CPU work.
 *
 * The pump starts on the first `next()` and runs in that call's async context: with core's scopes
 * (carried by AsyncLocalStorage), tensors it makes belong to the scope around the consuming loop,
 * exactly as if the consumer had made them.
 */
type Slot<T> = { ok: true; result: IteratorResult<T> } | { ok: false; error: unknown };

export class ReadAhead<T> implements AsyncIterableIterator<T> {
  private readonly queue: Slot<T>[] = [];
  private readonly waiters: ((slot: Slot<T>) => void)[] = [];
  private room: (() => void) | null = null;
  private pumping: Promise<void> | null = null;
  private sourceDone = false;
  private stopped = false;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly capacity: number,
    private readonly drop: (value: T) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`prefetch: buffer size must be a positive integer, got ${capacity}`);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.stopped) return Promise.resolve({ done: true, value: undefined });
    this.pumping ??= this.pump();
    const slot = this.queue.shift();
    this.wakePump();
    if (slot) return settle(slot);
    if (this.sourceDone) return Promise.resolve({ done: true, value: undefined });
    return new Promise<Slot<T>>((resolve) => {
      this.waiters.push(resolve);
    }).then(settle);
  }

  /** Stop early: wait for the value being made, drop everything read ahead, close the source. */
  async return(): Promise<IteratorResult<T>> {
    if (!this.stopped) {
      this.stopped = true;
      this.wakePump();
      for (const w of this.waiters.splice(0)) w({ ok: true, result: { done: true, value: undefined } });
      await this.pumping;
      for (const slot of this.queue.splice(0)) {
        if (slot.ok && !slot.result.done) this.drop(slot.result.value);
      }
      if (!this.sourceDone) await this.source.return?.();
    }
    return { done: true, value: undefined };
  }

  private wakePump(): void {
    const r = this.room;
    this.room = null;
    r?.();
  }

  private async pump(): Promise<void> {
    while (!this.stopped && !this.sourceDone) {
      if (this.queue.length >= this.capacity) {
        await new Promise<void>((resolve) => {
          this.room = resolve;
        });
        continue;
      }
      let slot: Slot<T>;
      try {
        const result = await this.source.next();
        if (result.done) this.sourceDone = true;
        slot = { ok: true, result };
      } catch (error) {
        this.sourceDone = true;
        slot = { ok: false, error };
      }
      if (this.stopped) {
        if (slot.ok && !slot.result.done) this.drop(slot.result.value);
        return;
      }
      const w = this.waiters.shift();
      if (w) w(slot);
      else this.queue.push(slot);
    }
    // The source has ended: callers still waiting (concurrent next() calls) get `done`.
    if (!this.stopped)
      for (const w of this.waiters.splice(0)) w({ ok: true, result: { done: true, value: undefined } });
  }
}

function settle<T>(slot: Slot<T>): Promise<IteratorResult<T>> {
  return slot.ok ? Promise.resolve(slot.result) : Promise.reject(slot.error);
}
