import { loadImdbReviews, loadSeries } from '@myelin/data/node';

/**
 * The data sources the CLI hands to @myelin/zoo-rnn's recipes (merged into every recipe's `data`
 * by `nodeZooData` in ../recipes.ts; `corpus` and `imageSet` come from the text and image sources).
 */
export function sequenceData() {
  return {
    /** The 50,000 labelled IMDB reviews: texts and 1 = positive, 0 = negative. */
    imdb: () => loadImdbReviews(),
    /** Monthly airline passengers or yearly sunspots from Debian's python3-statsmodels. */
    series: (name: 'airline' | 'sunspots') => loadSeries(name),
  };
}
