import type { Module } from '../module.js';
import type { Tensor } from '../tensor.js';
import { joinState, type StateJson, splitState } from './state.js';
import { loadSafetensors, saveSafetensors } from './tensors.js';

/**
 * A model (and optionally its optimizer) in one safetensors file.
 *
 * - The model's parameters and buffers are stored under their state-dict names, so the file is an
 *   ordinary safetensors state dict that other tools read by name. A tensor reachable by several
 *   names (tied weights) is stored once; the other names are listed in the metadata
 *   (`myelin.aliases`) and load as the same tensor.
 * - An optimizer's tensors are stored under `optimizer::<path>` (module names never contain `::`),
 *   its other state as JSON in the metadata (`myelin.optimizer`). Save without the optimizer for a
 *   file meant for other tools.
 */

/** What an optimizer (or a scheduler, or anything with state) offers to be saved with a model. */
export interface Stateful {
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface ModelFileOptions {
  /** Saved with the model (`modelToBytes`) or loaded from the file into it (`modelFromBytes`). */
  optimizer?: Stateful;
  /** Caller's strings, stored in the safetensors metadata (save) or returned (load). */
  metadata?: Record<string, string>;
}

const FORMAT_KEY = 'myelin.format';
const FORMAT = 'myelin.model/1';
const ALIASES_KEY = 'myelin.aliases';
const OPTIMIZER_KEY = 'myelin.optimizer';
const OPTIMIZER_PREFIX = 'optimizer::';

/**
 * The model's parameters and buffers (and `options.optimizer`'s state) as safetensors bytes, for
 * browsers (IndexedDB, a download) or any storage; `modelFromBytes` reads them back. Async: it reads
 * every tensor with `data()`, so it works on every backend including WebGPU.
 *
 * @example
 * const bytes = await modelToBytes(model, { optimizer });
 * modelFromBytes(model2, bytes, { optimizer: optimizer2 });
 */
export async function modelToBytes(model: Module, options: ModelFileOptions = {}): Promise<Uint8Array> {
  const tensors: Record<string, Tensor> = {};
  const aliases: Record<string, string> = {};
  const firstName = new Map<Tensor, string>();
  for (const [name, t] of Object.entries(model.stateDict())) {
    if (name.includes('::'))
      throw new RangeError(
        `modelToBytes: state-dict name '${name}' contains '::', which the file format reserves`,
      );
    const first = firstName.get(t);
    if (first === undefined) {
      firstName.set(t, name);
      tensors[name] = t;
    } else aliases[name] = first;
  }
  const metadata: Record<string, string> = { ...options.metadata, [FORMAT_KEY]: FORMAT };
  if (Object.keys(aliases).length) metadata[ALIASES_KEY] = JSON.stringify(aliases);
  if (options.optimizer) {
    const { json, tensors: state } = splitState(options.optimizer.stateDict());
    metadata[OPTIMIZER_KEY] = JSON.stringify(json);
    for (const [path, t] of Object.entries(state)) tensors[OPTIMIZER_PREFIX + path] = t;
  }
  return saveSafetensors(tensors, { metadata });
}

/**
 * Load bytes from `modelToBytes` (or any safetensors state dict) into `model` by name, and into
 * `options.optimizer` when given (the file must hold optimizer state then). With `strict`
 * (default) a missing, unexpected or mis-shaped tensor throws, naming each, before anything is
 * copied. Returns the caller's metadata.
 */
export function modelFromBytes(
  model: Module,
  bytes: Uint8Array,
  options: { optimizer?: Stateful; strict?: boolean } = {},
): { metadata: Record<string, string> } {
  const { tensors, metadata } = loadSafetensors(bytes);
  try {
    const weights: Record<string, Tensor> = {};
    const optimizerTensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      if (name.startsWith(OPTIMIZER_PREFIX)) optimizerTensors[name.slice(OPTIMIZER_PREFIX.length)] = t;
      else weights[name] = t;
    }
    const aliasText = metadata[ALIASES_KEY];
    if (aliasText !== undefined) {
      const aliases = parseJson(aliasText, ALIASES_KEY) as Record<string, unknown>;
      for (const [alias, first] of Object.entries(aliases)) {
        const t = typeof first === 'string' ? weights[first] : undefined;
        if (!t)
          throw new RangeError(
            `modelFromBytes: alias '${alias}' names '${String(first)}', which the file does not hold`,
          );
        weights[alias] = t;
      }
    }
    let optimizerState: unknown;
    if (options.optimizer) {
      const text = metadata[OPTIMIZER_KEY];
      if (text === undefined)
        throw new RangeError(
          'modelFromBytes: an optimizer was given but the file holds no optimizer state (saved without one)',
        );
      optimizerState = joinState(parseJson(text, OPTIMIZER_KEY) as StateJson, optimizerTensors);
    }
    model.loadStateDict(weights, { strict: options.strict ?? true });
    if (options.optimizer) options.optimizer.loadStateDict(optimizerState as never);
  } finally {
    // loadStateDict and the optimizer copy what they are given.
    for (const t of Object.values(tensors)) t.dispose();
  }
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (!k.startsWith('myelin.')) own[k] = v;
  return { metadata: own };
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RangeError(`modelFromBytes: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

type Fs = typeof import('node:fs');

function nodeFs(op: string): Fs {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as Fs | undefined;
  if (!fs)
    throw new Error(
      `${op} reads and writes files and needs Node.js 20.16+; in a browser use modelToBytes / modelFromBytes`,
    );
  return fs;
}

/**
 * Save `model` (and `options.optimizer`) to a safetensors file at `path` (Node). The file is
 * written to a temporary name beside it and renamed into place, so a crash never leaves half a file.
 *
 * @example
 * await saveModel(model, 'mnist.safetensors', { optimizer });
 */
export async function saveModel(model: Module, path: string, options: ModelFileOptions = {}): Promise<void> {
  const bytes = await modelToBytes(model, options);
  const fs = nodeFs('saveModel');
  const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`saveModel: cannot write '${path}' (${(e as Error).message})`);
  }
}

/**
 * Load a file written by `saveModel` (or any safetensors state dict) into `model`, and into
 * `options.optimizer` when given (Node). Errors name the file and what did not match.
 */
export async function loadModel(
  model: Module,
  path: string,
  options: { optimizer?: Stateful; strict?: boolean } = {},
): Promise<{ metadata: Record<string, string> }> {
  const fs = nodeFs('loadModel');
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (e) {
    throw new Error(`loadModel: cannot read '${path}' (${(e as Error).message})`);
  }
  try {
    return modelFromBytes(model, bytes, options);
  } catch (e) {
    throw new Error(`loadModel '${path}': ${(e as Error).message}`);
  }
}
