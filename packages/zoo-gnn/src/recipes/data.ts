import type { Graph } from '@myelin/data';

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
