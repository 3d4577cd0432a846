import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, Module, memory, Parameter, randn, scope, type Tensor, tensor } from '@myelin/core';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  cleanCheckpointDir,
  earlyStopping,
  fit,
  loadCheckpoint,
  modelCheckpoint,
  monitorMode,
  sha256Hex,
  type TrainEvent,
  writeCheckpoint,
} from '../src/index.js';
import { batches, crossEntropy, PlainSgd, TinyMlp, xorData } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'myelin-ckpt-'));
const values = (t: Tensor) => Array.from(t.dataSync());

/** A token embedding whose matrix is also the output layer's weight (tied, as in GPT-2). */
class Embedding extends Module {
  constructor(readonly weight: Parameter) {
    super();
  }
}
class Head extends Module {
  bias: Parameter;
  constructor(
    readonly weight: Parameter,
    outputs: number,
  ) {
    super();
    this.bias = scope(() => new Parameter(randn([outputs], { seed: 9 })));
  }
}
class TiedModel extends Module {
  emb: Embedding;
  head: Head;
  constructor(inputs: number, outputs: number) {
    super();
    const w = scope(() => new Parameter(randn([inputs, outputs], { seed: 8 })));
    this.emb = new Embedding(w);
    this.head = new Head(w, outputs);
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.head.weight).add(this.head.bias);
  }
}

describe('modelCheckpoint', () => {
  it('writes a manifest naming hashed weights; loadCheckpoint gives back every tensor and the optimizer state', async () => {
    const dir = tmp();
    const data = xorData(32, 12);
    const model = new TinyMlp(2, 4, 2);
    const momentum = tensor([1, 2, 3]);
    const optimizer = {
      stateDict: () => ({ state: { 0: { step: 2, momentum } }, paramGroups: [{ lr: 0.1 }] }),
    };
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 16),
        epochs: 2,
      }).pipe(modelCheckpoint(dir, { model, optimizer, name: 'ck', metadata: { model: 'tiny' } })),
    );
    const files = readdirSync(dir).sort((a, b) => a.length - b.length);
    expect(files).toHaveLength(3);
    expect(files[0]).toBe('ck.json');
    expect(files[1]).toMatch(/^ck-[0-9a-f]{16}\.optim\.json$/);
    expect(files[2]).toMatch(/^ck-[0-9a-f]{16}\.safetensors$/);
    const ck = loadCheckpoint(dir, { name: 'ck' });
    expect(ck.manifest.epoch).toBe(1);
    expect(ck.manifest.metadata).toEqual({ model: 'tiny' });
    // The recorded SHA-256 is coreutils' digest of the file as written.
    const digest = execFileSync('sha256sum', [join(dir, files[2]!)], { encoding: 'utf8' }).split(' ')[0];
    expect(ck.manifest.files.weights.sha256).toBe(digest);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 B.1
    expect(Object.keys(ck.tensors).sort()).toEqual(['b1', 'b2', 'w1', 'w2']);
    for (const [k, v] of Object.entries(model.stateDict())) expect(values(ck.tensors[k]!)).toEqual(values(v));
    expect(ck.optimizer).toEqual({
      state: { 0: { step: 2, momentum: { shape: [3], dtype: 'float32', data: [1, 2, 3] } } },
      paramGroups: [{ lr: 0.1 }],
    });
    for (const t of Object.values(ck.tensors)) t.dispose();
    momentum.dispose();
    model.dispose();
  });

  it('saves tied weights under every name with the right data (head.weight is the embedding)', async () => {
    const dir = tmp();
    const model = new TiedModel(3, 4);
    const x = randn([8, 3], { seed: 3 });
    const y = tensor([0, 1, 2, 3, 0, 1, 2, 3], { dtype: 'int32' });
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: [[x, y]],
        epochs: 2,
      }).pipe(modelCheckpoint(dir, { model })),
    );
    const state = model.stateDict();
    expect(Object.keys(state)).toEqual(['emb.weight', 'head.weight', 'head.bias']);
    const { tensors } = loadCheckpoint(dir);
    expect(Object.keys(tensors).sort()).toEqual(['emb.weight', 'head.bias', 'head.weight']);
    for (const [k, v] of Object.entries(state)) {
      expect(tensors[k]!.shape).toEqual(v.shape);
      expect(values(tensors[k]!)).toEqual(values(v));
    }
    // And it loads back into a fresh model, tied as before.
    const fresh = new TiedModel(3, 4);
    fresh.loadStateDict(tensors);
    for (const [k, v] of Object.entries(fresh.stateDict())) expect(values(v)).toEqual(values(state[k]!));
    expect(fresh.emb.weight).toBe(fresh.head.weight);
    for (const t of [...Object.values(tensors), x, y]) t.dispose();
    model.dispose();
    fresh.dispose();
  });

  it('keeps the best epoch for an accuracy monitor (mode inferred as earlyStopping does)', async () => {
    const dir = tmp();
    const model = new TinyMlp(1, 1, 1);
    const accs = [0.5, 0.9, 0.7, 0.6];
    const events: TrainEvent[] = accs.map((a, epoch) => ({
      type: 'validation',
      epoch,
      loss: 1 - a,
      metrics: { accuracy: a },
      samples: 10,
    }));
    await lastValueFrom(
      from(events).pipe(
        // Give the model recognisable weights at each epoch before the checkpoint sees the event.
        tap((e) => model.w1.assign(tensor([[(e as { epoch: number }).epoch]]))),
        modelCheckpoint(dir, { model, monitor: 'valAccuracy' }),
      ),
    );
    const ck = loadCheckpoint(dir);
    expect(ck.manifest.epoch).toBe(1);
    expect(ck.manifest.values.valAccuracy).toBe(0.9);
    expect(values(ck.tensors.w1!)).toEqual([1]);
    for (const t of Object.values(ck.tensors)) t.dispose();
    model.dispose();
  });

  it('monitorMode: bigger is better for accuracies, precision, recall, F1, R²; smaller for losses and errors', () => {
    const max = [
      'accuracy',
      'valAccuracy',
      'top5Accuracy',
      'valTop3Accuracy',
      'f1Macro',
      'precisionMicro',
      'recallMacro',
      'r2',
      'valR2',
    ];
    const min = ['loss', 'valLoss', 'mse', 'valMae', 'perplexity', 'valPerplexity'];
    for (const m of max) expect([m, monitorMode(m)]).toEqual([m, 'max']);
    for (const m of min) expect([m, monitorMode(m)]).toEqual([m, 'min']);
    expect(monitorMode('valAccuracy', 'min')).toBe('min');
  });

  it('when training fails, the checkpoints of the epochs before are still written', async () => {
    const dir = tmp();
    const data = xorData(16, 5);
    const model = new TinyMlp(2, 4, 2);
    let epoch = 0;
    await expect(
      lastValueFrom(
        fit(model, {
          optimizer: new PlainSgd(model.parameters(), 0.1),
          // The loss turns NaN in the third epoch.
          loss: (p, t) => (epoch === 2 ? crossEntropy(p, t).mul(Number.NaN) : crossEntropy(p, t)),
          data: batches(data, 16),
          epochs: 5,
        }).pipe(
          tap((e) => {
            if (e.type === 'epochStart') epoch = e.epoch;
          }),
          modelCheckpoint(dir, { model }),
        ),
      ),
    ).rejects.toThrow(/loss became NaN at epoch 2/);
    const ck = loadCheckpoint(dir);
    expect(ck.manifest.epoch).toBe(1);
    for (const t of Object.values(ck.tensors)) t.dispose();
    model.dispose();
  });

  it('a directory that cannot be made ends the stream at once, before any training, leaking nothing', async () => {
    const parent = tmp();
    writeFileSync(join(parent, 'file'), 'x');
    const data = xorData(32, 1);
    const model = new TinyMlp(2, 4, 2);
    const before = memory().tensors;
    const seen: string[] = [];
    await expect(
      lastValueFrom(
        fit(model, {
          optimizer: new PlainSgd(model.parameters(), 0.1),
          loss: crossEntropy,
          data: batches(data, 8),
          epochs: 5,
        }).pipe(
          tap((e) => seen.push(e.type)),
          modelCheckpoint(join(parent, 'file', 'run'), { model }),
        ),
      ),
    ).rejects.toThrow(/^modelCheckpoint: cannot save to '.*file\/run': ENOTDIR/);
    expect(seen).toEqual([]);
    expect(memory().tensors).toBe(before);
    model.dispose();
  });

  it('a write that fails mid-run ends the stream at once and stops training; snapshots are freed', async () => {
    const dir = tmp();
    const data = xorData(32, 2);
    const model = new TinyMlp(2, 4, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    // Warm up so the gradients that persist between steps exist before counting.
    await lastValueFrom(fit(model, { optimizer: opt, loss: crossEntropy, data: batches(data, 8) }));
    const before = memory().tensors;
    const epochEnds: number[] = [];
    await expect(
      lastValueFrom(
        fit(model, { optimizer: opt, loss: crossEntropy, data: batches(data, 8), epochs: 30 }).pipe(
          tap((e) => {
            if (e.type !== 'epochEnd') return;
            epochEnds.push(e.epoch);
            // After the first checkpoint, the directory becomes a regular file.
            if (e.epoch === 1) {
              rmSync(dir, { recursive: true });
              writeFileSync(dir, 'not a directory');
            }
          }),
          modelCheckpoint(dir, { model }),
        ),
      ),
    ).rejects.toThrow(/^modelCheckpoint: cannot save to '.*': (ENOTDIR|EEXIST)/);
    // The error arrives with the next write, not after all 30 epochs.
    expect(epochEnds.length).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(memory().tensors).toBe(before);
    rmSync(dir);
    model.dispose();
  });
});

describe('checkpoint files', () => {
  const write = (dir: string, epoch: number) =>
    writeCheckpoint(dir, { weights: encodeWeights(epoch), epoch, metadata: { note: `epoch ${epoch}` } });
  const encodeWeights = (epoch: number): Uint8Array => {
    // Safetensors of one F32 tensor [2] = [epoch, -epoch], built by hand from the format's spec.
    const header = new TextEncoder().encode(
      JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(56, ' '),
    );
    const out = new Uint8Array(8 + header.length + 8);
    new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
    out.set(header, 8);
    new Float32Array(out.buffer, 8 + header.length, 2).set([epoch, -epoch]);
    return out;
  };

  it('no manifest means no checkpoint', () => {
    const dir = tmp();
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(dir)).toThrow(/no checkpoint in '.*' \(no checkpoint\.json\)/);
    expect(() => loadCheckpoint(join(dir, 'nope'))).toThrow(expect.objectContaining({ reason: 'missing' }));
  });

  it('every flipped byte, of the weights or of the manifest, is detected', () => {
    const dir = tmp();
    const m = write(dir, 3);
    const files = [join(dir, m.files.weights.path), join(dir, 'checkpoint.json')];
    let checked = 0;
    for (const path of files) {
      const good = readFileSync(path);
      // Every byte of the weights; every byte of the manifest outside its indentation and line breaks.
      for (let i = 0; i < good.length; i++) {
        if (path.endsWith('.json') && (good[i] === 0x20 || good[i] === 0x0a)) continue;
        for (const bit of [0x01, 0x80]) {
          const bad = Buffer.from(good);
          bad[i]! ^= bit;
          writeFileSync(path, bad);
          let err: unknown = null;
          try {
            const ck = loadCheckpoint(dir);
            for (const t of Object.values(ck.tensors)) t.dispose();
          } catch (e) {
            err = e;
          }
          expect([i, bit, err instanceof CheckpointError && err.reason]).toEqual([i, bit, 'corrupt']);
          checked++;
        }
      }
      writeFileSync(path, good);
    }
    expect(checked).toBeGreaterThan(500);
    const ck = loadCheckpoint(dir);
    expect(values(ck.tensors.w!)).toEqual([3, -3]);
    ck.tensors.w!.dispose();
  });

  it('a truncated weights file is reported with both sizes', () => {
    const dir = tmp();
    const m = write(dir, 1);
    const path = join(dir, m.files.weights.path);
    writeFileSync(path, readFileSync(path).subarray(0, 10));
    expect(() => loadCheckpoint(dir)).toThrow(/has 10 bytes, the manifest says \d+/);
  });

  it('what an interrupted write leaves is ignored by the loader and cleaned on the next start', () => {
    const dir = tmp();
    write(dir, 1);
    const committed = readdirSync(dir).sort();
    // Leftovers of a run killed mid-write: a partial data file, a partial manifest, and a complete
    // data file whose manifest was never committed.
    const orphan = `checkpoint-${'ab'.repeat(8)}.safetensors`;
    writeFileSync(join(dir, `checkpoint-${'cd'.repeat(8)}.safetensors.partial-123-0`), 'half');
    writeFileSync(join(dir, 'checkpoint.json.partial-123-1'), '{"form');
    writeFileSync(join(dir, orphan), encodeWeights(2));
    writeFileSync(join(dir, 'other.txt'), 'not ours');
    const ck = loadCheckpoint(dir);
    expect(values(ck.tensors.w!)).toEqual([1, -1]);
    ck.tensors.w!.dispose();
    expect(cleanCheckpointDir(dir).sort()).toHaveLength(3);
    expect(readdirSync(dir).sort()).toEqual([...committed, 'other.txt'].sort());
    // A newer checkpoint replaces the older one and deletes its data file.
    write(dir, 2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors'))).toHaveLength(1);
    const again = loadCheckpoint(dir);
    expect(values(again.tensors.w!)).toEqual([2, -2]);
    expect(again.manifest.metadata.note).toBe('epoch 2');
    again.tensors.w!.dispose();
  });

  it('the weights file is plain safetensors that loadSafetensors reads', () => {
    const dir = tmp();
    const m = write(dir, 4);
    const { tensors } = loadSafetensors(new Uint8Array(readFileSync(join(dir, m.files.weights.path))));
    expect(values(tensors.w!)).toEqual([4, -4]);
    tensors.w!.dispose();
  });
});

describe('earlyStopping', () => {
  it('an unknown monitor ends the stream with a clear error instead of an unhandled one', async () => {
    const events: TrainEvent[] = [
      { type: 'epochEnd', epoch: 0, loss: 1, metrics: {}, samples: 1, samplesPerSec: 1, durationMs: 1 },
    ];
    await expect(
      lastValueFrom(from(events).pipe(earlyStopping({ monitor: 'accuracy' }), toArray())),
    ).rejects.toThrow("monitor 'accuracy': no such value (have loss, no metrics)");
  });
});
