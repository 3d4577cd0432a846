import { Adam, CosineAnnealingLR } from '@myelin/optim';
import { defineRecipe, type OptionValues, type Recipe } from '@myelin/train';
import { LeNet5 } from '../lenet.js';
import { type ClassifierOptions, commonOptions, trainClassifier } from './classifier.js';
import type { RecipeData } from './data.js';

const options = [
  { name: 'epochs', type: 'integer', default: 10, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.001,
    min: 1e-8,
    help: "Adam's initial learning rate, annealed to 0 along a cosine over the epochs",
  },
  ...commonOptions('train on the first N of the 60,000 training images (0: all)'),
] as const;

export type Lenet5MnistOptions = OptionValues<typeof options> & RecipeData;

/**
 * `lenet5-mnist`: LeNet-5 (`lenet5()`) on MNIST with Adam (lr 1e-3, batch 64, as `pnpm demo`),
 * the learning rate annealed along a cosine to 0 over 10 epochs; no augmentation.
 */
export const lenet5Mnist: Recipe<Lenet5MnistOptions> = defineRecipe({
  name: 'lenet5-mnist',
  title: 'LeNet-5 on MNIST',
  description:
    'LeNet-5 (61,706 parameters) on the 60,000 MNIST training digits: Adam, lr 0.001 annealed ' +
    'along a cosine over 10 epochs, batch 64. Reaches ≥ 99.0% on the 10,000 test digits.',
  family: 'cnn',
  options,
  run: (o: Lenet5MnistOptions) =>
    trainClassifier(
      {
        recipe: 'lenet5-mnist',
        dataset: 'mnist',
        arch: 'lenet5',
        config: { seed: o.seed },
        build: () => new LeNet5({ seed: o.seed }),
        optimize: (model) => {
          const optimizer = new Adam(model.parameters(), { lr: o.lr });
          return { optimizer, scheduler: new CosineAnnealingLR(optimizer, { Tmax: o.epochs }) };
        },
      },
      o satisfies ClassifierOptions,
    ),
});
