import { loadDebianPackageGraph, loadFlare, loadKarateClub, loadLesMiserables } from '@myelin/data/node';

/**
 * The data sources the CLI hands to @myelin/zoo-gnn's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts). Each method reads through a `@myelin/data/node` loader:
 * fetched into the cache with a checked SHA-256 (karate club, Les Misérables, Flare) or the
 * committed snapshot (Debian's package graph).
 */
export function graphData() {
  return {
    /** Zachary's karate club (networkx 2.8.8's copy): 34 members, y = club. */
    karateClub: () => loadKarateClub(),
    /** Les Misérables co-appearances (vega-datasets 3.2.1): 77 characters, y = group. */
    lesMiserables: () => loadLesMiserables(),
    /** Flare's class imports (vega-datasets 3.2.1): 220 classes, y = top-level package. */
    flare: () => loadFlare(),
    /** Debian 12's package dependency graph: x = bag of words of the descriptions, y = section. */
    debianPackages: (options?: { maxNodes?: number; vocabulary?: number }) => loadDebianPackageGraph(options),
  };
}
