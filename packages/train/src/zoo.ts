import { type Module, modelToBytes } from '@myelin/core';
import { Observable } from 'rxjs';
import type { TrainEvent } from './events.js';

/**
 * The zoo contract (DESIGN.md §6): every zoo exports `recipes`, a map from a name to a `Recipe`;
 * a recipe declares its options (the CLI builds its flags and the playground its form from the
 * declaration) and `run(options)` returns a cold `Observable<ZooEvent>`: subscribing starts the
 * run, unsubscribing stops it and frees its tensors.
 *
 * A recipe never picks a backend (the caller's `use(...)` does) and never touches the file
 * system: its data comes through `@myelin/data` loaders, and the pictures and charts it shows
 * travel in its events as plain arrays and chart specs, for the CLI to write and the playground
 * to draw.
 */

// ---------------------------------------------------------------------------------------------
// Events

/**
 * Images as plain host data, `[N, C, H, W]` (C = 1 grey or 3 RGB) row-major float values in
 * [0, 1]: subscribers need no backend and nothing to dispose.
 */
export interface ImageArray {
  data: Float32Array;
  shape: readonly [n: number, c: number, h: number, w: number];
}

/** A JSON value, as a chart spec holds. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A Vega-Lite specification (https://vega.github.io/vega-lite/docs/spec.html) as a JSON object. */
export type VegaLiteSpec = { readonly $schema?: string } & { readonly [key: string]: JsonValue };

/** A grid of images: generated samples, reconstructions, saliency maps, filters. */
export interface SamplesEvent {
  type: 'samples';
  title: string;
  images: ImageArray;
  /** One caption per image (e.g. the class, or "7 (0.98)"). */
  labels?: readonly string[];
  /** The epoch it belongs to, when shown during training. */
  epoch?: number;
}

/** Generated text (a language model's sample, a translation). */
export interface TextEvent {
  type: 'text';
  title: string;
  text: string;
  epoch?: number;
}

/** One finished reinforcement-learning episode. */
export interface EpisodeEvent {
  type: 'episode';
  /** 0-based episode number. */
  episode: number;
  /** The undiscounted sum of rewards. */
  return: number;
  /** Steps taken. */
  length: number;
  /** The agent's mean training loss over the episode, when it learns from it. */
  loss?: number;
  /** The exploration rate in force (ε of an ε-greedy policy), when there is one. */
  epsilon?: number;
  /** Rendered frames, `[T, C, H, W]` in [0, 1], when the recipe records them. */
  frames?: ImageArray;
}

/** Nearest neighbours of one query in an embedding space, most similar first. */
export interface Neighbours {
  query: string;
  neighbours: readonly { label: string; similarity: number }[];
}

/** Embedded points (a projection to show) and/or nearest-neighbour lists (word2vec, GNNs). */
export interface EmbeddingEvent {
  type: 'embedding';
  title: string;
  /** `[N, D]` row-major coordinates (D = 2 or 3 for a plot), with an optional label per point. */
  points?: { data: Float32Array; shape: readonly [n: number, d: number]; labels?: readonly string[] };
  neighbours?: readonly Neighbours[];
}

/** A chart (a Vega-Lite spec, data inline) or a picture, with a title. */
export type FigureEvent =
  | { type: 'figure'; kind: 'chart'; title: string; spec: VegaLiteSpec }
  | { type: 'figure'; kind: 'image'; title: string; image: ImageArray };

/** A named final figure of the run, e.g. `{ name: 'test accuracy', value: 0.991 }`. */
export interface MetricEvent {
  type: 'metric';
  name: string;
  value: number;
  /** How to read `value` when it is not a plain number, e.g. 'samples/s' or 'nats'. */
  unit?: string;
}

/**
 * The trained model, as a safetensors file (`modelToBytes`): what a subscriber keeps of a run after
 * the recipe has freed its tensors. `arch` names the builder and `config` the options it was built
 * with, so `modelFromBytes(rebuild(arch, config), bytes)` gives the model back (in a worker, a
 * browser page, or a later process); `myelin train --out DIR` writes it as `DIR/<name>.safetensors`.
 */
export interface ModelEvent {
  type: 'model';
  /** A file-safe name, e.g. 'lenet5-mnist'. */
  name: string;
  /** The builder, e.g. 'lenet5' or 'resnet-small'. */
  arch: string;
  /** The builder's options (plain JSON). */
  config: Readonly<Record<string, unknown>>;
  /** The state dict as a safetensors file (`arch` and `config` in its metadata too). */
  bytes: Uint8Array;
}

/**
 * The `model` event for `model`: its state dict serialised now, so the recipe may free the model
 * as soon as this resolves.
 *
 * @example
 * ctx.emit(await modelEvent('lenet5-mnist', 'lenet5', { seed: 1 }, model));
 */
export async function modelEvent(
  name: string,
  arch: string,
  config: Readonly<Record<string, unknown>>,
  model: Module,
): Promise<ModelEvent> {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new RangeError(
      `modelEvent: name must be file-safe (letters, digits, . _ -), got ${JSON.stringify(name)}`,
    );
  const bytes = await modelToBytes(model, { metadata: { arch, config: JSON.stringify(config) } });
  return { type: 'model', name, arch, config, bytes };
}

/** Everything a recipe says while it runs: `fit`'s events plus what each model family shows. */
export type ZooEvent =
  | TrainEvent
  | SamplesEvent
  | TextEvent
  | EpisodeEvent
  | EmbeddingEvent
  | FigureEvent
  | MetricEvent
  | ModelEvent;
export type ZooEventType = ZooEvent['type'];
export type ZooEventOf<T extends ZooEventType> = Extract<ZooEvent, { type: T }>;

/**
 * A checked `ImageArray`: `data` must hold `N·C·H·W` finite values; values outside [0, 1] are
 * clamped (on a copy), so a recipe may pass raw decoder outputs.
 *
 * @example
 * const event = samplesEvent('VAE samples', imageArray(await x.data(), x.shape));
 */
export function imageArray(data: ArrayLike<number>, shape: readonly number[]): ImageArray {
  let dims = shape;
  if (dims.length === 3) dims = [1, ...dims];
  if (dims.length !== 4 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(
      `imageArray: expected a shape [N, C, H, W] or [C, H, W] of positive integers, got [${shape.join(', ')}]`,
    );
  }
  const [n, c, h, w] = dims as [number, number, number, number];
  if (data.length !== n * c * h * w) {
    throw new RangeError(
      `imageArray: shape [${dims.join(', ')}] needs ${n * c * h * w} values, got ${data.length}`,
    );
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) throw new RangeError(`imageArray: value ${i} is NaN`);
    out[i] = Math.min(Math.max(v, 0), 1);
  }
  return { data: out, shape: [n, c, h, w] };
}

/** A `samples` event; `labels`, when given, must have one caption per image. */
export function samplesEvent(
  title: string,
  images: ImageArray,
  options: { labels?: readonly string[]; epoch?: number } = {},
): SamplesEvent {
  if (options.labels && options.labels.length !== images.shape[0]) {
    throw new RangeError(`samplesEvent: ${images.shape[0]} images but ${options.labels.length} labels`);
  }
  return { type: 'samples', title, images, ...options };
}

// ---------------------------------------------------------------------------------------------
// Option declarations

interface OptionBase {
  /** camelCase key in the options object; the CLI flag is its kebab-case form (`batchSize` → `--batch-size`). */
  name: string;
  help: string;
}

/** One option of a recipe: its name, type, default and help text, and for numbers their range. */
export type RecipeOption =
  | (OptionBase & { type: 'number' | 'integer'; default: number; min?: number; max?: number })
  | (OptionBase & { type: 'boolean'; default: boolean })
  | (OptionBase & { type: 'string'; default: string })
  | (OptionBase & { type: 'enum'; default: string; values: readonly string[] });

/** The value type an option declaration gives. */
export type OptionValue<D extends RecipeOption> = D extends { type: 'number' | 'integer' }
  ? number
  : D extends { type: 'boolean' }
    ? boolean
    : D extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

/** The options object a list of declarations gives: `{ epochs: number, model: 'lenet5' | ... }`. */
export type OptionValues<D extends readonly RecipeOption[]> = {
  [K in D[number] as K['name']]: OptionValue<K>;
};

/** Parsed options of any recipe. */
export type RecipeValues = { readonly [name: string]: string | number | boolean };

/**
 * A named, documented training run. `run(options)` returns a cold Observable: subscribing starts
 * the run; unsubscribing stops it and frees its tensors.
 *
 * A recipe never picks a backend (the caller's `use` does) and never touches the file system:
 * data comes through `@myelin/data` loaders, and pictures and charts leave as events for the CLI
 * to write (`--out`) and the playground to show.
 */
export interface Recipe<O = RecipeValues> {
  /** Unique across all zoos, kebab-case, e.g. `lenet5-mnist`. */
  readonly name: string;
  /** One line for listings, e.g. 'LeNet-5 on MNIST'. */
  readonly title: string;
  /** What it trains and what it reaches, for `myelin train <recipe> --help` and the playground. */
  readonly description: string;
  /** The model family, e.g. 'cnn', 'autoencoder', 'gan', 'rl'. */
  readonly family: string;
  readonly options: readonly RecipeOption[];
  run(options: O): Observable<ZooEvent>;
}

/**
 * A recipe whose `run` gets options typed from its declarations (declare them `as const`… or
 * inline, as here):
 *
 * @example
 * export const lenet = defineRecipe({
 *   name: 'lenet5-mnist', title: 'LeNet-5 on MNIST', description: '…', family: 'cnn',
 *   options: [{ name: 'epochs', type: 'integer', default: 10, min: 1, help: 'passes over the data' }],
 *   run: ({ epochs }) => recipeStream(async (ctx) => { … }),
 * });
 */
export function defineRecipe<const D extends readonly RecipeOption[]>(recipe: {
  name: string;
  title: string;
  description: string;
  family: string;
  options: D;
  run(options: OptionValues<D>): Observable<ZooEvent>;
}): Recipe<OptionValues<D>> {
  checkRecipe(recipe);
  return recipe;
}

/** `batchSize` → `batch-size`. */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function rangeText(o: { type: 'number' | 'integer'; min?: number; max?: number }): string {
  const what = o.type === 'integer' ? 'an integer' : 'a number';
  if (o.min !== undefined && o.max !== undefined) return `${what} in [${o.min}, ${o.max}]`;
  if (o.min !== undefined) return `${what} ≥ ${o.min}`;
  if (o.max !== undefined) return `${what} ≤ ${o.max}`;
  return what;
}

/** What an option accepts, in words: 'an integer ≥ 1', 'one of adam, sgd', 'true or false'. */
export function optionExpects(o: RecipeOption): string {
  switch (o.type) {
    case 'number':
    case 'integer':
      return rangeText(o);
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${o.values.join(', ')}`;
    case 'string':
      return 'a string';
  }
}

/** One help line: `--epochs <an integer ≥ 1> (default 10)  passes over the data`. */
export function optionUsage(o: RecipeOption): string {
  return `--${flagName(o.name)} <${optionExpects(o)}> (default ${String(o.default)})  ${o.help}`;
}

/** A recipe's option declarations or given values are wrong; `problems` lists each one. */
export class RecipeOptionError extends Error {
  override readonly name = 'RecipeOptionError';
  constructor(readonly problems: readonly { option: string; message: string }[]) {
    super(problems.map((p) => p.message).join('\n'));
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;
const TRUE = new Set(['true', '1', 'yes', 'on', '']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A raw value: a flag's string (`''` for a bare `--flag`), or a form field's string, number or boolean. */
export type RawOptionValue = string | number | boolean | undefined;

/** The parsed value, or the reason it is not one (without the option's name). */
function parseValue(
  o: RecipeOption,
  raw: string | number | boolean,
): { value: string | number | boolean } | { error: string } {
  const shown = typeof raw === 'string' ? `'${raw}'` : String(raw);
  const expected = `expected ${optionExpects(o)}, got ${shown}`;
  switch (o.type) {
    case 'number':
    case 'integer': {
      let v: number;
      if (typeof raw === 'number') v = raw;
      else if (typeof raw === 'string' && (o.type === 'integer' ? INTEGER : NUMBER).test(raw.trim()))
        v = Number(raw.trim());
      else return { error: expected };
      if (!Number.isFinite(v) || (o.type === 'integer' && !Number.isSafeInteger(v)))
        return { error: expected };
      if ((o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max))
        return { error: expected };
      return { value: v };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const s = String(raw).trim().toLowerCase();
      if (TRUE.has(s)) return { value: true };
      if (FALSE.has(s)) return { value: false };
      return { error: expected };
    }
    case 'enum':
      return typeof raw === 'string' && o.values.includes(raw) ? { value: raw } : { error: expected };
    case 'string':
      return typeof raw === 'string' ? { value: raw } : { error: expected };
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

export interface ParseOptionsSettings {
  /** `'flags'` (default) names options as `--batch-size` in errors, `'form'` as `batchSize`. */
  source?: 'flags' | 'form';
  /** Recipe name for the unknown-option message. */
  recipe?: string;
}

/**
 * Turn raw values (CLI flags, keyed by `batchSize` or `batch-size`; or a form's fields) into a
 * typed options object, filling defaults. Every problem is reported at once.
 *
 * @throws RecipeOptionError e.g. `--epochs: expected an integer ≥ 1, got 'x'`, or an unknown option
 * @example
 * parseRecipeOptions(recipe.options, { epochs: '3', lr: '1e-3' }); // { epochs: 3, lr: 0.001, ... }
 */
export function parseRecipeOptions<D extends readonly RecipeOption[]>(
  declarations: D,
  raw: Readonly<Record<string, RawOptionValue>>,
  settings: ParseOptionsSettings = {},
): OptionValues<D> {
  const label = (name: string) => (settings.source === 'form' ? name : `--${flagName(name)}`);
  const byKey = new Map<string, RecipeOption>();
  for (const o of declarations) {
    byKey.set(o.name, o);
    byKey.set(flagName(o.name), o);
  }
  const problems: { option: string; message: string }[] = [];
  const given = new Map<string, RawOptionValue>();
  for (const [key, value] of Object.entries(raw)) {
    const o = byKey.get(key);
    if (!o) {
      const names = declarations.map((d) => label(d.name));
      const near = declarations
        .filter((d) => editDistance(flagName(key), flagName(d.name)) <= 2)
        .map((d) => label(d.name));
      const hint = near.length ? ` (did you mean ${near.join(' or ')}?)` : '';
      const of = settings.recipe ? ` of recipe '${settings.recipe}'` : '';
      problems.push({
        option: key,
        message: `${label(key)}: not an option${of}${hint}; options: ${names.length ? names.join(', ') : 'none'}`,
      });
      continue;
    }
    if (given.has(o.name) && value !== undefined) {
      problems.push({ option: o.name, message: `${label(o.name)}: given twice` });
      continue;
    }
    if (value !== undefined) given.set(o.name, value);
  }
  const out: Record<string, string | number | boolean> = {};
  for (const o of declarations) {
    const value = given.get(o.name);
    if (value === undefined) {
      out[o.name] = o.default;
      continue;
    }
    const parsed = parseValue(o, value);
    if ('error' in parsed) problems.push({ option: o.name, message: `${label(o.name)}: ${parsed.error}` });
    else out[o.name] = parsed.value;
  }
  if (problems.length) throw new RecipeOptionError(problems);
  return out as OptionValues<D>;
}

/**
 * Check a recipe's declarations: a kebab-case name, unique option names, enum values, ranges,
 * and defaults that parse under their own declaration.
 *
 * @throws RecipeOptionError naming the recipe and each faulty option
 */
export function checkRecipe(recipe: Pick<Recipe<never>, 'name' | 'options'>): void {
  const problems: { option: string; message: string }[] = [];
  const at = `recipe '${recipe.name}'`;
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(recipe.name)) {
    problems.push({ option: '', message: `${at}: the name must be kebab-case (a-z, 0-9, '-')` });
  }
  const seen = new Set<string>();
  for (const o of recipe.options) {
    const where = `${at}, option '${o.name}'`;
    if (!/^[a-z][a-zA-Z0-9]*$/.test(o.name)) {
      problems.push({ option: o.name, message: `${where}: the name must be camelCase` });
    }
    if (seen.has(o.name)) problems.push({ option: o.name, message: `${where}: declared twice` });
    seen.add(o.name);
    if (o.type === 'enum' && (o.values.length === 0 || new Set(o.values).size !== o.values.length)) {
      problems.push({
        option: o.name,
        message: `${where}: an enum needs distinct values, got [${o.values.join(', ')}]`,
      });
    }
    if (
      (o.type === 'number' || o.type === 'integer') &&
      o.min !== undefined &&
      o.max !== undefined &&
      o.min > o.max
    ) {
      problems.push({ option: o.name, message: `${where}: min ${o.min} is above max ${o.max}` });
    }
    const parsed = parseValue(o, o.default);
    if ('error' in parsed)
      problems.push({
        option: o.name,
        message: `${where}: default ${parsed.error.replace(/^expected/, 'is not')}`,
      });
  }
  if (problems.length) throw new RecipeOptionError(problems);
}

// ---------------------------------------------------------------------------------------------
// Registry

/**
 * What a zoo exports as `recipes`: recipe name → recipe. Recipes of any options type fit; run one
 * from raw flags or form values with `runRecipe`, which checks the values first.
 */
export type RecipeRegistry = Readonly<Record<string, Recipe<object>>>;

/**
 * Parse raw values against `recipe.options` (see `parseRecipeOptions`) and start the run: what
 * the CLI and the playground call. Bad values throw before anything runs.
 *
 * @throws RecipeOptionError naming each bad or unknown option
 * @example
 * runRecipe(recipes['lenet5-mnist'], { epochs: '2' }).subscribe((e) => console.log(e.type));
 */
export function runRecipe(
  recipe: Recipe<object>,
  raw: Readonly<Record<string, RawOptionValue>>,
  settings: Omit<ParseOptionsSettings, 'recipe'> = {},
): Observable<ZooEvent> {
  const options = parseRecipeOptions(recipe.options, raw, { ...settings, recipe: recipe.name });
  return recipe.run(options);
}

/**
 * One registry from several zoos' `recipes` exports, keyed by the zoo's package name; names are
 * sorted. Every recipe's declarations are checked.
 *
 * @throws RecipeOptionError when a name is in two zoos, a key is not its recipe's name, or a
 *   declaration is wrong
 * @example
 * const all = mergeRecipes({ '@myelin/zoo-cnn': cnn.recipes, '@myelin/zoo-rnn': rnn.recipes });
 */
export function mergeRecipes(zoos: Readonly<Record<string, RecipeRegistry>>): RecipeRegistry {
  const owner = new Map<string, string>();
  const merged = new Map<string, Recipe<object>>();
  const problems: { option: string; message: string }[] = [];
  for (const [zoo, recipes] of Object.entries(zoos)) {
    for (const [key, recipe] of Object.entries(recipes)) {
      if (key !== recipe.name) {
        problems.push({
          option: '',
          message: `mergeRecipes: ${zoo} exports recipe '${recipe.name}' under the key '${key}'`,
        });
        continue;
      }
      const first = owner.get(key);
      if (first !== undefined) {
        problems.push({
          option: '',
          message: `mergeRecipes: recipe '${key}' is exported by both ${first} and ${zoo}`,
        });
        continue;
      }
      try {
        checkRecipe(recipe);
      } catch (e) {
        if (!(e instanceof RecipeOptionError)) throw e;
        problems.push(...e.problems.map((p) => ({ ...p, message: `${zoo}: ${p.message}` })));
        continue;
      }
      owner.set(key, zoo);
      merged.set(key, recipe);
    }
  }
  if (problems.length) throw new RecipeOptionError(problems);
  return Object.freeze(Object.fromEntries([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

// ---------------------------------------------------------------------------------------------
// Writing a recipe's run

/** What `recipeStream`'s body gets. */
export interface RecipeContext {
  /** Send an event to the subscriber (ignored once unsubscribed). */
  emit(event: ZooEvent): void;
  /** Aborted when the subscriber unsubscribes (pass it on to anything that takes a signal). */
  readonly signal: AbortSignal;
  /** Throw `RecipeStopped` if the run was stopped: call it between steps of your own loops. */
  throwIfStopped(): void;
  /**
   * Forward every event of `events` (e.g. `fit(...)`) and resolve with the last one when it
   * completes; rejects if it errors, or when the run is stopped (after unsubscribing from it).
   */
  follow(events: Observable<ZooEvent>): Promise<ZooEvent | undefined>;
  /**
   * Run `fn` once the run has ended (completed, failed or stopped) and the body has returned:
   * dispose models and data here. Cleanups run last-registered first.
   */
  onEnd(fn: () => void): void;
}

/** The error `follow` and `throwIfStopped` reject with once the run is stopped. */
export class RecipeStopped extends Error {
  override readonly name = 'RecipeStopped';
  constructor() {
    super('the recipe run was stopped (unsubscribed)');
  }
}

/**
 * A cold Observable from an async body: the shape of most recipe runs (load data, build a model,
 * `follow(fit(...))`, evaluate, emit metrics and pictures). Unsubscribing aborts `signal`, stops
 * a followed `fit`, and runs the `onEnd` cleanups once the body has settled, so the run's
 * tensors are freed and memory stays flat. A body error is sent as an `error` event, then as the
 * Observable's error.
 *
 * @example
 * run: ({ epochs }) => recipeStream(async (ctx) => {
 *   const model = new LeNet5();
 *   ctx.onEnd(() => model.dispose());
 *   await ctx.follow(fit(model, { optimizer, loss, data, epochs }));
 *   ctx.emit({ type: 'metric', name: 'test accuracy', value: acc });
 * })
 */
export function recipeStream(body: (ctx: RecipeContext) => Promise<void>): Observable<ZooEvent> {
  return new Observable<ZooEvent>((subscriber) => {
    const controller = new AbortController();
    const cleanups: (() => void)[] = [];
    const ctx: RecipeContext = {
      emit: (event) => {
        if (!controller.signal.aborted) subscriber.next(event);
      },
      signal: controller.signal,
      throwIfStopped: () => {
        if (controller.signal.aborted) throw new RecipeStopped();
      },
      onEnd: (fn) => {
        cleanups.push(fn);
      },
      follow: (events) =>
        new Promise<ZooEvent | undefined>((resolve, reject) => {
          if (controller.signal.aborted) {
            reject(new RecipeStopped());
            return;
          }
          let last: ZooEvent | undefined;
          const stop = () => {
            inner.unsubscribe();
            reject(new RecipeStopped());
          };
          const inner = events.subscribe({
            next: (e) => {
              last = e;
              // fit reports its own failure as an 'error' event, then errors; the body's
              // rejection is reported once, below.
              if (e.type !== 'error') ctx.emit(e);
            },
            error: (err: unknown) => {
              controller.signal.removeEventListener('abort', stop);
              reject(err);
            },
            complete: () => {
              controller.signal.removeEventListener('abort', stop);
              resolve(last);
            },
          });
          if (!inner.closed) controller.signal.addEventListener('abort', stop, { once: true });
        }),
    };
    // Cleanups run after the body has settled, so nothing it still awaits loses its tensors.
    const settle = (failed: boolean, reason: unknown) => {
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          fn();
        } catch (e) {
          if (!failed) [failed, reason] = [true, e];
        }
      }
      if (controller.signal.aborted) return;
      if (!failed) {
        subscriber.complete();
        return;
      }
      const error = reason instanceof Error ? reason : new Error(String(reason));
      subscriber.next({ type: 'error', error });
      subscriber.error(error);
    };
    body(ctx).then(
      () => settle(false, undefined),
      (e: unknown) => settle(true, e),
    );
    return () => controller.abort();
  });
}
