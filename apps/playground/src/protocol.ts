/**
 * The messages between the page and the training worker. Everything is structured-cloneable:
 * events travel as the recipes emit them (typed arrays included), errors as messages.
 */
import type { RecipeOption, ZooEvent } from '@myelin/train';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** One backend as the worker found it: usable, or why not. */
export interface BackendInfo {
  name: BackendName;
  available: boolean;
  /** Why it is missing ("no navigator.gpu", "not cross-origin isolated: 1 thread"), or details. */
  note: string;
}

/** A recipe as the page lists it. */
export interface RecipeInfo {
  name: string;
  title: string;
  description: string;
  family: string;
  zoo: string;
  options: readonly RecipeOption[];
  /** Why the page cannot run it (its data is not served here), or null. */
  disabled: string | null;
}

export type ToWorker =
  | {
      type: 'start';
      id: number;
      recipe: string;
      backend: BackendName;
      threads: number;
      options: Record<string, string | number | boolean>;
    }
  | { type: 'stop'; id: number }
  /** A 28×28 digit, row-major, values in [0, 1] (white ink on black, as MNIST). */
  | { type: 'predict'; pixels: Float32Array };

/** A recipe event without its Error object (sent as a message). */
export type WireEvent = Exclude<ZooEvent, { type: 'error' }> | { type: 'error'; message: string };

export type FromWorker =
  | { type: 'ready'; recipes: RecipeInfo[]; backends: BackendInfo[]; isolated: boolean }
  | { type: 'started'; id: number; backend: string; threads: number }
  | { type: 'event'; id: number; event: WireEvent }
  | { type: 'done'; id: number; seconds: number; kept: string | null }
  | { type: 'stopped'; id: number; seconds: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'prediction'; probabilities: number[] | null; reason?: string }
  | { type: 'fatal'; message: string };
