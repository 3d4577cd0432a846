import { type Backend, Generator, memory, tensor, use } from '@myelin/core';
import { Vocabulary } from '@myelin/data';
import { loadMobyDick } from '@myelin/data/node';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCorpus, sentencesOf, sgnsBatch, sgnsTensorStep, unigramTable } from '../src/index.js';
import { maxDiff } from './fixtures.js';

/*
 * The batched skip-gram step on the webgpu backend: Dawn (Node's `webgpu` package, as
 * packages/backend-webgpu's own tests obtain it) over OpenGL on Mesa llvmpipe, the adapter a
 * GPU-less Linux machine has. The same batches from the same seed train on cpu and on webgpu;
 * the tables must agree to float32 tolerance. Without a WebGPU adapter the case is reported as skipped with why.
 */
const cpu = await import('@myelin/backend-cpu').then((m) => m.cpuBackend());
let gpu: Backend | null = null;
let reason = '';
try {
  const m = await import('@myelin/backend-webgpu');
  gpu = await m.webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

afterAll(async () => {
  await use(cpu);
});

/** Train `steps` batches from `seed` on the current backend; the tables and the losses. */
async function train(
  corpus: ReturnType<typeof encodeCorpus>,
  cum: Uint32Array,
  V: number,
  D: number,
  steps: number,
): Promise<{ input: Float32Array; output: Float32Array; losses: number[]; live: number[] }> {
  const init = new Generator(7).uniform(V * D);
  for (let i = 0; i < init.length; i++) init[i] = (init[i]! - 0.5) / D; // word2vec's initial vectors
  let tables = {
    input: tensor(init, { shape: [V, D] }),
    output: tensor(new Float32Array(V * D), { shape: [V, D] }),
  };
  const g = new Generator(11);
  const losses: number[] = [];
  const live: number[] = [];
  for (let s = 0; s < steps; s++) {
    const batch = sgnsBatch(corpus, cum, { size: 128, window: 5, negative: 5 }, g);
    const r = sgnsTensorStep(tables, batch, 0.15);
    tables = r.tables;
    losses.push((await r.loss.data())[0]!);
    r.loss.dispose();
    live.push(memory().tensors);
  }
  const input = (await tables.input.data()) as Float32Array;
  const output = (await tables.output.data()) as Float32Array;
  tables.input.dispose();
  tables.output.dispose();
  return { input: Float32Array.from(input), output: Float32Array.from(output), losses, live };
}

const title = 'the batched SGNS step on webgpu (Dawn, Mesa llvmpipe) matches cpu';
if (gpu) {
  const device = gpu;
  describe(title, () => {
    it('trains 30 steps on Moby Dick to the same tables and losses as cpu, memory flat', async () => {
      const sentences = sentencesOf((await loadMobyDick()).split(/\r?\n\s*\r?\n/));
      const vocab = Vocabulary.build(sentences, { minCount: 50 });
      const corpus = encodeCorpus(vocab, sentences);
      const cum = unigramTable(vocab.counts);
      const V = vocab.size;
      const D = 16;
      await use(cpu);
      const onCpu = await train(corpus, cum, V, D, 30);
      await use(device);
      const onGpu = await train(corpus, cum, V, D, 30);
      await use(cpu);
      // Same seed, same batches: the same tables within float32 rounding (sums in another order).
      expect(maxDiff(onGpu.input, onCpu.input)).toBeLessThan(1e-4);
      expect(maxDiff(onGpu.output, onCpu.output)).toBeLessThan(1e-4);
      expect(maxDiff(onGpu.losses, onCpu.losses)).toBeLessThan(1e-4);
      // It learns: the first loss is 6·ln 2 (output vectors start at zero), the last well below.
      expect(onGpu.losses[0]).toBeCloseTo(6 * Math.LN2, 4);
      const tail = onGpu.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
      expect(tail).toBeLessThan(0.85 * onGpu.losses[0]!);
      // Memory flat: the same live tensors after every step.
      expect(new Set(onGpu.live.slice(1)).size).toBe(1);
      expect(new Set(onCpu.live.slice(1)).size).toBe(1);
    });
  });
} else {
  describe(title, () => {
    it.skip(`skipped: no WebGPU adapter here (${reason})`, () => {});
  });
}
