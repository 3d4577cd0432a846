import { compose, randomCrop, randomHorizontalFlip } from '@myelin/data';
import { CosineAnnealingLR, SGD } from '@myelin/optim';
import { defineRecipe, type OptionValues, type Recipe } from '@myelin/train';
import { resnetSmall } from '../resnet.js';
import { type ClassifierOptions, commonOptions, trainClassifier } from './classifier.js';
import type { RecipeData } from './data.js';

const options = [
  { name: 'epochs', type: 'integer', default: 30, min: 1, help: 'passes over the training images' },
  // 64, not 128: a batch of 128 28×28 ResNet activations and their gradients overflows the wasm
  // backend's 2 GiB memory today.
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.05,
    min: 1e-8,
    help: 'initial learning rate of SGD (Nesterov momentum 0.9), annealed to 0 along a cosine',
  },
  { name: 'weightDecay', type: 'number', default: 5e-4, min: 0, help: 'L2 penalty on every weight' },
  {
    name: 'width',
    type: 'integer',
    default: 32,
    min: 1,
    help: 'channels of the first stage (doubled per stage)',
  },
  {
    name: 'padding',
    type: 'integer',
    default: 2,
    min: 0,
    max: 14,
    help: 'random crop: zero padding on each side',
  },
  { name: 'flip', type: 'boolean', default: true, help: 'random horizontal flips' },
  ...commonOptions('train on the first N of the 60,000 training images (0: all)'),
] as const;

export type ResnetFashionOptions = OptionValues<typeof options> & RecipeData;

/**
 * `resnet-fashion`: the 28×28 ResNet (`resnetSmall()`, BasicBlocks [2, 2, 2] at 32/64/128
 * channels) on Fashion-MNIST with random-crop-with-padding and horizontal-flip augmentation, SGD
 * with Nesterov momentum and weight decay, the learning rate annealed along a cosine.
 */
export const resnetFashion: Recipe<ResnetFashionOptions> = defineRecipe({
  name: 'resnet-fashion',
  title: 'ResNet (28×28) on Fashion-MNIST',
  description:
    'The small ResNet (696,042 parameters) on the 60,000 Fashion-MNIST training images, each ' +
    'randomly cropped after 2-pixel padding and flipped left–right: SGD, Nesterov momentum 0.9, ' +
    'lr 0.05 annealed along a cosine over 30 epochs, weight decay 5e-4, batch 64. Aims at ≥ 93% on ' +
    'the 10,000 test images.',
  family: 'cnn',
  options,
  run: (o: ResnetFashionOptions) =>
    trainClassifier(
      {
        recipe: 'resnet-fashion',
        dataset: 'fashion-mnist',
        arch: 'resnetSmall',
        config: { seed: o.seed, width: o.width },
        build: () => resnetSmall({ seed: o.seed, width: o.width }),
        optimize: (model) => {
          const optimizer = new SGD(model.parameters(), {
            lr: o.lr,
            momentum: 0.9,
            nesterov: true,
            weightDecay: o.weightDecay,
          });
          return { optimizer, scheduler: new CosineAnnealingLR(optimizer, { Tmax: o.epochs }) };
        },
        // Separate seeds for the two draws, both from the run's seed.
        augment: compose(
          randomCrop(28, { padding: o.padding, seed: o.seed * 2 + 1 }),
          ...(o.flip ? [randomHorizontalFlip({ seed: o.seed * 2 + 2 })] : []),
        ),
      },
      o satisfies ClassifierOptions,
    ),
});
