import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memory, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  attentionFigures,
  classTokenRollout,
  GPT,
  type GPTConfig,
  patchOverlay,
  ViT,
  type ViTConfig,
} from '../src/index.js';

/** The torch-built GPT and ViT of tools/gen_transformer_fixtures.py. */
interface Case {
  config: Record<string, number | string>;
  state: Record<string, { shape: number[]; values: number[] }>;
  logits: number[];
}
const fixture: {
  gpt: Case & { ids: number[]; shape: number[] };
  vit: Case & { images: number[]; shape: number[] };
} = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/transformer.json', import.meta.url)), 'utf8'));

function load<M extends GPT | ViT>(model: M, c: Case): M {
  const state = Object.fromEntries(
    Object.entries(c.state).map(([k, v]) => [k, tensor(Float32Array.from(v.values), { shape: v.shape })]),
  );
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return model;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('attention weights on request (the explicit softmax path)', () => {
  it('GPT: logits equal the fused path’s and torch’s; one causal (B, H, T, T) map per block, rows summing to 1; nothing leaks', async () => {
    const c = fixture.gpt;
    const gpt = load(new GPT(c.config as unknown as GPTConfig), c);
    const ids = tensor(Int32Array.from(c.ids), { shape: c.shape, dtype: 'int32' });
    const before = memory().tensors;
    const [fused, explicit, maps] = noGrad(() =>
      scope(() => {
        const sink: Tensor[] = [];
        return [gpt.forward(ids), gpt.forward(ids, sink), sink] as const;
      }),
    );
    expect(maxDiff(await fused.data(), await explicit.data())).toBeLessThan(1e-5);
    expect(maxDiff(await explicit.data(), c.logits)).toBeLessThan(1e-4);
    const [B, T] = c.shape as [number, number];
    const H = c.config.nHead as number;
    expect(maps).toHaveLength(c.config.nLayer as number);
    for (const m of maps) {
      expect(m.shape).toEqual([B, H, T, T]);
      const w = await m.data();
      for (let r = 0; r < B * H * T; r++) {
        const i = r % T;
        let sum = 0;
        for (let j = 0; j < T; j++) {
          sum += w[r * T + j]!;
          if (j > i) expect(w[r * T + j]).toBe(0);
        }
        expect(sum).toBeCloseTo(1, 5);
      }
    }
    for (const t of [fused, explicit, ...maps]) t.dispose();
    expect(memory().tensors).toBe(before);
    gpt.dispose();
  });

  it('ViT: logits equal the fused path’s and torch’s; one (B, H, 1 + patches, 1 + patches) map per block', async () => {
    const c = fixture.vit;
    const vit = load(new ViT(c.config as unknown as ViTConfig), c);
    const images = tensor(Float32Array.from(c.images), { shape: c.shape });
    const sink: Tensor[] = [];
    const [fused, explicit] = noGrad(() => [vit.forward(images), vit.forward(images, sink)]);
    expect(maxDiff(await fused!.data(), await explicit!.data())).toBeLessThan(1e-5);
    expect(maxDiff(await explicit!.data(), c.logits)).toBeLessThan(1e-4);
    const n = ((c.config.imageSize as number) / (c.config.patchSize as number)) ** 2 + 1;
    expect(sink.map((t) => t.shape)).toEqual(
      Array.from({ length: c.config.depth as number }, () => [c.shape[0], c.config.heads, n, n]),
    );
    vit.dispose();
  });
});

describe('attention pictures', () => {
  it('classTokenRollout is the product of ½(head mean) + ½I over layers (worked by hand for 2 tokens)', () => {
    // One image, two heads, tokens [cls, patch]. Layer 1 head mean [[0.6, 0.4], [0.2, 0.8]] → A1 =
    // [[0.8, 0.2], [0.1, 0.9]]; layer 2 head mean [[0.5, 0.5], [0.5, 0.5]] → A2 = [[0.75, 0.25],
    // [0.25, 0.75]]. Rollout A2·A1: class row = [0.75·0.8 + 0.25·0.1, 0.75·0.2 + 0.25·0.9] = [0.625, 0.375].
    const layer1 = Float32Array.of(0.7, 0.3, 0.1, 0.9, 0.5, 0.5, 0.3, 0.7);
    const layer2 = Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5);
    expect(classTokenRollout([layer1], 1, 2, 2)[0]).toBeCloseTo(0.2, 6);
    const out = classTokenRollout([layer1, layer2], 1, 2, 2);
    expect(out).toHaveLength(1);
    expect(out[0]).toBeCloseTo(0.375, 6);
  });

  it('patchOverlay: grey digit at 60 %, the patch map in red stretched from its smallest to its largest value', () => {
    // one 2×2 image of two 1×1 patches per side, map [1, 1, 1, 3] → only the last patch is red (1)
    const img = patchOverlay(Float32Array.of(0, 1, 0.5, 0), Float32Array.of(1, 1, 1, 3), 1, 2, 1, 1);
    expect(Array.from(img)).toEqual(
      [0, 0.6, 0.3, 1, 0, 0.6, 0.3, 0, 0, 0.6, 0.3, 0].map((v) => Math.fround(v)),
    );
  });

  it('attentionFigures: an image (rows scaled to their maximum) and a chart; a size mismatch is named', () => {
    const [image, chart] = attentionFigures(
      't',
      Float32Array.of(1, 0, 0.25, 0.75),
      ['a', 'b'],
      ['a', 'b'],
      1,
    );
    expect(image.kind === 'image' && Array.from(image.image.data)).toEqual(
      [1, 0, 1 / 3, 1].map((v) => Math.fround(v)),
    );
    expect(chart.kind === 'chart' && (chart.spec.data as { values: unknown[] }).values).toHaveLength(4);
    expect(() => attentionFigures('t', Float32Array.of(1, 0, 0), ['a', 'b'], ['a', 'b'])).toThrow(
      'attentionFigures: 2 queries × 2 keys need 4 weights, got 3',
    );
  });
});
