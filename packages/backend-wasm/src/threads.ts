/**
 * A pool of workers that share the kernels' `WebAssembly.Memory`: `worker_threads` in Node, Web
 * Workers in browsers. Each worker instantiates the same threaded module over the same memory, so
 * a job is just a function name and the address of its args block; no data is ever copied.
 *
 * Protocol, through a 128-byte control block in the shared memory (two cache lines):
 *   [0] generation — the host bumps it to start a job; idle workers `Atomics.wait` on it
 *   [1] job index, [2] args address, [3] threads taking part, [4] quit flag
 *   [16] job state — bits 17-31 the job's generation (mod 2^15), bit 16 "closed", bits 0-15 the
 *        workers inside the job
 * A worker that wakes for a job enters it (a compare-and-swap adding 1 to the state, only while
 * the state carries that job's generation and is not closed), runs its share and leaves
 * (subtracting 1). The host runs share 0 itself, then closes the job and waits only for the
 * workers inside it: `Atomics.wait` where the thread may block (Node's main thread, workers), a
 * spin on `Atomics.load` where it may not (a browser's main thread). Every job splits its work
 * into tasks claimed from a counter, so once the host's share returns every task is claimed, and
 * a worker that wakes too late (asleep, or its core busy with other work) has nothing to do: the
 * host does not wait for it to be scheduled. Workers spin briefly before sleeping, since kernels
 * come in bursts.
 */

/** Exported thread jobs, by index. Each is `job(args, tid, nt)`. */
export const JOBS = [
  'jobMatmul',
  'jobConvForward',
  'jobConvInput',
  'jobConvFilter',
  'jobMaxPool',
  'jobAvgPool',
  'jobMaxPoolGrad',
  'jobAvgPoolGrad',
  'jobBinary',
  'jobUnary',
  'jobConvWinograd',
  'jobConvWinogradFilter',
  'jobRnnCell',
  'jobSparse',
  'jobAttention',
] as const;
export type JobName = (typeof JOBS)[number];

const GEN = 0;
const JOB = 1;
const ARGS = 2;
const NT = 3;
const QUIT = 4;
const STATE = 16;
/** State bit: the host has finished its share; no worker may enter any more. */
const CLOSED = 1 << 16;
/** State bits below the generation: the closed bit and the count of workers inside. */
const LOW = (1 << 17) - 1;
/** Bytes of the control block. */
export const CONTROL_BYTES = 128;

/** The worker's source: plain JS that runs as a Node `eval` worker or a Blob-URL Web Worker. */
const WORKER_SOURCE = `
'use strict';
const JOBS = ${JSON.stringify(JOBS)};
function start(data, post) {
  const { module, memory, ctrl, tid } = data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fns = JOBS.map((name) => instance.exports[name]);
  const i32 = new Int32Array(memory.buffer, ctrl, 32);
  post('ready');
  let gen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(i32, ${GEN}) === gen && spins < 4000) spins++;
    if (Atomics.load(i32, ${GEN}) === gen) Atomics.wait(i32, ${GEN}, gen);
    const now = Atomics.load(i32, ${GEN});
    if (now === gen) continue;
    gen = now;
    if (Atomics.load(i32, ${QUIT}) !== 0) break;
    const tag = (gen & 0x7fff) << 17;
    let s = Atomics.load(i32, ${STATE});
    let entered = false;
    while ((s & ~${LOW}) === tag && (s & ${CLOSED}) === 0) {
      const prev = Atomics.compareExchange(i32, ${STATE}, s, s + 1);
      if (prev === s) {
        entered = true;
        break;
      }
      s = prev;
    }
    if (!entered) continue;
    const nt = Atomics.load(i32, ${NT});
    if (tid < nt) fns[Atomics.load(i32, ${JOB})](Atomics.load(i32, ${ARGS}), tid, nt);
    if (((Atomics.sub(i32, ${STATE}, 1) - 1) & 0xffff) === 0) Atomics.notify(i32, ${STATE});
  }
}
if (typeof require === 'function' && typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, (m) => parentPort.postMessage(m));
} else {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
`;

interface NodeWorker {
  on(event: 'message' | 'error', fn: (v: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
type NodeWorkerCtor = new (code: string, options: { eval: true; workerData: unknown }) => NodeWorker;

interface NodeProcess {
  getBuiltinModule?: (name: string) => unknown;
}

function nodeModule<T>(name: string): T | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return (proc?.getBuiltinModule?.(name) as T | undefined) ?? null;
}

/** Number of hardware threads: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers. */
export function defaultThreads(): number {
  const os = nodeModule<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** Whether this environment can run the threaded module: shared memory and workers. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (nodeModule('node:worker_threads')) return true;
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean };
  return typeof g.Worker === 'function' && g.crossOriginIsolated !== false;
}

/** Whether this thread may block in `Atomics.wait` (not on a browser's main thread). */
function canBlock(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, QUIT + 1, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class ThreadPool {
  private readonly i32: Int32Array;
  private readonly block: boolean;
  private disposed = false;
  /** Jobs run on the pool so far (a statistic, e.g. for tests). */
  jobs = 0;

  private constructor(
    private readonly workers: { terminate(): unknown }[],
    memory: WebAssembly.Memory,
    ctrl: number,
    private readonly runLocal: (job: number, args: number, nt: number) => void,
  ) {
    this.i32 = new Int32Array(memory.buffer, ctrl, CONTROL_BYTES / 4);
    this.block = canBlock(this.i32);
  }

  /** Threads taking part in a job: the workers plus the calling thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Start `count` workers over `memory` (shared) and wait until each has instantiated the module. */
  static async create(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    ctrl: number,
    count: number,
    runLocal: (job: number, args: number, nt: number) => void,
  ): Promise<ThreadPool> {
    const workers: { terminate(): unknown }[] = [];
    const ready: Promise<void>[] = [];
    const wt = nodeModule<{ Worker: NodeWorkerCtor }>('node:worker_threads');
    for (let t = 1; t <= count; t++) {
      const data = { module, memory, ctrl, tid: t };
      if (wt) {
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
        ready.push(
          new Promise((resolve, reject) => {
            w.on('message', () => resolve());
            w.on('error', (e) => reject(e));
          }),
        );
        workers.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        ready.push(
          new Promise((resolve, reject) => {
            w.onmessage = () => resolve();
            w.onerror = (e) => reject(new Error(`wasm backend: worker failed to start: ${e.message}`));
          }),
        );
        w.postMessage(data);
        workers.push(w);
      }
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    // Only now: an unref'd worker's messages would not keep Node waiting for `ready`. Idle
    // workers then never keep the process alive.
    for (const w of workers) (w as Partial<NodeWorker>).unref?.();
    return new ThreadPool(workers, memory, ctrl, runLocal);
  }

  /** Run job `job` on `nt` threads (2 ≤ nt ≤ size) with the args block at `args`; returns when all are done. */
  run(job: number, args: number, nt: number): void {
    const i32 = this.i32;
    this.jobs++;
    Atomics.store(i32, JOB, job);
    Atomics.store(i32, ARGS, args);
    Atomics.store(i32, NT, nt);
    const gen = (Atomics.load(i32, GEN) + 1) | 0;
    // The new state before the new generation: a worker that sees the generation sees its state.
    Atomics.store(i32, STATE, (gen & 0x7fff) << 17);
    Atomics.store(i32, GEN, gen);
    Atomics.notify(i32, GEN);
    this.runLocal(job, args, nt);
    let state = Atomics.or(i32, STATE, CLOSED) | CLOSED;
    let spins = 0;
    while ((state & 0xffff) !== 0) {
      if (this.block && ++spins > 2000) Atomics.wait(i32, STATE, state, 50);
      state = Atomics.load(i32, STATE);
    }
  }

  /** Stop and terminate the workers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.i32, QUIT, 1);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    for (const w of this.workers) w.terminate();
  }
}
