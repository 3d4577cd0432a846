import { readFileSync } from 'node:fs';
import { cpuBackend } from '@myelin/backend-cpu';
import { Module, memory, noGrad, randn, type Tensor, tensor, use } from '@myelin/core';
import { ConvTranspose2d } from '@myelin/nn';
import type onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, test } from 'vitest';
import { mutateBytes, runFuzz } from '../../../tools/fuzz-kit.mjs';
import { exportOnnx, IMPORTABLE_OPS, importOnnx, onnx } from '../src/index.js';
import { maxAbsDiff, runOrt } from './helpers.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture {
  opset: number;
  model: string;
  cases: { inputs: Record<string, Arr>; outputs: Record<string, Arr> }[];
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/torch_${name}.json`, import.meta.url), 'utf8')) as Fixture;
const bytesOf = (f: Fixture) => new Uint8Array(Buffer.from(f.model, 'base64'));
const opTypes = (bytes: Uint8Array) =>
  new Set((onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType));

beforeAll(async () => {
  await use(cpuBackend());
});

// Each fixture: a PyTorch 1.13 model exported by torch.onnx.export (opset 17), or (auto_pad) a
// hand-built graph, with PyTorch's outputs at batch 1 and 3; `ops` are the op types it must contain.
const CASES: [string, string[]][] = [
  ['gru', ['GRU']],
  ['rnn', ['RNN']],
  ['convt', ['ConvTranspose']],
  ['conv1d', ['Conv', 'MaxPool', 'AveragePool']],
  ['conv3d', ['Conv', 'MaxPool', 'AveragePool']],
  ['auto_pad', ['Conv', 'MaxPool']],
];

describe('wider import: outputs match PyTorch within 1e-4 at batch 1 and 3', () => {
  for (const [name, ops] of CASES) {
    test(name, () => {
      const f = load(name);
      expect(f.opset).toBe(17);
      const bytes = bytesOf(f);
      const have = opTypes(bytes);
      for (const op of ops) expect(have.has(op)).toBe(true);
      const model = importOnnx(bytes);
      expect(f.cases.map((c) => c.inputs.x!.shape[0])).toEqual([1, 3]);
      const before = memory().tensors;
      for (const c of f.cases) {
        const x = c.inputs.x!;
        const want = c.outputs.y!;
        const input = tensor(Float32Array.from(x.data), { shape: x.shape });
        const y = noGrad(() => model.forward(input)) as Tensor;
        expect(y.shape).toEqual(want.shape);
        const d = maxAbsDiff(y.dataSync(), want.data);
        if (process.env.MYELIN_ONNX_DIR) console.log(`import ${name} batch ${x.shape[0]}: max |diff| ${d}`);
        expect(d).toBeLessThan(1e-4);
        y.dispose();
        input.dispose();
      }
      // The interpreter keeps nothing between calls.
      expect(memory().tensors).toBe(before);
    });
  }
});

test('LSTM and GRU over pack_padded_sequence (sequence_lens): y and h match PyTorch at batch 1 and 3', () => {
  const f = load('packed');
  const bytes = bytesOf(f);
  const nodes = onnx.ModelProto.decode(bytes).graph?.node ?? [];
  const rnns = nodes.filter((n) => n.opType === 'LSTM' || n.opType === 'GRU');
  expect(rnns.map((n) => n.opType)).toEqual(['LSTM', 'LSTM', 'GRU']);
  for (const n of rnns) expect(n.input![4]).toBeTruthy(); // sequence_lens is wired
  const model = importOnnx(bytes);
  expect(model.inputNames).toEqual(['x', 'lengths']);
  for (const c of f.cases) {
    const x = tensor(Float32Array.from(c.inputs.x!.data), { shape: c.inputs.x!.shape });
    const lens = c.inputs.lengths!;
    const l = tensor(Int32Array.from(lens.data), { shape: lens.shape, dtype: 'int32' });
    // Batch 3 has sequences shorter than T, so padding must be handled, not ignored.
    if (lens.data.length > 1) expect(Math.min(...lens.data)).toBeLessThan(x.shape[1]!);
    const [y, h] = noGrad(() => model.run([x, l]));
    for (const [got, want] of [
      [y!, c.outputs.y!],
      [h!, c.outputs.h!],
    ] as const) {
      expect(got.shape).toEqual(want.shape);
      const d = maxAbsDiff(got.dataSync(), want.data);
      if (process.env.MYELIN_ONNX_DIR)
        console.log(`import packed batch ${lens.data.length}: max |diff| ${d}`);
      expect(d).toBeLessThan(1e-4);
      got.dispose();
    }
    x.dispose();
    l.dispose();
  }
});

test('GRU and RNN are trainable: gradients reach every weight of the imported GRU', () => {
  const model = importOnnx(bytesOf(load('gru')));
  const x = tensor(
    Float32Array.from({ length: 2 * 7 * 5 }, (_, i) => Math.sin(i)),
    { shape: [2, 7, 5] },
  );
  const loss = (model.forward(x) as Tensor).square().mean();
  loss.backward();
  const params = model.parameters();
  expect(params.length).toBeGreaterThan(0);
  for (const p of params) {
    expect(p.grad).toBeTruthy();
    expect(p.grad!.abs().max().item()).toBeGreaterThan(0);
  }
});

test('IMPORTABLE_OPS lists the new ops', () => {
  for (const op of ['GRU', 'RNN', 'ConvTranspose', 'LSTM', 'Conv', 'MaxPool', 'AveragePool'])
    expect(IMPORTABLE_OPS).toContain(op);
});

/** Replace one attribute of the first node of type `op` in a fixture model and re-encode it. */
function withAttr(name: string, op: string, attr: onnxProto.onnx.IAttributeProto): Uint8Array {
  const m = onnx.ModelProto.decode(bytesOf(load(name)));
  const node = m.graph!.node!.find((n) => n.opType === op)!;
  node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== attr.name), attr];
  return onnx.ModelProto.encode(m).finish();
}

describe('what is still refused gets a clear error at run time', () => {
  const run = (bytes: Uint8Array, shape: number[]) => {
    const model = importOnnx(bytes);
    const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape });
    return () => noGrad(() => model.forward(x));
  };
  test('GRU with linear_before_reset 0', () => {
    const bytes = withAttr('gru', 'GRU', { name: 'linear_before_reset', type: 2, i: 0 });
    expect(run(bytes, [1, 7, 5])).toThrow(/GRU is supported with linear_before_reset 1/);
  });
  test('RNN with an unknown activation', () => {
    const enc = new TextEncoder();
    const bytes = withAttr('rnn', 'RNN', { name: 'activations', type: 8, strings: [enc.encode('Softsign')] });
    expect(run(bytes, [1, 7, 5])).toThrow(/RNN activation 'Softsign' is not supported/);
  });
  test('an unknown auto_pad value', () => {
    const bytes = withAttr('auto_pad', 'Conv', {
      name: 'auto_pad',
      type: 3,
      s: new TextEncoder().encode('SAME'),
    });
    expect(run(bytes, [1, 2, 9, 7])).toThrow(
      /auto_pad 'SAME'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER/,
    );
  });
  test('ConvTranspose with output_shape', () => {
    const bytes = withAttr('convt', 'ConvTranspose', { name: 'output_shape', type: 7, ints: [10, 10] });
    expect(run(bytes, [1, 4, 5, 5])).toThrow(/ConvTranspose with output_shape is not supported/);
  });
});

test('exportOnnx maps convTranspose2d to ConvTranspose: onnxruntime and the re-import give Myelin outputs', async () => {
  class Up extends Module {
    a = new ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, seed: 1 });
    b = new ConvTranspose2d(6, 2, [2, 3], { stride: [1, 2], padding: [0, 1], dilation: [2, 1], seed: 2 });
    forward(x: Tensor): Tensor {
      return this.b.forward(this.a.forward(x).tanh());
    }
  }
  const model = new Up();
  const bytes = await exportOnnx(model, [randn([1, 4, 5, 5], { seed: 3 })]);
  expect(opTypes(bytes).has('ConvTranspose')).toBe(true);
  const back = importOnnx(bytes);
  for (const n of [1, 3]) {
    const x = randn([n, 4, 5, 5], { seed: 10 + n });
    const want = noGrad(() => model.forward(x));
    const [got] = await runOrt(bytes, [x]);
    expect(got!.dims).toEqual(want.shape);
    const dOrt = maxAbsDiff(got!.data as Float32Array, want.dataSync());
    const again = noGrad(() => back.forward(x)) as Tensor;
    const dBack = maxAbsDiff(again.dataSync(), want.dataSync());
    if (process.env.MYELIN_ONNX_DIR) console.log(`convT export batch ${n}: ort ${dOrt}, re-import ${dBack}`);
    expect(dOrt).toBeLessThan(1e-4);
    expect(dBack).toBeLessThan(1e-4);
  }
});

// The project's parser fuzzer on the new ops' files (as test/import.test.ts does for the first
// four): seeded byte mutations, each an imported model that runs or a clear error, bounded in time
// and memory. FUZZ_CASES / FUZZ_SEED replay another run.
describe('fuzzing the new ops: a model or a clear error, never a crash, a hang or a blow-up', () => {
  const CASES = Number(process.env.FUZZ_CASES ?? 300);
  const SEED = Number(process.env.FUZZ_SEED ?? 21);
  const MiB = 1024 * 1024;
  for (const name of ['gru', 'rnn', 'convt', 'conv3d', 'auto_pad']) {
    test(`${name}: ${CASES} cases`, async () => {
      const f = load(name);
      const good = bytesOf(f);
      const x = f.cases[0]!.inputs.x!;
      const before = memory().tensors;
      const stats = await runFuzz(
        {
          name: `onnx-more-${name}`,
          make: (r, i) =>
            i % 10 === 0 ? { kind: 'valid', input: good } : { kind: 'mutated', input: mutateBytes(r, good) },
          run(c) {
            const model = importOnnx(c.input as Uint8Array);
            const input = tensor(Float32Array.from(x.data), { shape: x.shape });
            try {
              const out = noGrad(() => model.forward(input));
              for (const t of Array.isArray(out) ? out : [out]) (t as Tensor).dispose();
            } finally {
              input.dispose();
              model.dispose();
            }
            return true;
          },
          isClean: (e) =>
            e instanceof Error &&
            /^(importOnnx|OnnxModule\.forward): /.test(e.message) &&
            e.message.length < 2000,
          capBytes: (c) => 64 * (c.input as Uint8Array).length + 32 * MiB,
        },
        { seed: SEED, to: CASES, slowMs: 1000 },
      );
      expect(stats.examples).toEqual([]);
      expect({ crashes: stats.crashes, slow: stats.slow, overCap: stats.overCap }).toEqual({
        crashes: 0,
        slow: 0,
        overCap: 0,
      });
      expect(stats.valid).toBeGreaterThanOrEqual(CASES / 10);
      expect(memory().tensors).toBe(before);
    });
  }
});
