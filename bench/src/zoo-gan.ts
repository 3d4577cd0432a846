/**
 * The zoo-gan row: training throughput of `@myelin/zoo-gan`'s DCGAN pair at the `dcgan-mnist`
 * recipe's width 16 (G 347,072 parameters, D 10,080) on Myelin's wasm backend (2 threads), beside
 * PyTorch on the CPU with the same threads (`bench/dcgan_torch.py`). One training step of batch 64:
 * a discriminator step (64 real images and 64 generated, non-saturating loss on logits) and a
 * generator step (64 new images), Adam 2e-4 (β₁ 0.5) on each side; samples/s counts real images.
 *
 *     node bench/dist/index.js dcgan [--min-time=ms]
 *
 * The bench does not depend on `@myelin/zoo-gan` (its package.json lists zoo-cnn only), so the zoo is
 * loaded from its build output beside this package (`packages/zoo-gan/dist`); its `@myelin/core` is
 * the same module as the bench's (pnpm links both to packages/core), so one backend serves both.
 * PyTorch runs in a child process driven over stdin, taking turns with Myelin (`timeTogether`).
 */

import { fileURLToPath } from 'node:url';
import type { Module, Tensor } from '@myelin/core';
import { randomValues } from './harness.js';
import { prepareTrainingRuns, type SuiteLibrary, type TrainingRun, timeTogether } from './suite.js';
import { printRow, ratioOf, rowColumns, startTorch, type TorchChild, torchMissing } from './torch.js';

type Core = typeof import('@myelin/core');

/** Real images per step (the recipe's batch) and per timed run (two steps). */
export const DCGAN_BATCH = 64;
const SAMPLES_PER_RUN = 2 * DCGAN_BATCH;
const WIDTH = 16;
/** Parameters of the width-16 pair: G 100·64·49 + 64·32·16 + 32·16 + batch norms 2·(64 + 32); D 16·16 + 32·16·16 + 2·32 + 32·49. */
const G_PARAMS = 347_072;
const D_PARAMS = 10_080;
const ROUNDS = 3;
const THREADS = 2;

type ZooGan = typeof import('@myelin/zoo-gan');

interface DcganRun extends TrainingRun {
  firstLosses: number[];
}
interface DcganLibrary extends SuiteLibrary {
  train(images: Float32Array): Promise<DcganRun> | DcganRun;
  close?(): void;
}

async function myelinLibrary(): Promise<DcganLibrary | string> {
  const core: Core = await import('@myelin/core');
  const { Adam } = await import('@myelin/optim');
  const zoo: ZooGan = await import('@myelin/zoo-gan');
  const { wasmBackend } = await import('@myelin/backend-wasm');
  const wasm = await wasmBackend({ threads: THREADS });
  return {
    name: `myelin-wasm ${wasm.threads}t`,
    activate: async () => {
      await core.use(wasm);
    },
    train(images) {
      const g = new zoo.DcganGenerator({ width: WIDTH, seed: 1 });
      const d = new zoo.DcganDiscriminator({ width: WIDTH, seed: 2 });
      const count = (m: Module) => m.parameters().reduce((s, p) => s + p.size, 0);
      if (count(g) !== G_PARAMS || count(d) !== D_PARAMS)
        throw new Error(
          `myelin: the DCGAN pair has ${count(g)} + ${count(d)} parameters, expected ${G_PARAMS} + ${D_PARAMS}`,
        );
      const og = new Adam(g.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
      const od = new Adam(d.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
      const trainer = new zoo.GanTrainer(g, d, {
        objective: 'non-saturating',
        generatorOptimizer: og,
        discriminatorOptimizer: od,
        noise: new core.Generator(3),
      });
      const batches: Tensor[] = [];
      for (let s = 0; s < SAMPLES_PER_RUN; s += DCGAN_BATCH)
        batches.push(
          core.keep(
            core.tensor(images.subarray(s * 784, (s + DCGAN_BATCH) * 784), {
              shape: [DCGAN_BATCH, 1, 28, 28],
            }),
          ),
        );
      const firstLosses: number[] = [];
      return {
        samplesPerRun: SAMPLES_PER_RUN,
        firstLosses,
        async run() {
          for (const real of batches) {
            const dl = await trainer.discriminatorStep(real);
            const gl = await trainer.generatorStep(DCGAN_BATCH);
            if (firstLosses.length < 2) firstLosses.push(dl.loss, gl);
          }
        },
        dispose() {
          og.dispose();
          od.dispose();
          g.dispose();
          d.dispose();
          for (const b of batches) b.dispose();
        },
      };
    },
  };
}

const TORCH_SCRIPT = fileURLToPath(new URL('../dcgan_torch.py', import.meta.url));

function torchLibrary(): DcganLibrary | string {
  const missing = torchMissing();
  if (missing) return missing;
  let child: TorchChild | undefined;
  return {
    name: 'pytorch-cpu',
    activate: async () => {},
    async train() {
      const args = ['--threads', String(THREADS), '--batch', String(DCGAN_BATCH)];
      args.push('--samples', String(SAMPLES_PER_RUN), '--width', String(WIDTH));
      const py = startTorch([TORCH_SCRIPT, ...args], THREADS, TORCH_SCRIPT);
      child = py;
      const [gp, dp] = await py.expect('ready');
      if (Number(gp) !== G_PARAMS || Number(dp) !== D_PARAMS)
        throw new Error(
          `pytorch: the DCGAN pair has ${gp} + ${dp} parameters, expected ${G_PARAMS} + ${D_PARAMS}`,
        );
      const firstLosses: number[] = [];
      return {
        samplesPerRun: SAMPLES_PER_RUN,
        firstLosses,
        async run() {
          const [dl, gl] = await py.run();
          if (firstLosses.length < 2) firstLosses.push(Number(dl), Number(gl));
        },
        dispose: () => py.quit(),
      };
    },
    close() {
      child?.kill();
    },
  };
}

export interface DcganResult {
  case: string;
  batch: number;
  samplesPerRun: number;
  /** samples/s (real images through a D step and a G step) per library, or why it has none. */
  samplesPerSecond: Record<string, number | string>;
  /** The first step's D and G losses per library (a sanity check: both near log 4 and log 2 at the start). */
  firstLosses: Record<string, number[]>;
  ratio?: number;
}

/** Run the DCGAN row: Myelin wasm and PyTorch CPU in alternating rounds. */
export async function runDcganBench(options: { minTimeMs: number }): Promise<DcganResult> {
  const name = `DCGAN w${WIDTH} train step (D + G, b${DCGAN_BATCH})`;
  const images = randomValues(SAMPLES_PER_RUN * 784, 41);
  const libs: (DcganLibrary | string)[] = [await myelinLibrary(), torchLibrary()];
  const { runs, prepared } = await prepareTrainingRuns(libs, images);
  const times = await timeTogether(
    { name, unit: 'samples/s', work: SAMPLES_PER_RUN, train: (lib: DcganLibrary) => runs.get(lib)! },
    prepared,
    options.minTimeMs,
    { rounds: ROUNDS, warmupFirstRoundOnly: true },
  );
  const { samplesPerSecond, firstLosses } = rowColumns(prepared, times, runs, ['myelin-wasm', 'pytorch']);
  const [m, pt] = times.map((t) => t.throughput);
  const result: DcganResult = {
    case: name,
    batch: DCGAN_BATCH,
    samplesPerRun: SAMPLES_PER_RUN,
    samplesPerSecond,
    firstLosses,
  };
  const ratio = ratioOf(m, pt);
  if (ratio !== undefined) result.ratio = ratio;
  printRow(name, result, { 'myelin/pytorch': ratio });
  console.log('first D and G losses:');
  for (const [c, l] of Object.entries(result.firstLosses))
    console.log(`  ${c}: ${l.map((v) => v.toFixed(4)).join(' ')}`);
  return result;
}
