import { statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Tensor, zeros } from '@myelin/core';
import { exportOnnx } from '@myelin/onnx';
import { CheckpointError, type LoadedCheckpoint, loadCheckpoint } from '@myelin/train';
import { UsageError } from './args.js';
import { selectBackend } from './backends.js';
import { defineCommand } from './command.js';
import { findModel } from './models.js';
import { CHECKPOINT_NAME } from './train.js';

/**
 * `myelin export <checkpoint> --onnx out.onnx`: the model of a `myelin train --out` checkpoint as
 * an ONNX file (opset 17, symbolic batch), for ONNX Runtime or any other ONNX engine.
 */
export const exportCommand = defineCommand({
  name: 'export',
  args: '<checkpoint>',
  summary: 'write a checkpoint (the --out directory of myelin train) as an ONNX model (opset 17)',
  flags: [
    { name: 'onnx', type: 'string', default: '', help: 'the .onnx file to write' },
    {
      name: 'backend',
      type: 'enum',
      values: ['cpu', 'wasm'],
      default: 'cpu',
      help: 'where to trace the model',
    },
  ],
  run: async ([path], f, out) => {
    if (!path)
      throw new UsageError('export: which checkpoint? e.g. myelin export runs/lenet5 --onnx lenet5.onnx');
    if (!f.onnx) throw new UsageError('export: where to? add --onnx FILE.onnx');
    let dir: string;
    try {
      dir = statSync(path).isDirectory() ? path : dirname(path);
    } catch {
      throw new Error(`export: no checkpoint at '${path}' (no such file or directory)`);
    }
    await selectBackend(f.backend);
    let ck: LoadedCheckpoint;
    try {
      ck = loadCheckpoint(dir, { name: CHECKPOINT_NAME });
    } catch (e) {
      if (e instanceof CheckpointError && e.reason === 'missing')
        throw new Error(`export: no checkpoint in '${dir}' (myelin train --out writes one)`);
      throw new Error(`export: ${(e as Error).message}`);
    }
    const tensors: Tensor[] = Object.values(ck.tensors);
    const meta = ck.manifest.metadata;
    const spec = findModel(meta.model as string, 'model in the checkpoint');
    const model = spec.build(10);
    const example = zeros(spec.input === 'image' ? [1, 1, 28, 28] : [1, 784]);
    try {
      model.loadStateDict(ck.tensors);
      model.eval();
      const bytes = await exportOnnx(model, example, {
        inputNames: ['image'],
        outputNames: ['logits'],
        docString: `myelin ${meta.model} trained on ${meta.dataset}`,
      });
      writeFileSync(f.onnx, bytes);
      out(
        `wrote ${f.onnx}: ${meta.model} (${bytes.length} bytes, ONNX opset 17, input 'image' [N, ${spec.input === 'image' ? '1, 28, 28' : '784'}], output 'logits' [N, 10])\n`,
      );
    } finally {
      example.dispose();
      model.dispose();
      for (const t of tensors) t.dispose();
    }
    return 0;
  },
});
