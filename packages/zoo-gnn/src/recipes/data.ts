import { Generator } from '@myelin/core';
import type { Graph } from '@myelin/data';
import type { RecipeContext } from '@myelin/train';
import { releaseGraph } from '../layers/graph.js';

/** A real graph with node names: what the small-graph loaders of `@myelin/data/node` give. */
export interface NamedGraph {
  /** y = the ground-truth groups (karate: the club each member joined; Les Misérables: vega's group). */
  graph: Graph;
  names: readonly string[];
}

/** Debian's package graph as `loadDebianPackageGraph` gives it. */
export interface DebianGraphData extends NamedGraph {
  sections: readonly string[];
  vocabulary: readonly string[];
}

/**
 * Where the zoo-gnn recipes get their graphs: `myelin train` passes the `@myelin/data/node`
 * loaders (apps/cli/src/zoo-data/graph.ts); a test or a page passes its own.
 */
export interface GraphSource {
  /** Zachary's karate club: 34 members, 78 friendships, y = club (0 Mr. Hi, 1 Officer). */
  karateClub(): Promise<NamedGraph>;
  /** Les Misérables co-appearances: 77 characters, weighted edges, y = group. */
  lesMiserables(): Promise<NamedGraph>;
  /** Flare's class imports: 220 classes, y = top-level package. */
  flare(): Promise<NamedGraph>;
  /** Debian 12's package dependency graph (x = bag of words, y = section). */
  debianPackages(options?: { maxNodes?: number; vocabulary?: number }): Promise<DebianGraphData>;
}

/** The `data` field every zoo-gnn recipe takes. */
export interface RecipeData {
  data?: Partial<GraphSource>;
}

/** The named method of the data source, or an error saying how to give one. */
export function source<K extends keyof GraphSource>(
  recipe: string,
  data: Partial<GraphSource> | undefined,
  key: K,
): GraphSource[K] {
  const fn = data?.[key];
  if (typeof fn !== 'function')
    throw new TypeError(
      `${recipe}: no data source: pass { data: { ${key}: … } } (myelin train passes the @myelin/data/node loaders)`,
    );
  return fn.bind(data) as GraphSource[K];
}

/** Debian's package graph taken both ways, with its labels and one seeded node split. */
export interface PackageGraphSplit {
  graph: Graph;
  sections: readonly string[];
  labels: Int32Array;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/**
 * Load Debian's package graph through `data.debianPackages`, make it undirected (a package's
 * section shows in what it depends on and in what depends on it) and split its nodes by one seeded
 * permutation: `trainFraction` to train, 10 % to validate, the rest to test. The graphs are freed
 * when the run ends.
 */
export async function packageGraphSplit(
  recipe: string,
  ctx: RecipeContext,
  o: RecipeData & { maxNodes: number; vocabulary: number; seed: number; trainFraction: number },
): Promise<PackageGraphSplit> {
  const { graph: directed, sections } = await source(
    recipe,
    o.data,
    'debianPackages',
  )({
    maxNodes: o.maxNodes,
    vocabulary: o.vocabulary,
  });
  ctx.onEnd(() => directed.dispose());
  const graph = directed.toUndirected();
  ctx.onEnd(() => graph.dispose());
  ctx.onEnd(() => releaseGraph(graph));
  if (!graph.x || !graph.y) throw new TypeError(`${recipe}: the package graph needs x and y`);
  const n = graph.numNodes;
  const labels = Int32Array.from(await graph.y.data());
  const order = new Generator(o.seed).permutation(n);
  const nTrain = Math.round(o.trainFraction * n);
  const nVal = Math.round(0.1 * n);
  return {
    graph,
    sections,
    labels,
    train: order.slice(0, nTrain),
    val: order.slice(nTrain, nTrain + nVal),
    test: order.slice(nTrain + nVal),
  };
}
