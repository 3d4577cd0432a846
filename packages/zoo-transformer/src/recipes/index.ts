import type { RecipeRegistry } from '@myelin/train';
import { bertImdb } from './bert-imdb.js';
import { gptMobyDick } from './gpt-moby-dick.js';
import { transformerDates } from './transformer-dates.js';
import { vitMnist } from './vit-mnist.js';

export { type BertImdbOptions, bertImdb, cleanReview, frameReview } from './bert-imdb.js';
export type { TransformerData, TransformerRecipeData } from './common.js';
export { type GptMobyDickOptions, gptMobyDick, slidingNll, unigramBits } from './gpt-moby-dick.js';
export { type TransformerDatesOptions, transformerDates } from './transformer-dates.js';
export { type VitMnistOptions, vitMnist } from './vit-mnist.js';

/** Every recipe of @myelin/zoo-transformer, by name. */
export const recipes: RecipeRegistry = {
  'bert-imdb': bertImdb,
  'gpt-moby-dick': gptMobyDick,
  'transformer-dates': transformerDates,
  'vit-mnist': vitMnist,
};
