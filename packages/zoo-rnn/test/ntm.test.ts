import { readFileSync } from 'node:fs';
import { wasmBackend } from '@myelin/backend-wasm';
import { Generator, getBackend, grad, memory, scope, type Tensor, tensor, use } from '@myelin/core';
import { collectRun, metricOf, parseRecipeOptions, samplesOf } from '@myelin/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bitErrors,
  copyBatch,
  NeuralTuringMachine,
  NTMHead,
  NTMMemory,
  type NtmCopyOptions,
  ntmCopy,
  recipes,
} from '../src/index.js';

/** Golden numbers: tools/gen_ntm_fixtures.py (Graves et al. 2014, Eqs. 2–9, in plain PyTorch 1.13). */
const fx = JSON.parse(readFileSync(new URL('../fixtures/ntm.json', import.meta.url), 'utf8'));
type Flat = { shape: number[]; data: number[] };
const t = (f: Flat) => tensor(Float32Array.from(f.data), { shape: f.shape });

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol * (1 + Math.abs(expected[i]!)));
}

const NAMES = ['memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev', 'erase', 'add'] as const;

function addressing(
  mem: Tensor,
  key: Tensor,
  beta: Tensor,
  gate: Tensor,
  shift: Tensor,
  gamma: Tensor,
  prev: Tensor,
) {
  return NTMMemory.address(mem, { key, beta, gate, shift, gamma }, prev);
}

describe('NTM memory (Graves et al. 2014)', () => {
  it('content, location addressing, read and erase/add write match PyTorch (forward)', async () => {
    const ins = NAMES.map((n) => t(fx.inputs[n]));
    const [mem, key, beta, gate, shift, gamma, prev, erase, add] = ins as [Tensor, ...Tensor[]] as Tensor[];
    const out = scope(() => {
      const w = addressing(mem!, key!, beta!, gate!, shift!, gamma!, prev!);
      return {
        sim: NTMMemory.similarity(mem!, key!),
        w,
        read: NTMMemory.read(mem!, w),
        written: NTMMemory.write(mem!, w, erase!, add!),
      };
    });
    expectClose(await out.sim.data(), fx.similarity.data, 1e-5);
    expectClose(await out.w.data(), fx.weighting.data, 1e-5);
    expectClose(await out.read.data(), fx.read.data, 1e-5);
    expectClose(await out.written.data(), fx.newMemory.data, 1e-5);
    for (const x of [...ins, ...Object.values(out)]) x.dispose();
  });

  it('gradients of a fixed loss reach every input as in PyTorch', async () => {
    const ins = NAMES.map((n) => t(fx.inputs[n]));
    const cr = t(fx.coefficients.read);
    const cm = t(fx.coefficients.memory);
    const cw = t(fx.coefficients.weighting);
    const f = (...a: Tensor[]) => {
      const [mem, key, beta, gate, shift, gamma, prev, erase, add] = a as [
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
      ];
      const w = addressing(mem, key, beta, gate, shift, gamma, prev);
      return NTMMemory.read(mem, w)
        .mul(cr)
        .sum()
        .add(NTMMemory.write(mem, w, erase, add).mul(cm).sum())
        .add(w.mul(cw).sum());
    };
    const grads = grad(f, [0, 1, 2, 3, 4, 5, 6, 7, 8])(...ins) as Tensor[];
    for (const [i, n] of NAMES.entries()) expectClose(await grads[i]!.data(), fx.grads[n].data, 2e-4);
    for (const x of [...ins, ...grads, cr, cm, cw]) x.dispose();
  });

  it('shift and sharpening reproduce the book’s worked example (Aggarwal §12.3)', async () => {
    // β = 0 makes content addressing uniform, g = 0 keeps the previous one-hot weighting at row 3
    // (1-based); s = (0.2, 0.5, 0.3) over shifts (−1, 0, +1) spreads it to [0, .2, .5, .3, 0];
    // γ = 2 squares and renormalises: [0, .04, .25, .09, 0] / .38.
    const mem = tensor(
      Float32Array.from({ length: 10 }, (_, i) => i + 1),
      { shape: [1, 5, 2] },
    );
    const w = scope(() =>
      addressing(
        mem,
        tensor([[1, 0]]),
        tensor([[0]]),
        tensor([[0]]),
        tensor([[0.2, 0.5, 0.3]]),
        tensor([[2]]),
        tensor([[0, 0, 1, 0, 0]]),
      ),
    );
    expectClose(await w.data(), [0, 0.04 / 0.38, 0.25 / 0.38, 0.09 / 0.38, 0], 1e-5);
    w.dispose();
    mem.dispose();
  });

  it('rejects wrong shapes with the function’s name and the shapes', () => {
    const mem = tensor(new Float32Array(12), { shape: [1, 3, 4] });
    const w = tensor([[1, 0]]);
    expect(() => NTMMemory.read(mem, w)).toThrow('NTMMemory.read: weighting must be [1, 3], got [1, 2]');
    expect(() => NTMMemory.read(w, w)).toThrow('NTMMemory.read: memory must be [batch, N, M], got [1, 2]');
    expect(() => new NTMHead('copy' as 'read', 4, 4)).toThrow("NTMHead: mode must be 'read' or 'write'");
    expect(() => new NeuralTuringMachine({ inputSize: 0, outputSize: 2 })).toThrow(
      'NeuralTuringMachine: inputSize must be a positive integer, got 0',
    );
    const ntm = new NeuralTuringMachine({
      inputSize: 3,
      outputSize: 2,
      memorySize: 4,
      memoryWidth: 2,
      hiddenSize: 4,
    });
    expect(() => ntm.forward(tensor(new Float32Array(8), { shape: [1, 2, 4] }))).toThrow(
      'NeuralTuringMachine: input must be [batch, steps, 3], got [1, 2, 4]',
    );
    expect(() => copyBatch(new Generator(1), 2, 3, 2)).toThrow('copyBatch: lengths must be integers');
    expect(() => bitErrors([1, 2], [1], 1)).toThrow('bitErrors: 2 logits for 1 target bits');
    ntm.dispose();
    mem.dispose();
    w.dispose();
  });

  it('an NTM names its parameters as PyTorch modules would, and runs batch 1 over one step', async () => {
    const ntm = new NeuralTuringMachine({
      inputSize: 3,
      outputSize: 2,
      memorySize: 4,
      memoryWidth: 2,
      hiddenSize: 5,
      seed: 3,
    });
    expect(ntm.namedParameters().map(([n]) => n)).toEqual([
      'controller.weight_ih',
      'controller.weight_hh',
      'controller.bias_ih',
      'controller.bias_hh',
      'heads.0.fc.weight',
      'heads.0.fc.bias',
      'heads.1.fc.weight',
      'heads.1.fc.bias',
      'fc.weight',
      'fc.bias',
    ]);
    const x = tensor(new Float32Array([1, 0, 1]), { shape: [1, 1, 3] });
    const out = scope(() => ntm.forward(x, { record: true }));
    expect(out.logits.shape).toEqual([1, 1, 2]);
    expect(out.writes!.shape).toEqual([1, 1, 4]);
    const twin = new NeuralTuringMachine({
      inputSize: 3,
      outputSize: 2,
      memorySize: 4,
      memoryWidth: 2,
      hiddenSize: 5,
      seed: 3,
    });
    const again = scope(() => twin.forward(x).logits);
    expect(Array.from(await again.data())).toEqual(Array.from(await out.logits.data())); // same seed, same model
    again.dispose();
    twin.dispose();
    const w = await out.writes!.data();
    expect(Array.from(w).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const v of [out.logits, out.reads!, out.writes!, x]) v.dispose();
    ntm.dispose();
  });

  it('copy batches: bits, a delimiter, blanks', async () => {
    const b = copyBatch(new Generator(4), 2, 3, 3, 8);
    expect(b.x.shape).toEqual([2, 7, 9]);
    expect(b.y.shape).toEqual([2, 3, 8]);
    const x = await b.x.data();
    expect(x[3 * 9 + 8]).toBe(1); // the delimiter channel at step L
    expect(Array.from(x.subarray(4 * 9, 7 * 9)).every((v) => v === 0)).toBe(true);
    expect(Array.from(x.subarray(0, 8))).toEqual(Array.from(b.bits.subarray(0, 8)));
    b.x.dispose();
    b.y.dispose();
  });
});

describe('ntm-copy recipe', () => {
  // Trained on the wasm backend (the fast one): the test's time limit is for a loaded 2-core machine.
  let previous: ReturnType<typeof getBackend>;
  beforeAll(async () => {
    previous = getBackend();
    await use(wasmBackend());
  });
  afterAll(async () => {
    await use(previous);
  });

  it('is registered with its declared options', () => {
    expect(recipes['ntm-copy']).toBe(ntmCopy);
  });

  it('trains a small NTM on lengths 1–5 to well under chance (< 8 of 12 bits wrong per sequence), memory-flat', async () => {
    const o = parseRecipeOptions(ntmCopy.options, {
      steps: process.env.NTM_STEPS ?? '150',
      lr: process.env.NTM_LR ?? '0.01',
      batchSize: process.env.NTM_BATCH ?? '64',
      maxLength: '5',
      testLength: '8',
      memorySize: '16',
      memoryWidth: '8',
      hiddenSize: '32',
      evalEvery: '75',
      evalSequences: '32',
      baseline: 'false',
    }) as unknown as NtmCopyOptions;
    const before = memory().tensors;
    const run = await collectRun(ntmCopy.run(o));
    console.log(
      run.seconds,
      run.events.filter((e) => e.type === 'validation'),
    );
    // Chance is 12 bits per sequence (lengths 1–5, 8 bits, half wrong); 150 batches bring it below 8.
    // (The paper's < 1 bit takes far more batches than a fast test affords: see the README.)
    expect(metricOf(run.events, 'NTM bit errors')!).toBeLessThan(8);
    expect(
      samplesOf(run.events, 'NTM weightings over time (length 5; memory rows down, steps across)'),
    ).toBeDefined();
    expect(new Set(run.atEpochEnd).size).toBe(1);
    expect(memory().tensors).toBe(before);
  });
});
