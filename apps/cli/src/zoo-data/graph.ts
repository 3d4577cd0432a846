/**
 * The data sources the CLI hands to @myelin/zoo-gnn's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts).
 */
export function graphData() {
  return {};
}
