/**
 * The host side of the word2vec kernel (assembly/index.ts): one `WebAssembly.Memory` that holds
 * the weights, the tables and the corpus, and a pool of workers (`worker_threads` in Node, Web
 * Workers in browsers) that each instantiate the threaded module over that shared memory and run
 * `train(args, tid, nt)` on their share of the sentences, Hogwild-style. Without shared memory
 * (no `SharedArrayBuffer`, or one thread asked for) the single-threaded module runs on the
 * calling thread.
 */
import { MAX_PAGES, SINGLE_WASM, THREADED_WASM } from './generated/wasm.js';

/** Longest code of the Huffman tree the kernel accepts (word2vec.c's MAX_CODE_LENGTH). */
export const MAX_CODE = 40;
const EXP_TABLE_SIZE = 1000;
const MAX_EXP = 6;
const ARGS_WORDS = 32;

// Args block fields: must match assembly/index.ts.
const A = {
  STRIDE: 0,
  WINDOW: 1,
  NEGATIVE: 2,
  HS: 3,
  SG: 4,
  CBOW_MEAN: 5,
  VOCAB: 6,
  SYN0: 7,
  SYN1NEG: 8,
  SYN1: 9,
  CUM: 10,
  SAMPLE: 11,
  CODES: 12,
  POINTS: 13,
  CODELEN: 14,
  CORPUS: 15,
  OFFSETS: 16,
  NSENT: 17,
  EXP: 18,
  PROGRESS: 19,
  ALPHA0: 20,
  MIN_ALPHA: 21,
  TOTAL: 22,
  SCRATCH: 23,
  SEED: 24,
  STATS: 25,
  LOSS: 26,
  SENTBUF: 27,
  MAXSENT: 28,
} as const;

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let modules: { single?: WebAssembly.Module; threaded?: WebAssembly.Module } = {};
function moduleOf(threaded: boolean): WebAssembly.Module {
  if (threaded) return (modules.threaded ??= new WebAssembly.Module(decode(THREADED_WASM) as BufferSource));
  return (modules.single ??= new WebAssembly.Module(decode(SINGLE_WASM) as BufferSource));
}
/** Drop the compiled modules (tests). */
export function resetModules(): void {
  modules = {};
}

/** Whether shared memory and workers are available here. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (isNode()) return true;
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean };
  return typeof g.Worker === 'function' && g.crossOriginIsolated !== false;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Hardware threads: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` elsewhere. */
export async function defaultThreads(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** The worker: plain JS that runs as a Node `eval` worker or a Blob-URL Web Worker. */
const WORKER_SOURCE = `
'use strict';
function start(data, post, listen) {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  listen((m) => {
    instance.exports.train(m.args, m.tid, m.nt);
    post('done');
  });
  post('ready');
}
if (typeof require === 'function' && typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, (m) => parentPort.postMessage(m), (fn) => parentPort.on('message', fn));
} else {
  self.onmessage = (e) => {
    self.onmessage = null;
    start(e.data, (m) => self.postMessage(m), (fn) => { self.onmessage = (ev) => fn(ev.data); });
  };
}
`;

interface PoolWorker {
  run(args: number, tid: number, nt: number): Promise<void>;
  terminate(): void;
}

async function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<PoolWorker> {
  let waiting: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  let failed: unknown = null;
  const settle = (e?: unknown) => {
    const w = waiting;
    waiting = null;
    if (e !== undefined) failed = e;
    if (w) e !== undefined ? w.reject(e) : w.resolve();
  };
  const next = () =>
    new Promise<void>((resolve, reject) => {
      if (failed) reject(failed);
      else waiting = { resolve, reject };
    });
  let post: (m: unknown) => void;
  let terminate: () => void;
  const ready = next();
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory } });
    // Referenced only while a job runs: an idle pool does not keep Node alive.
    w.on('message', () => {
      w.unref();
      settle();
    });
    w.on('error', (e) => settle(e));
    post = (m) => {
      w.ref();
      w.postMessage(m);
    };
    terminate = () => void w.terminate();
  } else {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url);
    URL.revokeObjectURL(url);
    w.onmessage = () => settle();
    w.onerror = (e) => settle(new Error(`word2vec: a worker failed: ${e.message}`));
    w.postMessage({ module, memory });
    post = (m) => w.postMessage(m);
    terminate = () => w.terminate();
  }
  await ready;
  return {
    run(args, tid, nt) {
      const done = next();
      post({ args, tid, nt });
      return done;
    },
    terminate,
  };
}

/** What the kernel trains: the architecture and the tables derived from the vocabulary. */
export interface KernelSetup {
  dim: number;
  vocab: number;
  window: number;
  negative: number;
  hs: boolean;
  sg: boolean;
  cbowMean: boolean;
  /** Cumulative `count^0.75` table (u32), when negative > 0. */
  cum: Uint32Array;
  /** Subsampling thresholds (u32; 0xffffffff keeps every occurrence). */
  sample: Uint32Array;
  /** Huffman codes and inner-node points (`vocab × MAX_CODE`) and code lengths, when hs. */
  codes: Uint8Array;
  points: Int32Array;
  codeLen: Uint8Array;
  threads: number;
  maxSentence: number;
}

export interface EpochRun {
  /** Word ids, sentence after sentence. */
  ids: Int32Array;
  /** `nSent + 1` offsets into `ids`. */
  offsets: Int32Array;
  alpha0: number;
  minAlpha: number;
  /** Words the whole run will process (corpus words × epochs): the decay's denominator. */
  totalWords: number;
  seed: number;
  computeLoss: boolean;
}

export interface EpochStats {
  /** Words left after subsampling, over all threads. */
  effectiveWords: number;
  /** Predictions made (skip-gram pairs or CBOW windows). */
  predictions: number;
  /** Summed loss of those predictions (0 unless asked for). */
  loss: number;
}

const align = (n: number, a = 64) => Math.ceil(n / a) * a;

/**
 * The kernel's memory and workers for one model. The weights live in the wasm memory; `syn0()`
 * and friends are views (stride-padded rows) that stay valid until the memory grows (`train`
 * with a bigger corpus), so take them again after each call.
 */
export class Kernel {
  readonly stride: number;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: { train(args: number, tid: number, nt: number): void; heapBase(): number };
  private readonly workers: PoolWorker[];
  private readonly base: Record<
    | 'args'
    | 'exp'
    | 'progress'
    | 'stats'
    | 'scratch'
    | 'sent'
    | 'cum'
    | 'sample'
    | 'codes'
    | 'points'
    | 'codeLen'
    | 'syn0'
    | 'syn1neg'
    | 'syn1'
    | 'corpus',
    number
  >;
  private readonly setup: KernelSetup;
  private disposed = false;
  readonly threaded: boolean;

  private constructor(
    setup: KernelSetup,
    memory: WebAssembly.Memory,
    exports: Kernel['exports'],
    workers: PoolWorker[],
    threaded: boolean,
  ) {
    this.setup = setup;
    this.memory = memory;
    this.exports = exports;
    this.workers = workers;
    this.threaded = threaded;
    this.stride = align(setup.dim, 4);
    const nt = Math.max(1, setup.threads);
    const V = setup.vocab;
    const rowBytes = this.stride * 4;
    let p = align(exports.heapBase());
    const take = (bytes: number) => {
      const at = p;
      p = align(p + bytes);
      return at;
    };
    this.base = {
      args: take(ARGS_WORDS * 4),
      exp: take(EXP_TABLE_SIZE * 4),
      progress: take(64),
      stats: take(nt * 16),
      scratch: take(nt * 2 * rowBytes),
      sent: take(nt * setup.maxSentence * 4),
      cum: take(V * 4),
      sample: take(V * 4),
      codes: take(setup.hs ? V * MAX_CODE : 0),
      points: take(setup.hs ? V * MAX_CODE * 4 : 0),
      codeLen: take(setup.hs ? V : 0),
      syn0: take(V * rowBytes),
      syn1neg: take(setup.negative > 0 ? V * rowBytes : 0),
      syn1: take(setup.hs ? V * rowBytes : 0),
      corpus: p,
    };
    this.ensure(p);
    const f32 = new Float32Array(this.memory.buffer);
    for (let i = 0; i < EXP_TABLE_SIZE; i++) {
      const e = Math.exp(((i / EXP_TABLE_SIZE) * 2 - 1) * MAX_EXP);
      f32[this.base.exp / 4 + i] = e / (e + 1);
    }
    const u8 = new Uint8Array(this.memory.buffer);
    new Uint32Array(this.memory.buffer, this.base.cum, V).set(setup.cum);
    new Uint32Array(this.memory.buffer, this.base.sample, V).set(setup.sample);
    if (setup.hs) {
      u8.set(setup.codes, this.base.codes);
      new Int32Array(this.memory.buffer, this.base.points, V * MAX_CODE).set(setup.points);
      u8.set(setup.codeLen, this.base.codeLen);
    }
  }

  /**
   * Compile and instantiate the kernel and start `setup.threads` workers (none for one thread or
   * where shared memory is missing).
   */
  static async create(setup: KernelSetup): Promise<Kernel> {
    const threaded = setup.threads > 1 && threadsAvailable();
    const module = moduleOf(threaded);
    const memory = threaded
      ? new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: 64 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as unknown as Kernel['exports'];
    const kernel = new Kernel(
      { ...setup, threads: threaded ? setup.threads : 1 },
      memory,
      exports,
      [],
      threaded,
    );
    if (threaded) {
      const started = await Promise.allSettled(
        Array.from({ length: setup.threads }, () => startWorker(module, memory)),
      );
      const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const bad = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (bad) {
        for (const w of ok) w.terminate();
        throw new Error(`word2vec: could not start the worker threads: ${String(bad.reason)}`);
      }
      kernel.workers.push(...ok);
    }
    return kernel;
  }

  get threads(): number {
    return this.threaded ? this.workers.length : 1;
  }

  /** Bytes of the wasm memory (it grows only for a bigger corpus). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / 65536);
    const max = this.threaded ? MAX_PAGES : 65536;
    if (have / 65536 + pages > max) {
      throw new RangeError(
        `word2vec: the model and corpus need ${(end / 2 ** 20).toFixed(0)} MiB, more than the kernel's ${max / 16} MiB memory`,
      );
    }
    this.memory.grow(pages);
  }

  private view(kind: 'syn0' | 'syn1neg' | 'syn1'): Float32Array {
    return new Float32Array(this.memory.buffer, this.base[kind], this.setup.vocab * this.stride);
  }
  /** Input vectors, `vocab × stride` (padding columns stay 0). */
  syn0(): Float32Array {
    return this.view('syn0');
  }
  /** Output vectors of negative sampling. */
  syn1neg(): Float32Array {
    return this.setup.negative > 0 ? this.view('syn1neg') : new Float32Array(0);
  }
  /** Inner-node vectors of hierarchical softmax. */
  syn1(): Float32Array {
    return this.setup.hs ? this.view('syn1') : new Float32Array(0);
  }

  /** Set the global word counter the learning-rate decay reads (words done in earlier epochs). */
  setProgress(words: number): void {
    new Int32Array(this.memory.buffer, this.base.progress, 1)[0] = words;
  }

  /** One epoch over the corpus on all threads. */
  async epoch(run: EpochRun): Promise<EpochStats> {
    if (this.disposed) throw new Error('word2vec: the kernel was disposed');
    const s = this.setup;
    const nSent = run.offsets.length - 1;
    const corpusBytes = align(run.ids.length * 4);
    this.ensure(this.base.corpus + corpusBytes + run.offsets.length * 4);
    const buf = this.memory.buffer;
    new Int32Array(buf, this.base.corpus, run.ids.length).set(run.ids);
    const offsets = this.base.corpus + corpusBytes;
    new Int32Array(buf, offsets, run.offsets.length).set(run.offsets);
    const i32 = new Int32Array(buf, this.base.args, ARGS_WORDS);
    const f32 = new Float32Array(buf, this.base.args, ARGS_WORDS);
    i32[A.STRIDE] = this.stride;
    i32[A.WINDOW] = s.window;
    i32[A.NEGATIVE] = s.negative;
    i32[A.HS] = s.hs ? 1 : 0;
    i32[A.SG] = s.sg ? 1 : 0;
    i32[A.CBOW_MEAN] = s.cbowMean ? 1 : 0;
    i32[A.VOCAB] = s.vocab;
    i32[A.SYN0] = this.base.syn0;
    i32[A.SYN1NEG] = this.base.syn1neg;
    i32[A.SYN1] = this.base.syn1;
    i32[A.CUM] = this.base.cum;
    i32[A.SAMPLE] = this.base.sample;
    i32[A.CODES] = this.base.codes;
    i32[A.POINTS] = this.base.points;
    i32[A.CODELEN] = this.base.codeLen;
    i32[A.CORPUS] = this.base.corpus;
    i32[A.OFFSETS] = offsets;
    i32[A.NSENT] = nSent;
    i32[A.EXP] = this.base.exp;
    i32[A.PROGRESS] = this.base.progress;
    f32[A.ALPHA0] = run.alpha0;
    f32[A.MIN_ALPHA] = run.minAlpha;
    f32[A.TOTAL] = Math.max(1, run.totalWords);
    i32[A.SCRATCH] = this.base.scratch;
    i32[A.SEED] = run.seed;
    i32[A.STATS] = this.base.stats;
    i32[A.LOSS] = run.computeLoss ? 1 : 0;
    i32[A.SENTBUF] = this.base.sent;
    i32[A.MAXSENT] = s.maxSentence;
    const nt = this.threads;
    if (this.threaded) await Promise.all(this.workers.map((w, t) => w.run(this.base.args, t, nt)));
    else this.exports.train(this.base.args, 0, 1);
    const stats = new DataView(this.memory.buffer, this.base.stats, nt * 16);
    const out: EpochStats = { effectiveWords: 0, predictions: 0, loss: 0 };
    for (let t = 0; t < nt; t++) {
      out.effectiveWords += stats.getInt32(t * 16, true);
      out.predictions += stats.getInt32(t * 16 + 4, true);
      out.loss += stats.getFloat64(t * 16 + 8, true);
    }
    return out;
  }

  /** Stop the workers. The weights stay readable until the kernel is dropped. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) w.terminate();
  }
}
