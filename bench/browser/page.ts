/*
 * The browser side of bench/browser/run.mjs: bundled by esbuild (with code splitting, so TF.js
 * core and Myelin core exist once), loaded by a cross-origin isolated page. It checks that both
 * wasm backends can run threaded, runs the wasm suite of the Node bench (`runWasmBench` from
 * src/libs/myelin-wasm.ts, unchanged; its table goes to the console, which run.mjs forwards),
 * then checks that both really ran threaded, and hands everything to run.mjs through
 * `window.__benchDone`.
 *
 * The suite's dynamic imports by computed specifier ('@myelin/backend-wasm',
 * '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-layers') are resolved by the page's import map.
 */
import { getBackend, randn, scope } from '@myelin/core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { runWasmBench, type WasmSuiteResult } from '../src/libs/myelin-wasm.js';

interface PageReport {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  threadsAsked: number;
  minTimeMs: number;
  filter: string;
  /** `poolJobs`: jobs Myelin's kernels sent to its worker pool during the suite. */
  myelin: { threads: number; relaxedSimd: boolean; poolJobs: number; probeJobs: number };
  tfjs: { threads: number; multithread: boolean; simd: boolean; pthreads: number };
  results: WasmSuiteResult[];
  ms: number;
}

interface MyelinWasmBackend {
  name: string;
  threads?: number;
  relaxedSimd?: boolean;
  runtime?: { pool: { jobs: number; size: number } | null };
}

interface TfjsWasmBackend {
  wasm?: { PThread?: { runningWorkers: unknown[] } };
}

declare global {
  interface Window {
    __benchDone(report: PageReport | { error: string }): Promise<void>;
  }
}

function myelinState(): { name: string; threads: number; jobs: number; relaxedSimd: boolean } {
  const b = getBackend() as unknown as MyelinWasmBackend;
  return {
    name: b.name,
    threads: b.threads ?? 1,
    jobs: b.runtime?.pool?.jobs ?? 0,
    relaxedSimd: b.relaxedSimd === true,
  };
}

async function main(): Promise<PageReport> {
  const t0 = performance.now();
  const params = new URLSearchParams(location.search);
  const threads = Number(params.get('threads') ?? 2);
  const minTimeMs = Number(params.get('minTime') ?? 500);
  const filter = params.get('filter') ?? '';
  if (!globalThis.crossOriginIsolated)
    throw new Error('page is not cross-origin isolated (COOP/COEP missing)');

  // TF.js first, so that a backend that cannot start threaded stops the run before timing anything.
  tfwasm.setWasmPaths(new URL('/tfjs-wasm/', location.href).href);
  tfwasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend failed to initialise');
  await tf.ready();
  const tfjs = {
    threads: tfwasm.getThreadsCount(),
    multithread: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean,
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean,
    /** Emscripten pthreads (Web Workers) running XNNPACK's pool: the calling thread is the other one. */
    pthreads: (tf.backend() as unknown as TfjsWasmBackend).wasm?.PThread?.runningWorkers.length ?? 0,
  };
  if (!tfjs.multithread || tfjs.threads !== threads || tfjs.pthreads !== threads - 1) {
    throw new Error(`TF.js wasm is not threaded: ${JSON.stringify(tfjs)}`);
  }

  // The suite loads both libraries itself (setThreadsCount + setBackend again for TF.js, a
  // no-op on the backend started above; wasmBackend({ threads }) for Myelin) and runs them.
  const results = await runWasmBench({ threads, minTimeMs, filter });

  // Myelin's active backend is the suite's wasm backend: it must have `threads` threads, and a
  // product big enough to be split must go to its worker pool (the suite's own cases may all be
  // too small to be split when --filter picks only those). TF.js must still be threaded wasm.
  const m = myelinState();
  const probe = scope(() =>
    randn([512, 512], { seed: 1 })
      .matmul(randn([512, 512], { seed: 2 }))
      .dataSync(),
  );
  const probeJobs = myelinState().jobs - m.jobs;
  if (
    m.name !== 'wasm' ||
    m.threads !== threads ||
    (threads > 1 && probeJobs === 0) ||
    !Number.isFinite(probe[0]!)
  ) {
    throw new Error(`Myelin wasm did not run threaded: ${JSON.stringify({ ...m, probeJobs })}`);
  }
  if (tf.getBackend() !== 'wasm' || tfwasm.getThreadsCount() !== threads) {
    throw new Error(`TF.js backend changed: ${tf.getBackend()}, ${tfwasm.getThreadsCount()} threads`);
  }
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    threadsAsked: threads,
    minTimeMs,
    filter,
    myelin: { threads: m.threads, relaxedSimd: m.relaxedSimd, poolJobs: m.jobs, probeJobs },
    tfjs,
    results,
    ms: performance.now() - t0,
  };
}

main().then(
  (report) => window.__benchDone(report),
  (e: unknown) => window.__benchDone({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) }),
);
