import { libraryConfig } from '../../tsup.library';

// Two entries: `@myelin/zoo-word2vec` runs anywhere (Node or a browser); `/node` adds the loader of
// WordNet's files (fs, child_process). Split so both share one copy of the common code.
export default { ...libraryConfig(['src/index.ts', 'src/node.ts']), splitting: true };
