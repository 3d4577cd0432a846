import { loadAnalogyPairs, loadImdbReviews, loadMobyDick } from '@myelin/data/node';

/**
 * The data sources the CLI hands to @myelin/zoo-word2vec's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts). Each method reads through a `@myelin/data/node` loader.
 */
export function textData() {
  return {
    /** The corpus as documents: IMDB's 50,000 reviews, or Moby Dick's paragraphs. */
    async corpus(name: 'imdb' | 'moby-dick'): Promise<string[]> {
      if (name === 'imdb') return (await loadImdbReviews()).texts;
      if (name === 'moby-dick') return (await loadMobyDick()).split(/\r?\n\s*\r?\n/);
      throw new RangeError(
        `textData.corpus: unknown corpus ${JSON.stringify(name)}; expected 'imdb' or 'moby-dick'`,
      );
    },
    /** Analogy pairs from Debian's miscfiles and wamerican. */
    analogies: () => loadAnalogyPairs(),
  };
}
