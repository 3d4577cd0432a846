/**
 * The training worker (a module Web Worker): it loads every zoo, picks the backend a run asks
 * for, subscribes to the recipe's event stream and posts each event to the page. Stopping a run
 * is unsubscribing, which the zoo contract turns into "stop between batches and free the run's
 * tensors". It also keeps the last LeNet-5 a finished run trained on MNIST, to classify the
 * digits drawn on the page.
 */
import { cpuBackend } from '@myelin/backend-cpu';
import { wasmBackend } from '@myelin/backend-wasm';
import { webgpuBackend } from '@myelin/backend-webgpu';
import { type Backend, modelFromBytes, noGrad, scope, softmax, tensor, use } from '@myelin/core';
import {
  type ModelEvent,
  mergeRecipes,
  parseRecipeOptions,
  type RecipeRegistry,
  type ZooEvent,
} from '@myelin/train';
import { recipes as classic } from '@myelin/zoo-classic';
import { recipes as cnn, LeNet5 } from '@myelin/zoo-cnn';
import { recipes as gan } from '@myelin/zoo-gan';
import { recipes as gnn } from '@myelin/zoo-gnn';
import { recipes as rl } from '@myelin/zoo-rl';
import { recipes as rnn } from '@myelin/zoo-rnn';
import { recipes as transformer } from '@myelin/zoo-transformer';
import { recipes as word2vec } from '@myelin/zoo-word2vec';
import type { Subscription } from 'rxjs';
import { browserData, disabledReason, type ImageSetName, servedImageSets } from './data.js';
import type { BackendInfo, BackendName, FromWorker, RecipeInfo, ToWorker, WireEvent } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated?: boolean;
  navigator: { gpu?: { requestAdapter(): Promise<unknown> }; hardwareConcurrency?: number };
  location: { href: string };
}
const worker = globalThis as unknown as WorkerScope;
const post = (m: FromWorker) => worker.postMessage(m);

/** The zoos, by package name: every zoo the playground depends on. */
const ZOOS: Record<string, RecipeRegistry> = {
  '@myelin/zoo-cnn': cnn,
  '@myelin/zoo-rnn': rnn,
  '@myelin/zoo-transformer': transformer,
  '@myelin/zoo-gan': gan,
  '@myelin/zoo-rl': rl,
  '@myelin/zoo-gnn': gnn,
  '@myelin/zoo-word2vec': word2vec,
  '@myelin/zoo-classic': classic,
};
const registry = mergeRecipes(ZOOS);
const zooOf = new Map<string, string>();
for (const [pkg, rs] of Object.entries(ZOOS)) for (const name of Object.keys(rs)) zooOf.set(name, pkg);

/** The site's root URL (Vite's `base`), under which `/data/` is served. */
const BASE = new URL(import.meta.env.BASE_URL, worker.location.href).href;
let served: ImageSetName[] = [];

async function detectBackends(): Promise<BackendInfo[]> {
  const isolated = worker.crossOriginIsolated === true;
  let gpu: BackendInfo;
  if (!worker.navigator.gpu)
    gpu = { name: 'webgpu', available: false, note: 'no navigator.gpu in this browser' };
  else {
    let adapter: unknown = null;
    try {
      adapter = await worker.navigator.gpu.requestAdapter();
    } catch {
      adapter = null;
    }
    gpu = adapter
      ? { name: 'webgpu', available: true, note: 'a GPU adapter is available' }
      : { name: 'webgpu', available: false, note: 'navigator.gpu gave no adapter (no usable GPU)' };
  }
  const wasm: BackendInfo =
    typeof WebAssembly !== 'object'
      ? { name: 'wasm', available: false, note: 'no WebAssembly' }
      : isolated
        ? { name: 'wasm', available: true, note: 'SIMD, worker threads over shared memory' }
        : {
            name: 'wasm',
            available: true,
            note: 'not cross-origin isolated (no SharedArrayBuffer): 1 thread only',
          };
  return [gpu, wasm, { name: 'cpu', available: true, note: 'plain TypeScript, 1 thread' }];
}

// ---------------------------------------------------------------------------------------------
// Backends: one of each kind, created on first use (a wasm backend per thread count).

const backends = new Map<string, Promise<Backend>>();
function backendFor(name: BackendName, threads: number): Promise<Backend> {
  const key = name === 'wasm' ? `wasm/${threads}` : name;
  let b = backends.get(key);
  if (!b) {
    b =
      name === 'wasm'
        ? wasmBackend({ threads })
        : name === 'webgpu'
          ? webgpuBackend()
          : Promise.resolve(cpuBackend());
    b.catch(() => backends.delete(key));
    backends.set(key, b);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Keeping the trained LeNet-5. A recipe frees its model when its run ends, but first emits a
// `model` event with the trained weights as safetensors bytes (the zoo contract). A LeNet-5 for
// 28×28 MNIST digits is rebuilt from it here and kept, once its run completes, for `predict`.

let kept: { model: LeNet5; recipe: string } | null = null;

/** A LeNet-5 rebuilt from a `model` event, or null when the event holds another model. */
function lenetFrom(e: ModelEvent): LeNet5 | null {
  if (e.arch !== 'lenet5') return null;
  const model = new LeNet5(e.config as ConstructorParameters<typeof LeNet5>[0]);
  if (model.numClasses !== 10 || model.input.channels !== 1) {
    model.dispose();
    return null;
  }
  modelFromBytes(model, e.bytes);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Runs

let current: { id: number; subscription: Subscription; start: number; drop: () => void } | null = null;

function wire(e: ZooEvent): WireEvent {
  return e.type === 'error' ? { type: 'error', message: e.error.message } : e;
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  stop();
  const recipe = Object.hasOwn(registry, m.recipe) ? registry[m.recipe]! : null;
  if (!recipe) throw new Error(`start: unknown recipe '${m.recipe}'`);
  const options = parseRecipeOptions(recipe.options, m.options, { source: 'form', recipe: recipe.name });
  const backend = await backendFor(m.backend, m.threads);
  await use(backend);
  const threads = (backend as { threads?: number }).threads ?? 1;
  const data = browserData(BASE, served);
  post({ type: 'started', id: m.id, backend: backend.name, threads });
  let trained: LeNet5 | null = null;
  const dropTrained = () => {
    trained?.dispose();
    trained = null;
  };
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const subscription = recipe.run({ ...options, data }).subscribe({
    next: (e) => {
      if (e.type === 'model') {
        // keep only MNIST digit models; the bytes stay in the worker
        if (data.used.has('mnist') && data.used.size === 1) {
          dropTrained();
          trained = lenetFrom(e);
        }
        return;
      }
      post({ type: 'event', id: m.id, event: wire(e) });
    },
    error: (err: unknown) => {
      dropTrained();
      current = null;
      post({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) });
    },
    complete: () => {
      let keptName: string | null = null;
      if (trained) {
        kept?.model.dispose();
        kept = { model: trained, recipe: recipe.name };
        keptName = recipe.name;
        trained = null;
      }
      current = null;
      post({ type: 'done', id: m.id, seconds: seconds(), kept: keptName });
    },
  });
  if (subscription.closed) dropTrained();
  else current = { id: m.id, subscription, start: t0, drop: dropTrained };
}

function stop(): void {
  if (!current) return;
  const { id, subscription, start: t0, drop } = current;
  current = null;
  subscription.unsubscribe();
  drop();
  post({ type: 'stopped', id, seconds: (performance.now() - t0) / 1000 });
}

async function predict(pixels: Float32Array): Promise<void> {
  if (!kept) {
    post({
      type: 'prediction',
      probabilities: null,
      reason: 'no trained digit model yet: finish a LeNet-5 run on MNIST (lenet5-mnist) first',
    });
    return;
  }
  if (pixels.length !== 784)
    throw new RangeError(`predict: expected 784 pixels (28×28), got ${pixels.length}`);
  // MNIST's pixels are 0..255 and the recipes feed them scaled to [0, 1] (imageSetToTensors).
  const model = kept.model;
  const probs = noGrad(() =>
    scope(() => {
      model.eval();
      return softmax(model.forward(tensor(pixels, { shape: [1, 1, 28, 28] })), 1);
    }),
  );
  try {
    post({ type: 'prediction', probabilities: Array.from(await probs.data()) });
  } finally {
    probs.dispose();
  }
}

worker.onmessage = (e) => {
  const m = e.data;
  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (m.type === 'start') {
      post({ type: 'failed', id: m.id, message });
    } else post({ type: 'prediction', probabilities: null, reason: message });
  };
  try {
    if (m.type === 'start') start(m).catch(fail);
    else if (m.type === 'stop') {
      if (current?.id === m.id) stop();
    } else if (m.type === 'predict') predict(m.pixels).catch(fail);
  } catch (err) {
    fail(err);
  }
};

(async () => {
  served = await servedImageSets(BASE);
  const recipes: RecipeInfo[] = Object.values(registry).map((r) => ({
    name: r.name,
    title: r.title,
    description: r.description,
    family: r.family,
    zoo: zooOf.get(r.name) ?? '',
    options: r.options,
    disabled: disabledReason(r.name, served),
  }));
  const available = await detectBackends();
  post({
    type: 'ready',
    recipes,
    backends: available,
    isolated: worker.crossOriginIsolated === true,
  });
})().catch((err: unknown) =>
  post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) }),
);
