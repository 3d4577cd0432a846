import { noGrad, rand, scope, type Tensor, zeros } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { describe, expect, test } from 'vitest';
import {
  alexnetSmall,
  densenetSmall,
  describeInput,
  googlenet,
  googlenetSmall,
  type ImageClassifier,
  lenet5,
  resnet18,
  resnetSmall,
  seResnetSmall,
  vggSmall,
} from '../src/index.js';

const SMALL: Record<string, () => ImageClassifier> = {
  lenet5: () => lenet5(),
  alexnet_small: () => alexnetSmall(),
  vgg_small_bn: () => vggSmall(),
  vgg_small: () => vggSmall({ batchNorm: false }),
  resnet_small: () => resnetSmall(),
  se_resnet_small: () => seResnetSmall(),
  googlenet_small: () => googlenetSmall(),
  densenet_small: () => densenetSmall(),
};

/** Shapes a model must reject, generated from what it declares: other channel counts, one pixel too small or off-size, other ranks. */
function badShapes(m: ImageClassifier): number[][] {
  const { channels, size, minSize } = m.input;
  const [h, w] = size ?? minSize ?? [1, 1];
  const out: number[][] = [
    [2, channels + 1, h, w],
    [2, channels + 2, h, w],
    [channels, h, w],
    [1, 1, channels, h, w],
  ];
  if (channels > 1) out.push([2, channels - 1, h, w]);
  if (h > 1) out.push([2, channels, h - 1, w]);
  if (w > 1) out.push([2, channels, h, w - 1]);
  if (size) out.push([2, channels, h + 1, w], [2, channels, h, w + 1]);
  return out;
}

describe('an image batch of the wrong size or channel count says what the model expects', () => {
  test('resnet18 given MNIST-shaped images', () => {
    const net = resnet18();
    try {
      expect(() => net.forward(zeros([2, 1, 28, 28]))).toThrow(
        'resnet18: expected input [N, 3, H, W] with H, W ≥ 1, got [2, 1, 28, 28]',
      );
    } finally {
      net.dispose();
    }
  });

  test("googlenet below torchvision's min_size of 15; aux logits only in training", () => {
    const net = googlenet();
    try {
      expect(() => net.forward(zeros([1, 3, 14, 20]))).toThrow(
        'googlenet: expected input [N, 3, H, W] with H, W ≥ 15, got [1, 3, 14, 20]',
      );
      // At the minimum itself every layer still has an output.
      expect(noGrad(() => scope(() => net.eval().forward(zeros([1, 3, 15, 15])).shape))).toEqual([1, 1000]);
      const shapes = (train: boolean) =>
        noGrad(() =>
          scope(() => {
            const o = net.train(train).forwardWithAux(rand([2, 3, 32, 32], { seed: 2 }));
            return [o.logits.shape, o.aux1?.shape ?? null, o.aux2?.shape ?? null];
          }),
        );
      expect(shapes(true)).toEqual([
        [2, 1000],
        [2, 1000],
        [2, 1000],
      ]);
      expect(shapes(false)).toEqual([[2, 1000], null, null]);
    } finally {
      net.dispose();
    }
  });

  for (const [name, build] of Object.entries(SMALL)) {
    test(`${name}: rejects generated bad shapes, runs at its smallest input and at 28×28`, () => {
      const m = build();
      try {
        expect(m.arch).toBe(name);
        for (const shape of badShapes(m))
          expect(() => m.forward(zeros(shape)), JSON.stringify(shape)).toThrow(
            `${name}: expected input ${describeInput(m.input)}, got [${shape.join(', ')}]`,
          );
        m.eval();
        const [h, w] = m.input.size ?? m.input.minSize!;
        for (const shape of [
          [1, m.input.channels, h, w],
          [2, m.input.channels, 28, 28],
        ])
          expect(noGrad(() => scope(() => m.forward(zeros(shape)).shape))).toEqual([shape[0], 10]);
      } finally {
        m.dispose();
      }
    });
  }
});

describe('a state dict with missing, extra or mis-shaped tensors names each one', () => {
  test('resnet_small', () => {
    const src = resnetSmall();
    const dst = resnetSmall();
    try {
      const state: Record<string, Tensor> = { ...src.stateDict() };
      delete state['layer2.0.downsample.0.weight'];
      delete state['bn1.running_var'];
      state['layer9.0.conv1.weight'] = zeros([3, 3]);
      state['fc.weight'] = zeros([10, 64]);
      let message = '';
      try {
        dst.loadStateDict(state);
      } catch (e) {
        message = (e as Error).message;
      }
      for (const part of [
        'missing: ',
        'layer2.0.downsample.0.weight',
        'bn1.running_var',
        'unexpected: layer9.0.conv1.weight',
        'fc.weight: expected [10,128], got [10,64]',
      ])
        expect(message).toContain(part);
      state['layer9.0.conv1.weight']!.dispose();
      state['fc.weight']!.dispose();
    } finally {
      src.dispose();
      dst.dispose();
    }
  });
});

describe('the 28×28 variants train', () => {
  for (const [name, build] of Object.entries(SMALL)) {
    test(`${name}: one training step gives every parameter a finite gradient`, async () => {
      const m = build();
      try {
        m.train();
        const x = rand([4, m.input.channels, 28, 28], { seed: 1 });
        await scope(async () => {
          const loss = crossEntropy(m.forward(x), zeros([4], { dtype: 'int32' }));
          loss.backward();
          for (const [k, p] of m.namedParameters()) {
            expect(p.grad, k).not.toBeNull();
            const g = await p.grad!.data();
            expect(g.every(Number.isFinite), k).toBe(true);
          }
        });
        x.dispose();
      } finally {
        m.zeroGrad();
        m.dispose();
      }
    });
  }
});

describe('builder options are checked', () => {
  test('numClasses, inChannels and layers name the builder and the option', () => {
    expect(() => resnetSmall({ numClasses: 0 })).toThrow(
      'resnet_small: numClasses must be a positive integer, got 0',
    );
    expect(() => vggSmall({ inChannels: 1.5 })).toThrow(
      'vgg_small_bn: inChannels must be a positive integer, got 1.5',
    );
    expect(() => resnetSmall({ layers: [] })).toThrow(
      'resnet_small: layers must list one to four stages, got []',
    );
    expect(() => densenetSmall({ growthRate: -1 })).toThrow(
      'densenet_small: growthRate must be a positive integer',
    );
  });

  test('numClasses and inChannels change the first and last layers', () => {
    const m = resnetSmall({ numClasses: 7, inChannels: 3, width: 8 });
    try {
      expect(m.conv1.weight.shape).toEqual([8, 3, 3, 3]);
      expect(m.fc.weight.shape).toEqual([7, 32]);
    } finally {
      m.dispose();
    }
  });
});
