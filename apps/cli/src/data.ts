import { type ImageSet, imageDataset } from '@myelin/data';
import { loadFashionMnist, loadMnist } from '@myelin/data/node';
import type { DatasetName, ModelSpec } from './models.js';

export async function loadSet(dataset: DatasetName, split: 'train' | 'test'): Promise<ImageSet> {
  return dataset === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split });
}

/** The images as the model takes them. */
export function datasetFor(set: ImageSet, spec: ModelSpec) {
  return imageDataset(set, { flatten: spec.input === 'flat' });
}
