import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { loadModel, memory, noGrad, scope, tensor, use } from '@myelin/core';
import { loadMnist } from '@myelin/data/node';
import { defineRecipe, imageArray, type ZooEvent } from '@myelin/train';
import { LeNet5 } from '@myelin/zoo-cnn';
import { PNG } from 'pngjs';
import { from } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenize, UsageError } from '../src/args.js';
import { main } from '../src/main.js';
import { chartSvg, gridColumns, imageGridPng } from '../src/pictures.js';
import { trainRecipe } from '../src/recipes.js';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await main(argv, (s) => {
    text += s;
  });
  return { code, text };
}

/**
 * Well-formed XML: every tag closes in order, attributes are quoted, no stray '<' or '&'. (No XML
 * parser is installed; this is the part of one that a broken renderer would trip.)
 */
function checkXml(xml: string): string[] {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    expect(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(text)).toBe(false);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`not well-formed at ${lt}: ${xml.slice(lt, lt + 60)}`);
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name!);
    i = tag.lastIndex;
  }
  expect(stack).toEqual([]);
  return [...xml.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('pictures', () => {
  it('imageGridPng: every tile lands at its place with 1-px grey gutters (generated sizes, grey and RGB)', () => {
    let state = 12345;
    const rand = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    for (let trial = 0; trial < 25; trial++) {
      const n = 1 + Math.floor(rand() * 17);
      const c = rand() < 0.5 ? 1 : 3;
      const h = 1 + Math.floor(rand() * 6);
      const w = 1 + Math.floor(rand() * 6);
      const values = Float32Array.from({ length: n * c * h * w }, () => Math.round(rand() * 255) / 255);
      const png = PNG.sync.read(imageGridPng(imageArray(values, [n, c, h, w])));
      const cols = gridColumns(n);
      const rows = Math.ceil(n / cols);
      expect([png.width, png.height]).toEqual([cols * w + cols - 1, rows * h + rows - 1]);
      expect(cols * cols >= n && (cols - 1) * (cols - 1) < n).toBe(true);
      for (let y = 0; y < png.height; y++)
        for (let x = 0; x < png.width; x++) {
          const [tx, ix] = [Math.floor(x / (w + 1)), x % (w + 1)];
          const [ty, iy] = [Math.floor(y / (h + 1)), y % (h + 1)];
          const k = ty * cols + tx;
          const o = (y * png.width + x) * 4;
          const px = [png.data[o], png.data[o + 1], png.data[o + 2], png.data[o + 3]];
          if (ix === w || iy === h || k >= n) expect(px).toEqual([128, 128, 128, 255]);
          else {
            const at = (ch: number) => Math.round(values[((k * c + ch) * h + iy) * w + ix]! * 255);
            expect(px).toEqual(c === 1 ? [at(0), at(0), at(0), 255] : [at(0), at(1), at(2), 255]);
          }
        }
    }
    expect(() => imageGridPng({ data: new Float32Array(2 * 2 * 2 * 2), shape: [2, 2, 2, 2] })).toThrow(
      'imageGridPng: images need 1 (grey) or 3 (RGB) channels, got 2',
    );
  });

  it('chartSvg renders a Vega-Lite spec to well-formed SVG with its titles', async () => {
    const svg = await chartSvg({
      title: 'a & b',
      data: {
        values: [
          { x: 1, y: 2 },
          { x: 2, y: 3 },
        ],
      },
      mark: 'line',
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(checkXml(svg)).toEqual(expect.arrayContaining(['a &amp; b', 'x', 'y']));
  });
});

describe('myelin train <recipe>', () => {
  afterAll(async () => {
    await use(cpuBackend());
  });

  it('models lists the recipes of the installed zoos', async () => {
    const { text } = await run(['models']);
    expect(text).toMatch(/^lenet5-mnist +LeNet-5 on MNIST \(@myelin\/zoo-cnn\)$/m);
    expect(text).toMatch(/^resnet-fashion +ResNet \(28×28\) on Fashion-MNIST \(@myelin\/zoo-cnn\)$/m);
  });

  it('a boolean flag reads as its usage says: --flag, --flag true|false, --flag=false', () => {
    const decls = [{ name: 'flip', type: 'boolean', default: true, help: '' }] as const;
    const cases: [string[], Record<string, string>, string[]][] = [
      [['--flip'], { flip: 'true' }, []],
      [['--flip', 'false'], { flip: 'false' }, []],
      [['--flip', 'true', 'x'], { flip: 'true' }, ['x']],
      [['--flip=false'], { flip: 'false' }, []],
      [['--flip', 'maybe'], { flip: 'true' }, ['maybe']],
    ];
    for (const [argv, flags, positionals] of cases) {
      const t = tokenize(argv, decls, 'train');
      expect([argv, t.flags, t.positionals]).toEqual([argv, flags, positionals]);
    }
  });

  it("a recipe's flags come from its declarations, checked the same way", async () => {
    const help = await run(['train', 'resnet-fashion', '--help']);
    expect(help.text).toContain('--weight-decay <a number ≥ 0> (default 0.0005)');
    expect(help.text).toContain('--flip <true or false> (default true)');
    expect(help.text).toContain('--out <a string>');
    const cases: [string[], string][] = [
      [['train', 'lenet5-mnist', '--epochs', '0'], "train: --epochs: expected an integer ≥ 1, got '0'"],
      [['train', 'lenet5-mnist', '--dataset', 'mnist'], 'train: --dataset: not an option'],
      [['train', 'lenet5-mnist', '--test-limt', '5'], '(did you mean --test-limit?)'],
      [['train', 'resnet-fashion', '--flip=maybe'], "train: --flip: expected true or false, got 'maybe'"],
      [['train', 'resnet-fashion', '--backend', 'tpu'], 'train: --backend: expected one of best, cpu, wasm'],
    ];
    for (const [argv, message] of cases) {
      const err = await run(argv).then(
        () => null,
        (e: Error) => e,
      );
      expect([argv, err instanceof UsageError, err?.message]).toEqual([
        argv,
        true,
        expect.stringContaining(message),
      ]);
    }
  });

  it('lenet5-mnist --limit 2000 --out DIR writes the predictions PNG, the curves as SVG and Vega-Lite, and metrics.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-recipe-'));
    const before = memory().tensors;
    const r = await run([
      'train',
      'lenet5-mnist',
      '--limit',
      '2000',
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--lr',
      '0.003',
      '--test-limit',
      '500',
      '--samples',
      '10',
      '--backend',
      'wasm',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(memory().tensors).toBe(before);
    expect(readdirSync(dir).sort()).toEqual([
      'lenet5-mnist.safetensors',
      'metrics.json',
      'test-predictions.png',
      'test-predictions.txt',
      'training-curves.svg',
      'training-curves.vl.json',
    ]);
    // 10 images: 4 columns, 3 rows of 28×28 tiles with 1-px gutters.
    const png = PNG.sync.read(readFileSync(join(dir, 'test-predictions.png')));
    expect([png.width, png.height]).toEqual([4 * 28 + 3, 3 * 28 + 2]);
    // The first tile is the first MNIST test digit, byte for byte.
    const test = await loadMnist({ split: 'test' });
    const tile: number[] = [];
    const digit: number[] = [];
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        tile.push(png.data[(y * png.width + x) * 4]!);
        digit.push(test.images[y * 28 + x]!);
      }
    expect(tile).toEqual(digit);
    const captions = readFileSync(join(dir, 'test-predictions.txt'), 'utf8').trim().split('\n');
    expect(captions).toHaveLength(10);
    captions.forEach((c, i) => {
      expect(Number(c.split(' ≠ ').at(-1))).toBe(test.labels[i]);
    });
    const texts = checkXml(readFileSync(join(dir, 'training-curves.svg'), 'utf8'));
    expect(texts).toEqual(expect.arrayContaining(['loss', 'accuracy', 'epoch', 'train', 'test']));
    const spec = JSON.parse(readFileSync(join(dir, 'training-curves.vl.json'), 'utf8'));
    expect(spec.data.values.filter((v: { split: string }) => v.split === 'test')).toHaveLength(4);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ recipe: 'lenet5-mnist', backend: 'wasm', options: { limit: 2000 } });
    expect(metrics.metrics['test accuracy'].value).toBeGreaterThanOrEqual(0.85);
    expect(metrics.metrics['test images'].value).toBe(500);
    expect(r.text).toMatch(/^test accuracy: 0\.\d{4}$/m);
    expect(r.text).toContain(`wrote ${join(dir, 'metrics.json')}`);
    // The model event's file is the trained LeNet-5: loaded into a fresh one, it classifies the
    // 500 test digits exactly as the run's final evaluation did.
    const net = new LeNet5();
    const { metadata } = await loadModel(net, join(dir, 'lenet5-mnist.safetensors'));
    expect(metadata).toMatchObject({ arch: 'lenet5', config: JSON.stringify({ seed: 1 }) });
    const x = tensor(
      Float32Array.from(test.images.subarray(0, 500 * 784), (v) => v / 255),
      {
        shape: [500, 1, 28, 28],
      },
    );
    const predicted = scope(() => noGrad(() => net.eval().forward(x).argmax(1)).dataSync());
    let right = 0;
    for (let i = 0; i < 500; i++) if (predicted[i] === test.labels[i]) right++;
    expect(right / 500).toBeCloseTo(metrics.metrics['test accuracy'].value, 6);
    x.dispose();
    net.dispose();
  }, 120_000);
});

describe('--out for episode and embedding events', () => {
  it('writes episodes.csv, each recorded episode as a frame strip, the projection as SVG and the neighbours as text', async () => {
    const frames = Float32Array.from({ length: 3 * 3 * 2 * 2 }, (_, i) => (i % 5) / 4);
    const recipe = defineRecipe({
      name: 'events-probe',
      title: 'events probe',
      description: 'emits episode and embedding events',
      family: 'test',
      options: [] as const,
      run: () =>
        from<ZooEvent[]>([
          { type: 'episode', episode: 0, return: 9.5, length: 10, loss: 0.25, epsilon: 1 },
          { type: 'episode', episode: 1, return: 20, length: 20, frames: imageArray(frames, [3, 3, 2, 2]) },
          {
            type: 'embedding',
            title: 'word map',
            points: { data: Float32Array.from([0, 0, 1, 1, -1, 2]), shape: [3, 2], labels: ['a', 'b', 'c'] },
            neighbours: [{ query: 'a', neighbours: [{ label: 'b', similarity: 0.9 }] }],
          },
        ]),
    });
    const dir = mkdtempSync(join(tmpdir(), 'myelin-events-'));
    let text = '';
    const code = await trainRecipe(recipe as never, { backend: 'cpu', out: dir }, (s) => {
      text += s;
    });
    expect(code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'episode-2-frames.png',
      'episodes.csv',
      'metrics.json',
      'word-map.svg',
      'word-map.txt',
      'word-map.vl.json',
    ]);
    expect(readFileSync(join(dir, 'episodes.csv'), 'utf8')).toBe(
      'episode,return,length,loss,epsilon\n0,9.5,10,0.25,1\n1,20,20,,\n',
    );
    // The last episode's line: mean of the two returns.
    expect(text).toContain('episode 2: return 20, mean of last 2 14.7500, length 20');
    expect(text).toContain('a: b 0.900');
    // Three 2×2 RGB frames side by side with 1-px gutters; the first pixel is frame 0's (R, G, B) at (0, 0).
    const png = PNG.sync.read(readFileSync(join(dir, 'episode-2-frames.png')));
    expect([png.width, png.height]).toEqual([2 * 2 + 1, 2 * 2 + 1]);
    expect([png.data[0], png.data[1], png.data[2]]).toEqual(
      [0, 4, 8].map((k) => Math.round(255 * frames[k]!)),
    );
    const labels = checkXml(readFileSync(join(dir, 'word-map.svg'), 'utf8'));
    expect(labels).toEqual(expect.arrayContaining(['word map', 'a', 'b', 'c']));
  });
});
