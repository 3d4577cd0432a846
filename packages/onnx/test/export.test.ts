import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { atan2, cumprod, Module, memory, noGrad, randn, type Tensor, use } from '@myelin/core';
import { Linear, Sequential } from '@myelin/nn';
import { lenet5, resnet18 } from '@myelin/zoo-cnn';
import { gcn } from '@myelin/zoo-gnn';
import { SequenceClassifier } from '@myelin/zoo-rnn';
import { GPT } from '@myelin/zoo-transformer';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, test } from 'vitest';
import { exportOnnx } from '../src/index.js';
import { ids, maxAbsDiff, randomizeBuffers, runOrt } from './helpers.js';

beforeAll(async () => {
  await use(cpuBackend());
});

/**
 * Export with the first input set, then check ONNX Runtime against Myelin's own forward on each
 * input set (batch 1 and a larger batch when the export is dynamic).
 */
async function checkAgainstOrt(
  name: string,
  model: Module,
  inputSets: Tensor[][],
  forward: (inputs: Tensor[]) => Tensor,
  options: Parameters<typeof exportOnnx>[2] = {},
): Promise<{ bytes: Uint8Array; diffs: number[] }> {
  model.eval();
  const bytes = await exportOnnx(model, inputSets[0]!, options);
  // For tools/check_onnx_files.py (onnx.checker): keep the files when asked.
  const dir = process.env.MYELIN_ONNX_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.onnx`), bytes);
  }
  const diffs: number[] = [];
  for (const inputs of inputSets) {
    const want = noGrad(() => forward(inputs));
    const [got] = await runOrt(bytes, inputs);
    expect(got!.dims).toEqual(want.shape);
    diffs.push(maxAbsDiff(got!.data as Float32Array, want.dataSync()));
    want.dispose();
  }
  if (dir) writeFileSync(join(dir, `${name}.diffs.json`), JSON.stringify({ bytes: bytes.length, diffs }));
  return { bytes, diffs };
}

describe('exported models run in onnxruntime-node with Myelin outputs (1e-4)', () => {
  test('LeNet-5 (zoo-cnn), batch 1 and 5', async () => {
    const model = lenet5({ seed: 1 });
    const xs = [[randn([1, 1, 28, 28], { seed: 2 })], [randn([5, 1, 28, 28], { seed: 3 })]];
    const { diffs } = await checkAgainstOrt('lenet5', model, xs, ([x]) => model.forward(x!));
    for (const d of diffs) expect(d).toBeLessThan(1e-4);
  });

  test('ResNet-18 (zoo-cnn, small stem on 16×16 images, random BatchNorm statistics), batch 1 and 2', async () => {
    const model = resnet18({ stem: 'small', inChannels: 1, numClasses: 10, seed: 4 });
    randomizeBuffers(model, 10);
    const xs = [[randn([1, 1, 16, 16], { seed: 5 })], [randn([2, 1, 16, 16], { seed: 6 })]];
    const { bytes, diffs } = await checkAgainstOrt('resnet18', model, xs, ([x]) => model.forward(x!));
    for (const d of diffs) expect(d).toBeLessThan(1e-4);
    // Weights are initializers named by their state-dict keys.
    const names = onnxProto.onnx.ModelProto.decode(bytes).graph!.initializer!.map((t) => t.name);
    expect(names).toContain('layer1.0.conv1.weight');
    expect(names).toContain('layer4.1.bn2.running_var');
    expect(names).toContain('fc.bias');
  }, 180_000);

  test('LSTM classifier (zoo-rnn SequenceClassifier, bidirectional over token ids), batch 1 and 4', async () => {
    const model = new SequenceClassifier({
      vocabSize: 20,
      embeddingDim: 8,
      hiddenSize: 12,
      numClasses: 3,
      bidirectional: true,
      seed: 7,
    });
    const tok = (b: number, s: number) =>
      ids(
        Array.from({ length: b * 6 }, (_, i) => (i * 7 + s) % 20),
        [b, 6],
      );
    const { diffs } = await checkAgainstOrt('lstm-classifier', model, [[tok(1, 1)], [tok(4, 3)]], ([x]) =>
      model.forward(x!),
    );
    for (const d of diffs) expect(d).toBeLessThan(1e-4);
  });

  test('GPT-mini (zoo-transformer: causal attention, LayerNorm, GELU, tied weights), batch 1 and 3', async () => {
    const model = new GPT({ vocabSize: 40, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, seed: 8 });
    const tok = (b: number, s: number) =>
      ids(
        Array.from({ length: b * 10 }, (_, i) => (i * 13 + s) % 40),
        [b, 10],
      );
    const { bytes, diffs } = await checkAgainstOrt('gpt-mini', model, [[tok(1, 1)], [tok(3, 5)]], ([x]) =>
      model.forward(x!),
    );
    for (const d of diffs) expect(d).toBeLessThan(1e-4);
    const graph = onnxProto.onnx.ModelProto.decode(bytes).graph!;
    const ops = new Set(graph.node!.map((n) => n.opType));
    expect(ops).toContain('LayerNormalization');
    // The tied lm_head shares wte's initializer: stored once.
    const names = graph.initializer!.map((t) => t.name);
    expect(names.filter((n) => n === 'transformer.wte.weight')).toHaveLength(1);
    expect(names).not.toContain('lm_head.weight');
  });

  test('GCN (zoo-gnn) on a fixed 12-node graph, two feature sets', async () => {
    const src = Int32Array.from([0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 5]);
    const dst = Int32Array.from([1, 0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 0, 11, 2]);
    const graph = { numNodes: 12, src, dst };
    const model = gcn({ inF: 6, hidden: 10, classes: 4, seed: 9 });
    const fwd = ([x]: Tensor[]) => model.forward(x!, graph);
    const xs = [[randn([12, 6], { seed: 10 })], [randn([12, 6], { seed: 11 })]];
    const { diffs } = await checkAgainstOrt('gcn', model, xs, fwd, {
      dynamicBatch: false,
      forward: (_m, ins) => fwd(ins),
    });
    for (const d of diffs) expect(d).toBeLessThan(1e-4);
    // Its node count is fixed by the graph: a dynamic batch cannot work, and the error says what to do.
    await expect(exportOnnx(model, xs[0]!, { forward: (_m, ins) => fwd(ins) })).rejects.toThrow(
      /exportOnnx: the model failed on the example inputs repeated to batch 24 and 36 .*pass dynamicBatch: false/,
    );
  });
});

class Angle extends Module {
  forward(x: Tensor): Tensor {
    return cumprod(atan2(x, x.add(1)), 1);
  }
}

describe('export edges and errors', () => {
  test('kernels with no ONNX equivalent: one error names each and the module it ran in', async () => {
    const model = new Sequential(new Linear(3, 4, { seed: 1 }), new Angle());
    await expect(exportOnnx(model, randn([2, 3], { seed: 1 }))).rejects.toThrow(
      "exportOnnx: 2 kernel(s) cannot be exported to ONNX opset 17:\n  kernel 'Atan2' in module '1': it has no ONNX equivalent in opset 17\n  kernel 'Cumprod' in module '1': it has no ONNX equivalent in opset 17",
    );
  });

  test('bad example inputs', async () => {
    const model = new Linear(3, 2, { seed: 1 });
    await expect(exportOnnx(model, [])).rejects.toThrow('exportOnnx: needs at least one example input');
    await expect(exportOnnx(model, [randn([2, 3]), randn([3, 3])])).rejects.toThrow(
      /every input needs the same non-zero batch dim 0; input 1 has shape \[3,3\]/,
    );
    await expect(exportOnnx(model, randn([2, 3]), { inputNames: ['a', 'b'] })).rejects.toThrow(
      'exportOnnx: 2 input names for 1 inputs',
    );
  });

  test('a Linear layer, batch of one: the graph is Gemm-free MatMul + bias with a symbolic batch', async () => {
    const model = new Linear(3, 2, { seed: 1 });
    const bytes = await exportOnnx(model, randn([1, 3], { seed: 2 }), {
      inputNames: ['x'],
      outputNames: ['y'],
    });
    const g = onnxProto.onnx.ModelProto.decode(bytes).graph!;
    expect(g.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('N');
    expect(g.output![0]!.name).toBe('y');
    expect(g.initializer!.map((t) => t.name).sort()).toEqual(['bias', 'weight']);
    for (const n of [1, 7]) {
      const x = randn([n, 3], { seed: n });
      const [got] = await runOrt(bytes, [x]);
      const want = noGrad(() => model.forward(x));
      expect(maxAbsDiff(got!.data as Float32Array, want.dataSync())).toBeLessThan(1e-6);
    }
  });

  test('memory is flat across exports: the trace frees what it made', async () => {
    const model = lenet5({ seed: 1 });
    const x = randn([2, 1, 28, 28], { seed: 2 });
    await exportOnnx(model, x);
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) await exportOnnx(model, x);
    expect(memory().tensors).toBe(before);
  });
});
