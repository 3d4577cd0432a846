/**
 * Training throughput, side by side: an MLP 784-256-128-10 with ReLU, softmax cross-entropy, Adam
 * (lr 1e-3), batch 128, on the same synthetic data. Myelin: `@myelin/nn` + `@myelin/optim` on the
 * CPU backend, one scope per step. TF.js: `tf.layers` `model.fit` on tfjs-backend-cpu.
 * Reports samples/s over whole epochs after a warm-up epoch.
 */
import { randomValues } from './harness.js';

const BATCH = 128;
const SAMPLES = BATCH * 16;

export interface TrainingResult {
  case: string;
  myelin?: number;
  tfjs?: number;
  ratio?: number;
  error?: string;
}

function data(): { x: Float32Array; labels: Int32Array } {
  const x = randomValues(SAMPLES * 784, 11).map((v) => Math.abs(v));
  const labels = new Int32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) labels[i] = (i * 7919) % 10;
  return { x, labels };
}

async function myelinMlp(epochs: number): Promise<number> {
  const core = await import('@myelin/core');
  const { cpuBackend } = await import('@myelin/backend-cpu');
  const { Linear, ReLU, Sequential, crossEntropy } = await import('@myelin/nn');
  const { Adam } = await import('@myelin/optim');
  await core.use(cpuBackend());
  core.manualSeed(1);
  const model = new Sequential(
    new Linear(784, 256),
    new ReLU(),
    new Linear(256, 128),
    new ReLU(),
    new Linear(128, 10),
  );
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const { x, labels } = data();
  const xs = core.tensor(x, { shape: [SAMPLES, 784] });
  const ys = core.tensor(labels);
  const epoch = () => {
    for (let s = 0; s < SAMPLES; s += BATCH) {
      core.scope(() => {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(xs.slice([s, s + BATCH])), ys.slice([s, s + BATCH]));
        loss.backward();
        opt.step();
        loss.item();
      });
    }
  };
  epoch();
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) epoch();
  const rate = (SAMPLES * epochs) / ((performance.now() - t0) / 1000);
  opt.zeroGrad();
  model.dispose();
  xs.dispose();
  ys.dispose();
  return rate;
}

async function tfjsMlp(epochs: number): Promise<number> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const { x, labels } = data();
  const xs = tf.tensor2d(x, [SAMPLES, 784]);
  const ys = tf.tensor1d(Float32Array.from(labels));
  await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
  const t0 = performance.now();
  await model.fit(xs, ys, { batchSize: BATCH, epochs, shuffle: false, verbose: 0 });
  const rate = (SAMPLES * epochs) / ((performance.now() - t0) / 1000);
  xs.dispose();
  ys.dispose();
  model.dispose();
  return rate;
}

export async function runTraining(filter: string): Promise<TrainingResult[]> {
  const name = 'MLP train 784-256-128-10 Adam b128';
  if (!name.includes(filter)) return [];
  const r: TrainingResult = { case: name };
  try {
    r.myelin = await myelinMlp(3);
    r.tfjs = await tfjsMlp(3);
    r.ratio = r.myelin / r.tfjs;
  } catch (e) {
    r.error = (e as Error).message.split('\n')[0];
  }
  const f = (v?: number) => (v === undefined ? 'n/a' : `${Math.round(v)} samples/s`);
  console.log(
    `${name.padEnd(32)} | ${f(r.myelin).padEnd(16)} | ${f(r.tfjs).padEnd(16)} | ${r.ratio?.toFixed(2) ?? 'n/a'}`,
  );
  if (r.error) console.log(`  failed: ${r.error}`);
  return [r];
}
