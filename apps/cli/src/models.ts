import type { Module, Tensor } from '@myelin/core';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@myelin/nn';

export interface ModelSpec {
  description: string;
  /** 'image' models take [N, 1, 28, 28]; 'flat' ones [N, 784]. */
  input: 'image' | 'flat';
  build(classes: number): Module & { forward(x: Tensor): Tensor };
}

/** What `myelin train` can train. A Map, so a name like 'constructor' or '__proto__' finds nothing. */
export const MODELS: ReadonlyMap<string, ModelSpec> = new Map(
  Object.entries({
    lenet5: {
      description: 'LeNet-5: conv 6@5×5 pad 2, max-pool, conv 16@5×5, max-pool, 120, 84, classes (ReLU)',
      input: 'image',
      build: (classes) =>
        new Sequential(
          new Conv2d(1, 6, 5, { padding: 2 }),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(6, 16, 5),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(400, 120),
          new ReLU(),
          new Linear(120, 84),
          new ReLU(),
          new Linear(84, classes),
        ),
    },
    mlp: {
      description: 'MLP 784-256-128-classes (ReLU)',
      input: 'flat',
      build: (classes) =>
        new Sequential(
          new Linear(784, 256),
          new ReLU(),
          new Linear(256, 128),
          new ReLU(),
          new Linear(128, classes),
        ),
    },
    'mlp-deep': {
      description: 'MLP 784-256-128-64-classes (ReLU)',
      input: 'flat',
      build: (classes) =>
        new Sequential(
          new Linear(784, 256),
          new ReLU(),
          new Linear(256, 128),
          new ReLU(),
          new Linear(128, 64),
          new ReLU(),
          new Linear(64, classes),
        ),
    },
  } satisfies Record<string, ModelSpec>),
);

/** The model named `name`, or an error listing the ones there are. */
export function findModel(name: string | undefined, where = 'model'): ModelSpec {
  if (!name) throw new Error(`which model? (available: ${[...MODELS.keys()].join(', ')})`);
  const spec = MODELS.get(name);
  if (!spec) throw unknown(where, name, [...MODELS.keys()]);
  return spec;
}

export const DATASETS = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

export function unknown(kind: string, name: string, known: readonly string[]): Error {
  return new Error(`unknown ${kind} '${name}' (available: ${known.join(', ')})`);
}
