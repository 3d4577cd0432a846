import { readFileSync } from 'node:fs';
import { cpuBackend } from '@myelin/backend-cpu';
import { memory, noGrad, Parameter, randn, scope, type Tensor, tensor, use } from '@myelin/core';
import { lenet5 } from '@myelin/zoo-cnn';
import { gcn } from '@myelin/zoo-gnn';
import { SequenceClassifier } from '@myelin/zoo-rnn';
import { GPT } from '@myelin/zoo-transformer';
import type onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, test } from 'vitest';
import { mutateBytes, runFuzz } from '../../../tools/fuzz-kit.mjs';
import { exportOnnx, importOnnx, onnx } from '../src/index.js';
import { ids, maxAbsDiff } from './helpers.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture {
  opset: number;
  sgd: { lr: number; x: Arr; target: Arr; loss: number; after: Arr };
  model: string;
  parameters: string[];
  cases: {
    inputs: Record<string, { shape: number[]; data: number[] }>;
    outputs: Record<string, { shape: number[]; data: number[] }>;
  }[];
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/torch_${name}.json`, import.meta.url), 'utf8')) as Fixture;
const bytesOf = (f: Fixture) => new Uint8Array(Buffer.from(f.model, 'base64'));

beforeAll(async () => {
  await use(cpuBackend());
});

describe('models exported by torch.onnx.export (PyTorch 1.13, opset 17) import with PyTorch outputs (1e-4)', () => {
  for (const name of ['mlp', 'cnn_bn', 'lstm', 'encoder']) {
    test(`${name}: batch 1 and 3`, () => {
      const f = load(name);
      expect(f.opset).toBe(17);
      const model = importOnnx(bytesOf(f));
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
    });
  }
});

const arr = (a: Arr) => tensor(Float32Array.from(a.data), { shape: a.shape });

/** One SGD step on the mean squared error; returns the loss before the step. */
function sgdStep(model: ReturnType<typeof importOnnx>, x: Tensor, target: Tensor, lr: number): number {
  model.zeroGrad();
  const loss = scope(() => {
    const y = model.forward(x) as Tensor;
    const l = y.sub(target).square().mean();
    l.backward();
    return l;
  });
  const value = loss.item();
  loss.dispose();
  noGrad(() =>
    scope(() => {
      for (const p of model.parameters()) p.assign(p.sub(p.grad!.mul(lr)));
    }),
  );
  return value;
}

describe('imported models are trainable Modules', () => {
  // The MLP and the LSTM keep PyTorch's parametrisation in the file (the LSTM's gates reordered,
  // which SGD does not mind), so one step lands on PyTorch's weights. The CNN's export folds bn1
  // into conv1 and the encoder's folds the 1/√d query scale into its weights: a step on those
  // reparametrised weights is a different step, so for them the loss must match and then fall.
  for (const [name, same] of [
    ['mlp', true],
    ['lstm', true],
    ['cnn_bn', false],
    ['encoder', false],
  ] as const) {
    test(`${name}: one SGD step ${same ? "gives PyTorch's outputs after the step" : "from PyTorch's loss lowers it"}`, () => {
      const f = load(name);
      const model = importOnnx(bytesOf(f));
      for (const p of model.parameters()) expect(p).toBeInstanceOf(Parameter);
      const x = arr(f.sgd.x);
      const target = arr(f.sgd.target);
      const loss = sgdStep(model, x, target, f.sgd.lr);
      expect(Math.abs(loss - f.sgd.loss)).toBeLessThan(1e-5);
      const after = noGrad(() => model.forward(x)) as Tensor;
      if (same) expect(maxAbsDiff(after.dataSync(), f.sgd.after.data)).toBeLessThan(1e-4);
      else expect(sgdStep(model, x, target, 0)).toBeLessThan(loss);
      after.dispose();
    });
  }

  test('parameters keep the names PyTorch gave them (its state-dict keys)', () => {
    const names = Object.keys(importOnnx(bytesOf(load('mlp'))).stateDict());
    expect(names).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const cnn = importOnnx(bytesOf(load('cnn_bn')));
    const params = cnn.namedParameters().map(([n]) => n);
    expect(params).toContain('bn2.weight');
    // BatchNorm statistics are buffers, not trained.
    expect(params).not.toContain('bn2.running_mean');
    expect(Object.keys(cnn.stateDict())).toContain('bn2.running_mean');
  });

  test('training steps are memory-flat', () => {
    const f = load('lstm');
    const model = importOnnx(bytesOf(f));
    const x = arr(f.sgd.x);
    const target = arr(f.sgd.target);
    sgdStep(model, x, target, 0.01);
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) sgdStep(model, x, target, 0.01);
    model.zeroGrad();
    sgdStep(model, x, target, 0.01);
    model.zeroGrad();
    expect(memory().tensors).toBeLessThanOrEqual(before);
  });
});

describe('round trip: exportOnnx then importOnnx gives the Myelin outputs', () => {
  test('LeNet-5, batch 1 and 4', async () => {
    const net = lenet5({ seed: 3 }).eval();
    const back = importOnnx(await exportOnnx(net, randn([2, 1, 28, 28], { seed: 1 })));
    for (const n of [1, 4]) {
      const x = randn([n, 1, 28, 28], { seed: n });
      const [a, b] = noGrad(() => [net.forward(x), back.forward(x) as Tensor]);
      expect(maxAbsDiff(a!.dataSync(), b!.dataSync())).toBeLessThan(1e-5);
    }
  });

  test('GPT-mini (int32 token ids, causal attention)', async () => {
    const gpt = new GPT({ vocabSize: 30, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, seed: 2 }).eval();
    const tok = (b: number) =>
      ids(
        Array.from({ length: b * 8 }, (_, i) => (i * 5 + b) % 30),
        [b, 8],
      );
    const back = importOnnx(await exportOnnx(gpt, tok(1)));
    for (const n of [1, 3]) {
      const [a, b] = noGrad(() => [gpt.forward(tok(n)), back.forward(tok(n)) as Tensor]);
      expect(b!.shape).toEqual([n, 8, 30]);
      expect(maxAbsDiff(a!.dataSync(), b!.dataSync())).toBeLessThan(1e-5);
    }
  });
});

type OnnxModel = onnxProto.onnx.IModelProto;

describe('round trip of the recurrent and graph exports', () => {
  test('LSTM classifier (Range, Split, Slice over a symbolic batch) and GCN (ScatterND)', async () => {
    const clf = new SequenceClassifier({
      vocabSize: 12,
      embeddingDim: 4,
      hiddenSize: 6,
      numClasses: 3,
      seed: 5,
    }).eval();
    const tok = (b: number) =>
      ids(
        Array.from({ length: b * 5 }, (_, i) => (i * 7 + b) % 12),
        [b, 5],
      );
    const back = importOnnx(await exportOnnx(clf, tok(1)));
    for (const n of [1, 3]) {
      const [a, b] = noGrad(() => [clf.forward(tok(n)), back.forward(tok(n)) as Tensor]);
      expect(maxAbsDiff(a!.dataSync(), b!.dataSync())).toBeLessThan(1e-5);
    }
    const graph = {
      numNodes: 5,
      src: Int32Array.from([0, 1, 2, 3, 4, 0]),
      dst: Int32Array.from([1, 2, 3, 4, 0, 2]),
    };
    const net = gcn({ inF: 3, hidden: 4, classes: 2, seed: 6 }).eval();
    const x = randn([5, 3], { seed: 7 });
    const g = importOnnx(
      await exportOnnx(net, x, { dynamicBatch: false, forward: (_m, [v]) => net.forward(v!, graph) }),
    );
    const [a, b] = noGrad(() => [net.forward(x, graph), g.forward(x) as Tensor]);
    expect(maxAbsDiff(a!.dataSync(), b!.dataSync())).toBeLessThan(1e-5);
  });
});

/** A small valid model (y = relu(x · W)) to corrupt. */
function tinyModel(): OnnxModel {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['h'], name: 'mm' },
        { opType: 'Relu', input: ['h'], output: ['y'], name: 'relu' },
      ],
      initializer: [{ name: 'W', dims: [2, 2], dataType: 1, floatData: [1, -1, 2, 0.5] }],
      input: [
        {
          name: 'x',
          type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } },
        },
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  };
}
const encode = (m: OnnxModel) => onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();

describe('hostile files are rejected with a clear error, before anything large is allocated', () => {
  test('the tiny model itself imports and runs (closed form relu(x·W))', () => {
    const y = importOnnx(encode(tinyModel())).forward(tensor([[1, 2]])) as Tensor;
    // [1, 2] · [[1, -1], [2, 0.5]] = [5, 0]
    expect(Array.from(y.dataSync())).toEqual([5, 0]);
  });

  test('truncated bytes', () => {
    const bytes = encode(tinyModel());
    expect(() => importOnnx(bytes.subarray(0, bytes.length - 7))).toThrow(
      /importOnnx: the bytes are not a valid ONNX model/,
    );
  });

  test('random bytes and a non-Uint8Array', () => {
    const junk = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) % 251);
    expect(() => importOnnx(junk)).toThrow(/importOnnx/);
    expect(() => importOnnx('model.onnx' as unknown as Uint8Array)).toThrow(
      /expected the bytes of a \.onnx file/,
    );
  });

  test('huge declared dims with little data: rejected in bounded time, nothing allocated', () => {
    const m = tinyModel();
    m.graph!.initializer![0]!.dims = [1_000_000, 1_000_000];
    const t0 = performance.now();
    expect(() => importOnnx(encode(m))).toThrow(/initializer 'W' declares dims \[1000000,1000000\].*limit/);
    m.graph!.initializer![0]!.dims = [3, 2];
    expect(() => importOnnx(encode(m))).toThrow(/declares dims \[3,2\] \(6 elements\) but holds 4 values/);
    m.graph!.initializer![0]!.dims = [-2, -2];
    expect(() => importOnnx(encode(m))).toThrow(/dims must be non-negative/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test('a cycle, and an input nothing defines', () => {
    const cyc = tinyModel();
    cyc.graph!.node![0]!.input = ['y', 'W'];
    expect(() => importOnnx(encode(cyc))).toThrow(/reads 'y' before node #1 makes it \(a cycle/);
    const missing = tinyModel();
    missing.graph!.node![1]!.input = ['nowhere'];
    expect(() => importOnnx(encode(missing))).toThrow(
      /reads 'nowhere', which no node, input or initializer defines/,
    );
    const noOut = tinyModel();
    noOut.graph!.output![0]!.name = 'z';
    expect(() => importOnnx(encode(noOut))).toThrow(/graph output 'z' is never defined/);
  });

  test('wrong types: a STRING initializer, a STRING input, an old opset', () => {
    const s = tinyModel();
    s.graph!.initializer![0]!.dataType = 8;
    expect(() => importOnnx(encode(s))).toThrow(/initializer 'W' has data type STRING; supported/);
    const i = tinyModel();
    i.graph!.input![0]!.type!.tensorType!.elemType = 8;
    expect(() => importOnnx(encode(i))).toThrow(/graph input 'x' has element type STRING/);
    const o = tinyModel();
    o.opsetImport = [{ domain: '', version: 9 }];
    expect(() => importOnnx(encode(o))).toThrow(/opset 9; supported: 13 to 17/);
  });

  test('every unsupported op is listed in one error', () => {
    const m = tinyModel();
    m.graph!.node!.push(
      { opType: 'NonMaxSuppression', input: ['y'], output: ['a'] },
      { opType: 'RoiAlign', input: ['a'], output: ['b'] },
      { opType: 'Relu', input: ['b'], output: ['c'], domain: 'com.microsoft' },
    );
    expect(() => importOnnx(encode(m))).toThrow(
      'importOnnx: the model uses 3 op type(s) Myelin does not import: NonMaxSuppression, RoiAlign, com.microsoft.Relu',
    );
  });

  test('inputs of the wrong shape or count are refused at forward', () => {
    const model = importOnnx(encode(tinyModel()));
    expect(() => model.forward(tensor([[1, 2, 3]]))).toThrow(
      /input 'x' has shape \[1,3\]; the graph expects \[\?,2\]/,
    );
    expect(() => model.forward()).toThrow(/takes 1 input\(s\) \(x\), got 0/);
  });
});

// The project's parser fuzzer (tools/fuzz-kit.mjs, as for safetensors, IDX and CSV): seeded
// byte-level mutations of real exported files, each case bounded in time and memory.
// FUZZ_CASES / FUZZ_SEED replay another run.
describe('fuzzing importOnnx: every outcome is a model or a clear error, never a crash, a hang or a blow-up', () => {
  const CASES = Number(process.env.FUZZ_CASES ?? 1000);
  const SEED = Number(process.env.FUZZ_SEED ?? 20);
  const MiB = 1024 * 1024;
  for (const name of ['mlp', 'cnn_bn', 'lstm']) {
    test(`${name}: ${CASES} cases (every tenth the valid file) import and run, or say importOnnx/forward's error, under 1 s and the allocation cap`, async () => {
      const f = load(name);
      const good = bytesOf(f);
      const x = f.cases[0]!.inputs.x!;
      const before = memory().tensors;
      const stats = await runFuzz(
        {
          name: `onnx-${name}`,
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
      expect(stats.clean).toBeGreaterThan(CASES * 0.2);
      expect(memory().tensors).toBe(before);
    });
  }
});
