import { wasmBackend } from '@myelin/backend-wasm';
import { Generator, memory, noGrad, scope, type Tensor, tensor, use } from '@myelin/core';
import { DataLoader, imageDataset, imageSetToTensors, takeImages } from '@myelin/data';
import { loadMnist } from '@myelin/data/node';
import { AdaptiveAvgPool2d, Conv2d, crossEntropy, Flatten, Linear, ReLU, Sequential } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import { fit, type MetricEvent, parseRecipeOptions, type SamplesEvent } from '@myelin/train';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  colormap,
  filterImages,
  gradCam,
  occlusion,
  overlay,
  overlayTensors,
  saliency,
} from '../src/interpret.js';
import { LeNet5 } from '../src/lenet.js';
import type { RecipeData } from '../src/recipes/data.js';
import { type SaliencyMnistOptions, saliencyMnist } from '../src/recipes/saliency-mnist.js';

/** LeNet-5 after one epoch over the first `n` MNIST training digits (Adam, lr 2e-3, batch 64). */
async function briefLeNet(n: number): Promise<LeNet5> {
  const net = new LeNet5({ seed: 1 });
  const optimizer = new Adam(net.parameters(), { lr: 2e-3 });
  const data = new DataLoader(imageDataset(takeImages(await loadMnist({ split: 'train' }), n)), {
    batchSize: 64,
    shuffle: true,
    seed: 1,
  });
  await lastValueFrom(fit(net, { optimizer, loss: (p, y) => crossEntropy(p, y), data, epochs: 1 }));
  optimizer.dispose();
  return net.eval();
}

/** Seeded uniform numbers in [lo, hi) on the host, for weights and images of the closed-form cases. */
function uniform(g: Generator, count: number, lo = 0, hi = 1): Float32Array {
  return g.uniform(count).map((u) => lo + (hi - lo) * u);
}

/** A test body in a memory scope: whatever it leaves alive is freed when it ends. */
const scoped =
  <T>(fn: () => T) =>
  () =>
    scope(fn);

describe('saliency and Grad-CAM of a briefly trained LeNet-5 on real MNIST digits', () => {
  let net: LeNet5;
  let x: Tensor;
  let y: Tensor;
  let pixels: Float32Array;
  const N = 48;

  beforeAll(async () => {
    await use(await wasmBackend());
    net = await briefLeNet(4000);
    ({ x, y } = imageSetToTensors(takeImages(await loadMnist({ split: 'test' }), N)));
    pixels = (await x.data()) as Float32Array;
  }, 60_000);
  afterAll(async () => {
    net.dispose();
    x.dispose();
    y.dispose();
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  /**
   * Averages over the images of: the map's share of mass on ink (pixels > 0.2) over ink's share
   * of the image; its share on the digit's bounding box over the box's share; its share on the
   * outer 2 rows and columns (27% of the image, almost never inked); and how often its peak lies
   * in the box.
   */
  function where(maps: Float32Array) {
    let [inkLift, boxLift, border, peaks] = [0, 0, 0, 0];
    for (let b = 0; b < N; b++) {
      const px = pixels.subarray(b * 784, (b + 1) * 784);
      const m = maps.subarray(b * 784, (b + 1) * 784);
      let [r0, r1, c0, c1] = [28, -1, 28, -1];
      let inkArea = 0;
      for (let i = 0; i < 28; i++)
        for (let j = 0; j < 28; j++)
          if (px[i * 28 + j]! > 0.2) {
            inkArea++;
            [r0, r1, c0, c1] = [Math.min(r0, i), Math.max(r1, i), Math.min(c0, j), Math.max(c1, j)];
          }
      let [total, onInk, inBox, edge, peak, peakInBox] = [0, 0, 0, 0, -Infinity, false];
      for (let i = 0; i < 28; i++)
        for (let j = 0; j < 28; j++) {
          const v = m[i * 28 + j]!;
          const box = i >= r0 && i <= r1 && j >= c0 && j <= c1;
          total += v;
          if (px[i * 28 + j]! > 0.2) onInk += v;
          if (box) inBox += v;
          if (i < 2 || i >= 26 || j < 2 || j >= 26) edge += v;
          if (v > peak) [peak, peakInBox] = [v, box];
        }
      inkLift += onInk / total / (inkArea / 784);
      boxLift += inBox / total / (((r1 - r0 + 1) * (c1 - c0 + 1)) / 784);
      border += edge / total;
      peaks += peakInBox ? 1 : 0;
    }
    return { inkLift: inkLift / N, boxLift: boxLift / N, border: border / N, peaks: peaks / N };
  }

  it(
    'the model learned something (sanity: ≥ 85% on these digits)',
    scoped(() => {
      const acc = noGrad(() => net.forward(x).argmax(1).equal(y).cast('float32').mean().item());
      expect(acc).toBeGreaterThanOrEqual(0.85);
    }),
  );

  it(
    'saliency peaks on the digit: its mass on ink and on the bounding box is far above their area share, the border carries little',
    scoped(async () => {
      const before = memory().tensors;
      const maps = saliency(net, x, { target: y });
      expect(maps.shape).toEqual([N, 28, 28]);
      const s = where((await maps.data()) as Float32Array);
      maps.dispose();
      expect(memory().tensors).toBe(before);
      expect(s.inkLift).toBeGreaterThan(2);
      expect(s.boxLift).toBeGreaterThan(1.5);
      expect(s.border).toBeLessThan(0.1); // the border is 27% of the image
      expect(s.peaks).toBeGreaterThanOrEqual(0.9);
    }),
  );

  // At the second convolution's 10×10 map the evidence is diffuse on this model (the same map as
  // PyTorch's hook-based Grad-CAM: blank input gives every channel a constant, bias-driven
  // activation, and where ink is absent is evidence on MNIST); the first convolution's full-size
  // map localises.
  it(
    'Grad-CAM on the first convolution’s activation peaks on the digit, not the border',
    scoped(async () => {
      const before = memory().tensors;
      const maps = gradCam(net, x, { layer: '1', target: y });
      expect(maps.shape).toEqual([N, 28, 28]);
      const s = where((await maps.data()) as Float32Array);
      maps.dispose();
      expect(memory().tensors).toBe(before);
      expect(s.inkLift).toBeGreaterThan(2);
      expect(s.boxLift).toBeGreaterThan(1.5);
      expect(s.border).toBeLessThan(0.1); // the border is 27% of the image
      expect(s.peaks).toBeGreaterThanOrEqual(0.85);
    }),
  );

  it(
    'occlusion: hiding the digit lowers the class probability, hiding blank space far from it changes nothing',
    scoped(async () => {
      const maps = occlusion(net, x.slice([0, 8]), { target: y.slice([0, 8]), patch: 6, stride: 2 });
      const m = (await maps.data()) as Float32Array;
      maps.dispose();
      for (let b = 0; b < 8; b++) {
        // Every patch covering a pixel 6 or more rows/cols away from any ink covers no ink: the
        // occluded image is the clean one, the drop 0.
        let [r0, r1, c0, c1] = [28, -1, 28, -1];
        for (let i = 0; i < 28; i++)
          for (let j = 0; j < 28; j++)
            if (pixels[b * 784 + i * 28 + j]! > 0)
              [r0, r1, c0, c1] = [Math.min(r0, i), Math.max(r1, i), Math.min(c0, j), Math.max(c1, j)];
        let [inkDrop, inkCount, farMax, far] = [0, 0, 0, 0];
        for (let i = 0; i < 28; i++)
          for (let j = 0; j < 28; j++) {
            const v = m[b * 784 + i * 28 + j]!;
            if (pixels[b * 784 + i * 28 + j]! > 0.2) {
              inkDrop += v;
              inkCount++;
            }
            if (i <= r0 - 6 || i >= r1 + 6 || j <= c0 - 6 || j >= c1 + 6) {
              farMax = Math.max(farMax, Math.abs(v));
              far++;
            }
          }
        expect(far).toBeGreaterThan(0);
        expect(farMax).toBeLessThan(1e-5);
        expect(inkDrop / inkCount).toBeGreaterThan(0);
      }
    }),
  );

  it(
    'Grad-CAM and saliency leave the parameters’ .grad alone and the model’s mode as it was',
    scoped(() => {
      net.zeroGrad();
      net.train();
      for (const p of net.parameters()) expect(p.grad === null).toBe(true);
      scope(() => {
        saliency(net, x.slice([0, 4]));
        gradCam(net, x.slice([0, 4]));
      });
      for (const p of net.parameters()) expect(p.grad === null).toBe(true);
      expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
      net.eval();
    }),
  );
});

describe('interpretation maps against closed forms (cpu backend)', () => {
  it(
    'saliency of a linear model is |W_c| at each pixel, the largest over channels',
    scoped(async () => {
      const g = new Generator(7);
      for (const [c, h, w, k] of [
        [1, 5, 4, 3],
        [2, 3, 3, 4],
        [3, 6, 2, 2],
      ] as const) {
        const model = new Sequential(new Flatten(), new Linear(c * h * w, k, { seed: 3 }));
        const n = 3;
        const x = tensor(uniform(g, n * c * h * w), { shape: [n, c, h, w] });
        const labels = [0, k - 1, 1 % k];
        const W = (await (model.at(1) as Linear).weight.data()) as Float32Array; // [k, c·h·w]
        const maps = (await saliency(model, x, { target: labels }).data()) as Float32Array;
        for (let b = 0; b < n; b++)
          for (let p = 0; p < h * w; p++) {
            let want = 0;
            for (let ch = 0; ch < c; ch++)
              want = Math.max(want, Math.abs(W[labels[b]! * c * h * w + ch * h * w + p]!));
            expect(maps[b * h * w + p]).toBeCloseTo(want, 6);
          }
        model.dispose();
        x.dispose();
      }
    }),
  );

  it(
    'Grad-CAM of conv → ReLU → global average pool → linear is CAM: ReLU(Σ_k w_ck·A_k / (h·w)) (Selvaraju et al. §3.1)',
    scoped(async () => {
      const g = new Generator(11);
      const [n, c, h, w, K, classes] = [2, 2, 5, 6, 3, 4];
      const model = new Sequential(
        new Conv2d(c, K, 3, { padding: 1, seed: 5 }),
        new ReLU(),
        new AdaptiveAvgPool2d(1),
        new Flatten(),
        new Linear(K, classes, { seed: 6 }),
      );
      const x = tensor(uniform(g, n * c * h * w, -1, 1), { shape: [n, c, h, w] });
      const target = [3, 1];
      const A = (await noGrad(() =>
        (model.at(1) as ReLU).forward((model.at(0) as Conv2d).forward(x)),
      ).data()) as Float32Array;
      const W = (await (model.at(4) as Linear).weight.data()) as Float32Array;
      const cam = (await gradCam(model, x, { layer: '1', target }).data()) as Float32Array;
      // The feature map has the input's size, so the bilinear resize is the identity.
      for (let b = 0; b < n; b++)
        for (let p = 0; p < h * w; p++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += (W[target[b]! * K + k]! / (h * w)) * A[(b * K + k) * h * w + p]!;
          expect(cam[b * h * w + p]).toBeCloseTo(Math.max(s, 0), 6);
        }
      expect(() => gradCam(model, x, { layer: 'nope' })).toThrow(/no layer 'nope'.*0 \(Conv2d\)/);
      expect(() => gradCam(model, x, { layer: '4' })).toThrow(/layer '4' gives \[2,4\], not a feature map/);
      model.dispose();
      x.dispose();
    }),
  );

  it(
    'occlusion of a linear model: the mean drop of softmax_c over the patches covering each pixel (float64 host reference)',
    scoped(async () => {
      const g = new Generator(13);
      for (const [h, w, patch, stride, fill] of [
        [4, 5, 1, 1, 0],
        [6, 6, 2, 1, 0.5],
        [7, 5, 3, 2, 0],
        [5, 5, 5, 3, 1],
      ] as const) {
        const k = 3;
        const model = new Sequential(new Flatten(), new Linear(h * w, k, { seed: 9 }));
        const xv = uniform(g, h * w);
        const x = tensor(xv, { shape: [1, 1, h, w] });
        const W = (await (model.at(1) as Linear).weight.data()) as Float32Array;
        const B = (await (model.at(1) as Linear).bias!.data()) as Float32Array;
        const prob = (img: Float32Array, c: number) => {
          const z = Array.from(
            { length: k },
            (_, r) => B[r]! + img.reduce((s, v, i) => s + W[r * h * w + i]! * v, 0),
          );
          const m = Math.max(...z);
          return Math.exp(z[c]! - m) / z.reduce((s, v) => s + Math.exp(v - m), 0);
        };
        const c = 2;
        const pos = (len: number) => {
          const out: number[] = [];
          for (let o = 0; o <= len - patch; o += stride) out.push(o);
          if (!out.includes(len - patch)) out.push(len - patch);
          return out;
        };
        const sum = new Float64Array(h * w);
        const cnt = new Float64Array(h * w);
        for (const r of pos(h))
          for (const q of pos(w)) {
            const img = Float32Array.from(xv);
            for (let i = r; i < r + patch; i++) for (let j = q; j < q + patch; j++) img[i * w + j] = fill;
            const drop = prob(xv, c) - prob(img, c);
            for (let i = r; i < r + patch; i++)
              for (let j = q; j < q + patch; j++) {
                sum[i * w + j]! += drop;
                cnt[i * w + j]!++;
              }
          }
        const got = (await occlusion(model, x, { target: c, patch, stride, fill }).data()) as Float32Array;
        for (let i = 0; i < h * w; i++) expect(got[i]).toBeCloseTo(sum[i]! / cnt[i]!, 5);
        model.dispose();
        x.dispose();
      }
    }),
  );

  it(
    'first-layer filters: each scaled on its own to [0, 1], an affine map of its weights',
    scoped(async () => {
      for (const inCh of [1, 3, 2]) {
        const model = new Sequential(new Conv2d(inCh, 4, 3, { seed: 2 }), new ReLU());
        const W = (await (model.at(0) as Conv2d).weight.data()) as Float32Array;
        const img = await filterImages(model);
        expect(img.shape).toEqual(inCh === 2 ? [8, 1, 3, 3] : [4, inCh, 3, 3]);
        const per = inCh === 2 ? 9 : inCh * 9;
        for (let f = 0; f < W.length / per; f++) {
          const w = W.subarray(f * per, (f + 1) * per);
          const v = img.data.subarray(f * per, (f + 1) * per);
          const lo = Math.min(...w);
          const hi = Math.max(...w);
          expect(Math.min(...v)).toBe(0);
          expect(Math.max(...v)).toBeCloseTo(1, 6);
          for (let i = 0; i < per; i++) expect(v[i]).toBeCloseTo((w[i]! - lo) / (hi - lo), 6);
        }
        model.dispose();
      }
      const noConv = new Sequential(new Flatten());
      await expect(filterImages(noConv)).rejects.toThrow(/filterImages: the model has no Conv2d/);
    }),
  );

  it(
    'overlay: alpha 0 gives the grey image in RGB, alpha 1 the colormap of the min–max scaled map',
    scoped(async () => {
      const g = new Generator(17);
      const [n, h, w] = [3, 4, 5];
      const img = { data: uniform(g, n * h * w), shape: [n, 1, h, w] };
      const map = { data: uniform(g, n * h * w, -2, 3), shape: [n, h, w] };
      const grey = overlay(map, img, { alpha: 0 });
      expect(grey.shape).toEqual([n, 3, h, w]);
      for (let b = 0; b < n; b++)
        for (let ch = 0; ch < 3; ch++)
          for (let p = 0; p < h * w; p++)
            expect(grey.data[(b * 3 + ch) * h * w + p]).toBeCloseTo(img.data[b * h * w + p]!, 6);
      const colour = overlay(map, img, { alpha: 1, colormap: 'jet' });
      for (let b = 0; b < n; b++) {
        const m = map.data.subarray(b * h * w, (b + 1) * h * w);
        const lo = Math.min(...m);
        const hi = Math.max(...m);
        for (let p = 0; p < h * w; p++) {
          const rgb = colormap('jet', (m[p]! - lo) / (hi - lo));
          for (let ch = 0; ch < 3; ch++)
            expect(colour.data[(b * 3 + ch) * h * w + p]).toBeCloseTo(rgb[ch]!, 6);
        }
      }
      expect(Math.min(...colour.data)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...colour.data)).toBeLessThanOrEqual(1);
      // Tensors in, the same picture out.
      const t = await overlayTensors(
        tensor(map.data, { shape: map.shape }),
        tensor(img.data, { shape: img.shape }),
        { alpha: 1, colormap: 'jet' },
      );
      expect(Array.from(t.data)).toEqual(Array.from(colour.data));
      expect(() => overlay({ data: map.data, shape: [n, h, w + 1] }, img)).toThrow(
        /overlay: maps must be \[3, 4, 5\] to match images \[3,1,4,5\], got \[3,4,6\]/,
      );
      expect(() => overlay(map, img, { alpha: 2 })).toThrow(/alpha must be in \[0, 1\], got 2/);
    }),
  );

  it(
    'colormaps end where matplotlib’s do: viridis #440154 → #fde725, jet dark blue → dark red',
    scoped(() => {
      const hex = (rgb: number[]) => rgb.map((v) => Math.round(v * 255));
      expect(hex(colormap('viridis', 0))).toEqual([0x44, 0x01, 0x54]);
      expect(hex(colormap('viridis', 1))).toEqual([0xfd, 0xe7, 0x25]);
      // matplotlib: jet(0) = (0, 0, 0.5), jet(0.5) ≈ (0.49, 1, 0.48), jet(1) = (0.5, 0, 0).
      expect(colormap('jet', 0)).toEqual([0, 0, 0.5]);
      expect(colormap('jet', 0.5).map((v) => v.toFixed(1))).toEqual(['0.5', '1.0', '0.5']);
      expect(colormap('jet', 1)).toEqual([0.5, 0, 0]);
    }),
  );

  it(
    'bad inputs name the op and what it expected',
    scoped(() => {
      const model = new Sequential(new Flatten(), new Linear(4, 3));
      const x = tensor(new Float32Array(8), { shape: [2, 1, 2, 2] });
      expect(() => saliency(model, tensor([1, 2]))).toThrow(
        /saliency: expected a non-empty float32 image batch \[N, C, H, W\], got float32 \[2\]/,
      );
      expect(() => saliency(model, x, { target: 3 })).toThrow(
        /saliency: target must be a class in \[0, 2\], got 3/,
      );
      expect(() => saliency(model, x, { target: [0] })).toThrow(/saliency: 1 targets for 2 images/);
      expect(() => occlusion(model, x, { patch: 3 })).toThrow(
        /occlusion: patch must be an integer in \[1, 2\], got 3/,
      );
      expect(() => gradCam(model, x)).toThrow(/gradCam: the model has no Conv2d/);
      model.dispose();
      x.dispose();
    }),
  );
});

describe('the saliency-mnist recipe on real MNIST (wasm backend)', () => {
  const data: RecipeData['data'] = { imageSet: (_name, split) => loadMnist({ split }) };
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('trains, then shows digits, saliency, Grad-CAM and occlusion overlays (RGB) and the filters; maps on ink; memory flat', async () => {
    const before = memory().tensors;
    const raw = { epochs: '1', limit: '4000', testLimit: '500', samples: '8', lr: '0.002' };
    const options = {
      ...(parseRecipeOptions(saliencyMnist.options, raw) as unknown as SaliencyMnistOptions),
      data,
    };
    const events = await lastValueFrom(saliencyMnist.run(options).pipe(toArray()));
    expect(memory().tensors).toBe(before);
    const metric = (name: string) =>
      events.find((e): e is MetricEvent => e.type === 'metric' && e.name === name)?.value;
    expect(metric('test accuracy')).toBeGreaterThanOrEqual(0.85);
    expect(metric('saliency on ink')).toBeGreaterThan(2);
    expect(metric('Grad-CAM on ink')).toBeGreaterThan(2);
    const grids = events.filter((e): e is SamplesEvent => e.type === 'samples');
    expect(grids.map((g) => [g.title, g.images.shape])).toEqual([
      ['first-layer filters', [6, 1, 5, 5]],
      ['test digits (predicted class)', [8, 1, 28, 28]],
      ['saliency |∂ logit / ∂ x|', [8, 3, 28, 28]],
      ['Grad-CAM (layer 1)', [8, 3, 28, 28]],
      ['occlusion sensitivity (6×6 patches)', [8, 3, 28, 28]],
    ]);
    const test = await loadMnist({ split: 'test' });
    grids[1]!.labels!.forEach((label, i) => {
      const [pred, truth] = label.split(' ≠ ');
      expect(Number(truth ?? pred)).toBe(test.labels[i]);
    });
    expect(events.some((e) => e.type === 'figure')).toBe(true);
  }, 60_000);

  it('a layer that is not in LeNet-5 fails the run naming the layers there are', async () => {
    const options = {
      ...(parseRecipeOptions(saliencyMnist.options, {
        limit: '64',
        testLimit: '64',
        samples: '2',
        layer: 'fc',
      }) as unknown as SaliencyMnistOptions),
      data,
    };
    await expect(lastValueFrom(saliencyMnist.run(options))).rejects.toThrow(
      /gradCam: no layer 'fc' in the model; layers: 0 \(Conv2d\), 1 \(ReLU\)/,
    );
  });
});
