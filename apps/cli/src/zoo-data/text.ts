/**
 * The data sources the CLI hands to @myelin/zoo-word2vec's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts). Each method reads through a `@myelin/data/node` loader.
 */
export function textData(): object {
  return {};
}
