import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  loadModel,
  Module,
  memory,
  modelFromBytes,
  modelToBytes,
  Parameter,
  saveModel,
  scope,
  tensor,
  Variable,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { expectClose, values } from './helpers.js';
import { buildOptimizer, fx, makeProblem, trainStep } from './problem.js';

/**
 * saveModel / loadModel (core, issue 19) with an optimizer from this package: the fixtures' torch
 * runs are the reference, as in state.test.ts: 3 steps, save model + optimizer, load both into fresh
 * objects, 2 more steps = torch's 5 steps.
 */

const problem = makeProblem();

/** The fixture problem's W and b in a module, with a buffer and a tied alias of W. */
class Net extends Module {
  W: Parameter;
  b: Parameter;
  steps = scope(() => new Variable(tensor([0], { dtype: 'int32' })));
  tied: { W: Parameter };
  constructor() {
    super();
    const [W, b] = problem.params();
    this.W = W!;
    this.b = b!;
    // A child module holding the same Parameter: state dict names W and tied.W, one tensor.
    this.tied = new (class extends Module {
      W = W!;
    })();
  }
}

const adam = fx.cases.find((c) => c.name.toLowerCase().startsWith('adam') && c.groups)!;

describe('saveModel / loadModel', () => {
  it('model + optimizer round-trip through bytes: 3 steps, save, load into fresh objects, 2 steps = 5 steps of torch', async () => {
    const net = new Net();
    const opt = buildOptimizer(adam, [net.W, net.b]);
    for (let i = 0; i < 3; i++) trainStep(opt, () => problem.loss(net.W, net.b));
    scope(() => net.steps.assign(tensor([3], { dtype: 'int32' })));
    const bytes = await modelToBytes(net, { optimizer: opt, metadata: { note: 'three steps' } });
    // One tensor per storage: W once (tied.W is an alias), b, the buffer, then the optimizer's.
    const file = decodeSafetensors(bytes);
    const names = Object.keys(file.tensors);
    expect(names.filter((n) => !n.startsWith('optimizer::'))).toEqual(['W', 'b', 'steps']);
    expect(JSON.parse(file.metadata['myelin.aliases']!)).toEqual({ 'tied.W': 'W' });
    expect(names.some((n) => n.startsWith('optimizer::state.0.'))).toBe(true);
    opt.dispose();
    net.dispose();

    const before = memory().tensors;
    const fresh = new Net();
    const opt2 = buildOptimizer(adam, [fresh.W, fresh.b]);
    const { metadata } = modelFromBytes(fresh, bytes, { optimizer: opt2 });
    expect(metadata).toEqual({ note: 'three steps' });
    expect(Array.from(fresh.steps.dataSync())).toEqual([3]);
    expect(fresh.tied.W).toBe(fresh.W);
    for (let i = 3; i < 5; i++) trainStep(opt2, () => problem.loss(fresh.W, fresh.b));
    expectClose(fresh.W.dataSync(), values(adam.steps[4]!.params[0]!), 'W after 3 + 2 steps');
    expectClose(fresh.b.dataSync(), values(adam.steps[4]!.params[1]!), 'b after 3 + 2 steps');
    opt2.zeroGrad();
    opt2.dispose();
    fresh.dispose();
    // Loading kept nothing beyond what the module and optimizer own.
    expect(memory().tensors).toBe(before);
  });

  it('saveModel writes atomically and loadModel reads by path; errors name the file and what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-model-'));
    const path = join(dir, 'net.safetensors');
    const net = new Net();
    await saveModel(net, path);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    const other = new Net();
    scope(() => other.W.assign(other.W.mul(0)));
    await loadModel(other, path);
    expect(Array.from(other.W.dataSync())).toEqual(Array.from(net.W.dataSync()));

    // No optimizer state in the file.
    const opt = buildOptimizer(adam, [other.W, other.b]);
    await expect(loadModel(other, path, { optimizer: opt })).rejects.toThrow(
      `loadModel '${path}': modelFromBytes: an optimizer was given but the file holds no optimizer state`,
    );
    opt.dispose();
    // A model of another shape: every mismatch named, nothing copied.
    class Small extends Module {
      W = new Parameter(tensor([[1, 2]]));
      extra = new Parameter(tensor([1]));
    }
    const small = new Small();
    await expect(loadModel(small, path)).rejects.toThrow(
      /loadStateDict: missing: extra; unexpected: b, steps, tied\.W; shape mismatch: W: expected \[1,2\], got \[\d+,\d+\]/,
    );
    expect(Array.from(small.W.dataSync())).toEqual([1, 2]);
    small.dispose();
    await expect(loadModel(other, join(dir, 'missing.safetensors'))).rejects.toThrow(
      /^loadModel: cannot read '.*missing\.safetensors'/,
    );
    writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array([1, 2, 3]));
    await expect(loadModel(other, join(dir, 'bad.safetensors'))).rejects.toThrow(
      /^loadModel '.*bad\.safetensors': /,
    );
    await expect(saveModel(net, join(dir, 'no-such-dir', 'x.safetensors'))).rejects.toThrow(
      /^saveModel: cannot write/,
    );
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    net.dispose();
    other.dispose();
  });
});
