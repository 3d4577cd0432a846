import { digitsTable, loadDigits, loadSklearnTable, type SklearnTable } from '@myelin/data/node';

/** The tables @myelin/zoo-classic's recipes read (its `TableName`). */
export type ClassicTableName = 'iris' | 'wine' | 'breast-cancer' | 'digits';

/**
 * The data sources the CLI hands to @myelin/zoo-classic's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts). Each method reads through a `@myelin/data/node` loader:
 * `table(name)` gives sklearn's iris, wine and breast cancer (`loadSklearnTable`) and 8×8 digits
 * (`loadDigits` as a table), each read once per run.
 */
export function classicData() {
  const cache = new Map<ClassicTableName, Promise<SklearnTable>>();
  return {
    table(name: ClassicTableName): Promise<SklearnTable> {
      let p = cache.get(name);
      if (!p) {
        p = name === 'digits' ? loadDigits().then(digitsTable) : loadSklearnTable(name);
        cache.set(name, p);
      }
      return p;
    },
  };
}
