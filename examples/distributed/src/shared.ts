/**
 * What both ends of the example share: the model (an MLP whose state-dict keys are exactly
 * PyTorch's `nn.Sequential` keys, `0.weight` … `2.bias`), sklearn's 8×8 digits as tensors, and the
 * evaluation. `ddp_train.py` builds the same network in PyTorch.
 */
import { scope, type Tensor, tensor } from '@myelin/core';
import { loadDigits } from '@myelin/data/node';
import { crossEntropy, Linear, ReLU, Sequential } from '@myelin/nn';

export const HIDDEN = 64;

export function buildModel(): Sequential {
  return new Sequential(new Linear(64, HIDDEN), new ReLU(), new Linear(HIDDEN, 10));
}

export interface DigitsTensors {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

/** sklearn's digits, pixels scaled to [0, 1], the package's seeded stratified 75/25 split. */
export async function digitsTensors(): Promise<DigitsTensors> {
  const side = async (split: 'train' | 'test') => {
    const set = await loadDigits({ split });
    const x = Float32Array.from(set.blocks, (v) => v / 16);
    return [
      tensor(x, { shape: [set.count, 64] }),
      tensor(Int32Array.from(set.labels), { shape: [set.count] }),
    ] as const;
  };
  const [xTrain, yTrain] = await side('train');
  const [xTest, yTest] = await side('test');
  return { xTrain, yTrain, xTest, yTest };
}

/** Mean cross-entropy and accuracy of `model` on (x, y). */
export async function evaluate(
  model: Sequential,
  x: Tensor,
  y: Tensor,
): Promise<{ loss: number; accuracy: number }> {
  const [loss, correct] = scope(() => {
    const logits = model.forward(x);
    return [crossEntropy(logits, y), logits.argmax(1).equal(y).cast('float32').mean()];
  });
  const out = { loss: (await loss.data())[0]!, accuracy: (await correct.data())[0]! };
  loss.dispose();
  correct.dispose();
  return out;
}
