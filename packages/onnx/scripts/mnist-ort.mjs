// Test accuracy of an exported MNIST classifier in ONNX Runtime, with the same images and
// preprocessing as `myelin eval` (imageDataset from @myelin/data), next to Myelin's own accuracy
// on the same checkpoint read by `myelin eval`.
//
//   node packages/onnx/scripts/mnist-ort.mjs lenet5.onnx
import { readFileSync } from 'node:fs';
import '@myelin/backend-cpu';
import { imageDataset } from '@myelin/data';
import { loadMnist } from '@myelin/data/node';
import * as ort from 'onnxruntime-node';

const path = process.argv[2];
if (!path) throw new Error('usage: node mnist-ort.mjs MODEL.onnx');
const session = await ort.InferenceSession.create(readFileSync(path));
const set = imageDataset(await loadMnist({ split: 'test' }), { flatten: false });
const batch = 500;
let correct = 0;
const t0 = performance.now();
for (let start = 0; start < set.length; start += batch) {
  const idx = Array.from({ length: Math.min(batch, set.length - start) }, (_, i) => start + i);
  const { x, y } = set.getBatch(idx);
  const out = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [...x.shape]),
  });
  const logits = out[session.outputNames[0]].data;
  const labels = y.dataSync();
  for (let i = 0; i < idx.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
    if (best === labels[i]) correct++;
  }
  x.dispose();
  y.dispose();
}
const ms = performance.now() - t0;
console.log(
  `${path}: ONNX Runtime ${ort.env.versions?.common ?? ''} test accuracy ${((100 * correct) / set.length).toFixed(2)}% on ${set.length} images in ${(ms / 1000).toFixed(1)} s`,
);
