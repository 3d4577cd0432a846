/**
 * The data sources the CLI hands to @myelin/zoo-classic's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts). Each method reads through a `@myelin/data/node` loader.
 */
export function classicData(): object {
  return {};
}
