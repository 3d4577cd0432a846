import { type ImageSet, imageDataset } from '@myelin/data';
import { loadFashionMnist, loadMnist } from '@myelin/data/node';
import type { DatasetName, ModelSpec } from './models.js';

export async function loadSet(dataset: DatasetName, split: 'train' | 'test'): Promise<ImageSet> {
  return dataset === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split });
}

/** The first `limit` images (0: all). */
export function limitSet(set: ImageSet, limit: number): ImageSet {
  if (limit <= 0 || limit >= set.count) return set;
  const px = set.rows * set.cols;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * px),
    labels: set.labels.subarray(0, limit),
  };
}

/** The images as the model takes them. */
export function datasetFor(set: ImageSet, spec: ModelSpec) {
  return imageDataset(set, { flatten: spec.input === 'flat' });
}
