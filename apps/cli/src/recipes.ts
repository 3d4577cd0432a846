import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSet } from '@myelin/data';
import {
  type EmbeddingEvent,
  type EpisodeEvent,
  flagName,
  mergeRecipes,
  progressBar,
  type Recipe,
  type RecipeOption,
  type RecipeRegistry,
  type TrainEvent,
  type VegaLiteSpec,
  type ZooEvent,
} from '@myelin/train';
import { lastValueFrom, Subject, tap } from 'rxjs';
import { UsageError } from './args.js';
import { BACKEND_CHOICES, selectBackend } from './backends.js';
import type { Out } from './command.js';
import { loadSet } from './data.js';
import type { DatasetName } from './models.js';
import { chartSvg, imageGridPng } from './pictures.js';
import { classicData } from './zoo-data/classic.js';
import { graphData } from './zoo-data/graph.js';
import { sequenceData } from './zoo-data/sequence.js';
import { textData } from './zoo-data/text.js';

/**
 * The zoo packages `myelin` looks for. Each that is installed contributes its `recipes` export; a
 * zoo that is not installed is skipped, so `myelin models` lists exactly what can run here.
 */
export const ZOO_PACKAGES = [
  '@myelin/zoo-cnn',
  '@myelin/zoo-rnn',
  '@myelin/zoo-transformer',
  '@myelin/zoo-gan',
  '@myelin/zoo-rl',
  '@myelin/zoo-gnn',
  '@myelin/zoo-word2vec',
  '@myelin/zoo-classic',
] as const;

function notInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  return (
    (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') &&
    (err.message ?? '').includes(pkg)
  );
}

let registry: Promise<{ recipes: RecipeRegistry; zoos: Map<string, string> }> | null = null;

/** Every installed zoo's recipes, merged (names unique across zoos), with the zoo of each. */
export function installedRecipes(): Promise<{ recipes: RecipeRegistry; zoos: Map<string, string> }> {
  registry ??= (async () => {
    const found: Record<string, RecipeRegistry> = {};
    for (const pkg of ZOO_PACKAGES) {
      try {
        const mod = (await import(pkg)) as { recipes?: RecipeRegistry };
        if (mod.recipes) found[pkg] = mod.recipes;
      } catch (e) {
        if (!notInstalled(e, pkg)) throw e;
      }
    }
    const recipes = mergeRecipes(found);
    const zoos = new Map<string, string>();
    for (const [pkg, rs] of Object.entries(found)) for (const name of Object.keys(rs)) zoos.set(name, pkg);
    return { recipes, zoos };
  })();
  return registry;
}

/** The recipe of that name, or null (own properties only: `constructor` is no recipe). */
export async function findRecipe(name: string | undefined): Promise<Recipe<object> | null> {
  if (!name) return null;
  const { recipes } = await installedRecipes();
  return Object.hasOwn(recipes, name) ? recipes[name]! : null;
}

/** What `myelin train <recipe>` adds to the recipe's own options. */
const RUN_FLAGS = [
  { name: 'backend', type: 'enum', values: BACKEND_CHOICES, default: 'best', help: 'where to compute' },
  {
    name: 'out',
    type: 'string',
    default: '',
    help: 'directory for the pictures (PNG), charts (SVG and Vega-Lite JSON) and metrics.json',
  },
] as const satisfies readonly RecipeOption[];

/** The flags of `myelin train <recipe>`: the recipe's declarations, then --backend and --out. */
export function recipeFlags(recipe: Recipe<object>): readonly RecipeOption[] {
  for (const f of RUN_FLAGS)
    if (recipe.options.some((o) => o.name === f.name))
      throw new Error(
        `recipe '${recipe.name}' declares an option '${f.name}', which myelin train reserves for --${flagName(f.name)}`,
      );
  return [...recipe.options, ...RUN_FLAGS];
}

const TRAIN_EVENTS = new Set<string>([
  'fitStart',
  'epochStart',
  'batchEnd',
  'epochEnd',
  'validation',
  'stopped',
  'fitEnd',
]);
const isTrainEvent = (e: ZooEvent): e is TrainEvent => TRAIN_EVENTS.has(e.type);

/** `'test predictions'` → `test-predictions`. */
export function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'figure'
  );
}

/** Write atomically: a reader never sees half a file. */
function writeFile(path: string, data: string | Uint8Array): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, data);
  renameSync(partial, path);
}

/**
 * What every recipe gets as `data`: the image sets, and each zoo's other sources (tables, text
 * corpora) from the Node loaders. A recipe takes the methods it needs and ignores the rest.
 */
function nodeZooData() {
  return { ...classicData(), ...textData(), ...sequenceData(), ...graphData(), ...nodeImageData() };
}

/** The image sets from the Node loaders, each read once per run. */
function nodeImageData() {
  const cache = new Map<string, Promise<ImageSet>>();
  return {
    imageSet(name: DatasetName, split: 'train' | 'test'): Promise<ImageSet> {
      const key = `${name}/${split}`;
      let p = cache.get(key);
      if (!p) {
        p = loadSet(name, split);
        cache.set(key, p);
      }
      return p;
    },
  };
}

/** One progress line for RL runs: the episode, its return and the mean return of the last 100. */
function episodeLine(e: EpisodeEvent, all: readonly EpisodeEvent[]): string {
  const recent = all.slice(-100);
  const mean = recent.reduce((a, x) => a + x.return, 0) / recent.length;
  const parts = [
    `episode ${e.episode + 1}: return ${fmt(e.return)}`,
    `mean of last ${recent.length} ${fmt(mean)}`,
    `length ${e.length}`,
  ];
  if (e.loss !== undefined) parts.push(`loss ${fmt(e.loss)}`);
  if (e.epsilon !== undefined) parts.push(`ε ${fmt(e.epsilon)}`);
  return parts.join(', ');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) >= 100 ? 1 : 4);
}

/** Every episode as a CSV row (what `--out` writes as `episodes.csv`). */
function episodesCsv(episodes: readonly EpisodeEvent[]): string {
  const rows = episodes.map((e) =>
    [e.episode, e.return, e.length, e.loss ?? '', e.epsilon ?? ''].map(String).join(','),
  );
  return `episode,return,length,loss,epsilon\n${rows.join('\n')}\n`;
}

/**
 * A scatter plot of embedded points (the first two coordinates), labelled when the points carry
 * labels and there are few enough to read (≤ 300).
 */
function embeddingChart(title: string, points: NonNullable<EmbeddingEvent['points']>): VegaLiteSpec {
  const [n, d] = points.shape;
  if (d < 2) throw new Error(`embedding '${title}': points need at least 2 coordinates to plot, got ${d}`);
  const values = Array.from({ length: n }, (_, i) => ({
    x: points.data[i * d]!,
    y: points.data[i * d + 1]!,
    label: points.labels?.[i] ?? '',
  }));
  const point = { mark: { type: 'point', filled: true, size: 30 }, encoding: { x: xy('x'), y: xy('y') } };
  const text = {
    mark: { type: 'text', dx: 4, align: 'left', fontSize: 10 },
    encoding: { x: xy('x'), y: xy('y'), text: { field: 'label', type: 'nominal' } },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 420,
    data: { values },
    layer: points.labels && n <= 300 ? [point, text] : [point],
  };
}

function xy(field: 'x' | 'y') {
  return { field, type: 'quantitative', title: field === 'x' ? 'dimension 1' : 'dimension 2' };
}

/**
 * Run a recipe with the progress bar and write what its events carry under `dir` (when given):
 * `samples` as `<title>.png` (+ `<title>.txt`, the captions row by row), chart `figure`s as
 * `<title>.svg` and `<title>.vl.json`, image `figure`s as PNG, `episode` events as `episodes.csv`
 * (and their frames as one PNG strip each), `embedding` events as a scatter SVG and/or a
 * neighbours list, and `metrics.json`.
 */
export async function trainRecipe(
  recipe: Recipe<object>,
  flags: Readonly<Record<string, string | number | boolean>>,
  out: Out,
): Promise<number> {
  const {
    backend: backendName,
    out: dir,
    ...options
  } = flags as Record<string, string | number | boolean> & {
    backend: string;
    out: string;
  };
  if (dir) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new Error(`--out '${dir}': cannot create the directory (${(e as Error).message})`);
    }
  }
  const backend = await selectBackend(backendName);
  const shown = Object.entries(options)
    .map(([k, v]) => `${flagName(k)} ${String(v)}`)
    .join(', ');
  out(`backend ${backend.name}; recipe ${recipe.name} (${recipe.title}); ${shown}\n`);

  const written: string[] = [];
  const used = new Set<string>();
  const fileName = (title: string, epoch: number | undefined, ext: string) => {
    const base = slug(title) + (epoch === undefined ? '' : `-epoch-${epoch + 1}`);
    let name = base;
    for (let i = 2; used.has(`${name}${ext}`); i++) name = `${base}-${i}`;
    used.add(`${name}${ext}`);
    return join(dir, `${name}${ext}`);
  };
  const put = (path: string, data: string | Uint8Array) => {
    writeFile(path, data);
    written.push(path);
  };
  const pending: Promise<void>[] = [];
  const metrics: Record<string, { value: number; unit?: string }> = {};

  const bar = new Subject<TrainEvent>();
  bar
    .pipe(
      progressBar({
        stream: {
          write: (s: string) => out(s),
          isTTY: process.stdout.isTTY,
          columns: process.stdout.columns,
        },
      }),
    )
    .subscribe();
  const handle = (e: ZooEvent) => {
    if (isTrainEvent(e)) {
      bar.next(e);
      return;
    }
    switch (e.type) {
      case 'metric':
        metrics[e.name] = e.unit === undefined ? { value: e.value } : { value: e.value, unit: e.unit };
        out(
          `${e.name}: ${Number.isInteger(e.value) ? e.value : e.value.toFixed(4)}${e.unit ? ` ${e.unit}` : ''}\n`,
        );
        break;
      case 'text':
        out(`${e.title}:\n${e.text}\n`);
        if (dir) put(fileName(e.title, e.epoch, '.txt'), `${e.text}\n`);
        break;
      case 'samples':
        if (!dir) break;
        put(fileName(e.title, e.epoch, '.png'), imageGridPng(e.images));
        if (e.labels) put(fileName(e.title, e.epoch, '.txt'), `${e.labels.join('\n')}\n`);
        break;
      case 'figure':
        if (!dir) break;
        if (e.kind === 'image') put(fileName(e.title, undefined, '.png'), imageGridPng(e.image));
        else {
          const svg = fileName(e.title, undefined, '.svg');
          put(fileName(e.title, undefined, '.vl.json'), `${JSON.stringify(e.spec, null, 2)}\n`);
          pending.push(chartSvg(e.spec).then((s) => put(svg, s)));
        }
        break;
      case 'episode': {
        episodes.push(e);
        const now = performance.now();
        if (now - lastEpisodeLine >= 1000) {
          lastEpisodeLine = now;
          lastPrinted = e;
          out(`${episodeLine(e, episodes)}\n`);
        }
        if (dir && e.frames)
          put(fileName(`episode ${e.episode + 1} frames`, undefined, '.png'), imageGridPng(e.frames));
        break;
      }
      case 'embedding':
        if (e.neighbours) {
          const text = e.neighbours
            .map(
              (n) =>
                `${n.query}: ${n.neighbours.map((m) => `${m.label} ${m.similarity.toFixed(3)}`).join(', ')}`,
            )
            .join('\n');
          out(`${e.title}:\n${text}\n`);
          if (dir) put(fileName(e.title, undefined, '.txt'), `${text}\n`);
        }
        if (dir && e.points) {
          const spec = embeddingChart(e.title, e.points);
          const svg = fileName(e.title, undefined, '.svg');
          put(fileName(e.title, undefined, '.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
          pending.push(chartSvg(spec).then((s) => put(svg, s)));
        }
        break;
      case 'model':
        // the trained weights: load with loadModel(rebuilt, path) from @myelin/core
        if (dir) put(fileName(e.name, undefined, '.safetensors'), e.bytes);
        break;
      default:
        break;
    }
  };
  const episodes: EpisodeEvent[] = [];
  let lastEpisodeLine = Number.NEGATIVE_INFINITY;
  let lastPrinted: EpisodeEvent | null = null;
  const start = performance.now();
  try {
    await lastValueFrom(recipe.run({ ...options, data: nodeZooData() }).pipe(tap(handle)), {
      defaultValue: undefined,
    });
  } finally {
    bar.complete();
  }
  await Promise.all(pending);
  const wallSeconds = (performance.now() - start) / 1000;
  const lastEpisode = episodes.at(-1);
  if (lastEpisode && lastEpisode !== lastPrinted) out(`${episodeLine(lastEpisode, episodes)}\n`);
  if (dir && episodes.length > 0) put(join(dir, 'episodes.csv'), episodesCsv(episodes));
  out(`${recipe.name}: ${wallSeconds.toFixed(1)} s wall on ${backend.name}\n`);
  if (dir) {
    put(
      join(dir, 'metrics.json'),
      `${JSON.stringify({ recipe: recipe.name, backend: backend.name, options, wallSeconds, metrics }, null, 2)}\n`,
    );
    for (const p of written) out(`wrote ${p}\n`);
  }
  return 0;
}

/** The usage error for a name that is neither a model nor a recipe. */
export async function unknownTarget(name: string, models: readonly string[]): Promise<UsageError> {
  const { recipes } = await installedRecipes();
  return new UsageError(
    `train: unknown model or recipe '${name}' (models: ${models.join(', ')}; recipes: ${Object.keys(recipes).join(', ')})`,
  );
}
