import { type FigureEvent, imageArray, type VegaLiteSpec } from '@myelin/train';
import { heatMapPixels } from '@myelin/zoo-rnn';

/**
 * Attention weights as pictures for the event stream: a query × key heat map (an image, and a
 * Vega-Lite chart with the tokens on its axes), and the class token's attention over a ViT's patches
 * laid over the image. Host arrays in, events out; the weights come from a model's `attention` sink.
 */

/** Each row scaled by its largest weight, so a row's pattern shows whatever its spread. */
function rowScaled(weights: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, weights[r * cols + c]!);
    for (let c = 0; c < cols; c++) out[r * cols + c] = m > 0 ? weights[r * cols + c]! / m : 0;
  }
  return out;
}

/**
 * Two figures of one (rows × cols) attention matrix, row-major, a query per row: a grey image
 * (`cell` pixels a weight, each row scaled to its largest weight) and a heat-map chart whose axes
 * name the tokens (the raw weights, hover for values).
 */
export function attentionFigures(
  title: string,
  weights: ArrayLike<number>,
  queries: readonly string[],
  keys: readonly string[],
  cell = 12,
): [FigureEvent, FigureEvent] {
  const rows = queries.length;
  const cols = keys.length;
  if (weights.length !== rows * cols)
    throw new RangeError(
      `attentionFigures: ${rows} queries × ${cols} keys need ${rows * cols} weights, got ${weights.length}`,
    );
  const pixels = heatMapPixels(rowScaled(weights, rows, cols), rows, cols, cell);
  const values: { q: string; k: string; weight: number }[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      values.push({ q: `${r}:${queries[r]}`, k: `${c}:${keys[c]}`, weight: weights[r * cols + c]! });
  const axis = (name: string) => ({
    field: name === 'key' ? 'k' : 'q',
    type: 'ordinal',
    sort: null,
    title: name,
    axis: { labelExpr: "slice(datum.value, indexof(datum.value, ':') + 1)" },
  });
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    mark: 'rect',
    encoding: {
      x: axis('key'),
      y: axis('query'),
      color: { field: 'weight', type: 'quantitative', scale: { scheme: 'greys' } },
      tooltip: [{ field: 'q' }, { field: 'k' }, { field: 'weight', type: 'quantitative', format: '.3f' }],
    },
  };
  return [
    {
      type: 'figure',
      kind: 'image',
      title: `${title} (rows scaled to their largest weight)`,
      image: imageArray(pixels, [1, 1, rows * cell, cols * cell]),
    },
    { type: 'figure', kind: 'chart', title: `${title} (chart)`, spec },
  ];
}

/**
 * Attention rollout (Abnar & Zuidema 2020): per image, the product over layers of
 * ½·(head-averaged weights) + ½·I (the residual path), rows renormalised; returns the class token's
 * row over the patches (B × patches). `layers` are the (B, H, N, N) weights of each block, as host
 * arrays, token 0 the class token.
 */
export function classTokenRollout(
  layers: readonly Float32Array[],
  B: number,
  H: number,
  N: number,
): Float32Array {
  const out = new Float32Array(B * (N - 1));
  for (let b = 0; b < B; b++) {
    let roll: Float64Array | null = null;
    for (const w of layers) {
      const a = new Float64Array(N * N);
      for (let h = 0; h < H; h++) {
        const base = (b * H + h) * N * N;
        for (let i = 0; i < N * N; i++) a[i]! += w[base + i]! / (2 * H);
      }
      for (let i = 0; i < N; i++) {
        a[i * N + i]! += 0.5;
        let s = 0;
        for (let j = 0; j < N; j++) s += a[i * N + j]!;
        for (let j = 0; j < N; j++) a[i * N + j]! /= s;
      }
      if (roll === null) roll = a;
      else {
        // roll ← a · roll (later layers on the left)
        const next = new Float64Array(N * N);
        for (let i = 0; i < N; i++)
          for (let k = 0; k < N; k++) {
            const v = a[i * N + k]!;
            if (v !== 0) for (let j = 0; j < N; j++) next[i * N + j]! += v * roll[k * N + j]!;
          }
        roll = next;
      }
    }
    for (let j = 1; j < N; j++) out[b * (N - 1) + j - 1] = roll ? roll[j]! : 0;
  }
  return out;
}

/**
 * RGB images (B, 3, S·scale, S·scale) of grey images (B × S × S in [0, 1]) with a per-patch map
 * (B × g × g, g = S / patch) laid over in red, each image's map stretched from its smallest value
 * (no red) to its largest (full red).
 */
export function patchOverlay(
  pixels: ArrayLike<number>,
  maps: ArrayLike<number>,
  B: number,
  S: number,
  patch: number,
  scale = 4,
): Float32Array {
  const g = S / patch;
  const W = S * scale;
  const out = new Float32Array(B * 3 * W * W);
  for (let b = 0; b < B; b++) {
    // Stretched from the image's smallest value to its largest: rollout maps are flat-ish (the
    // residual half keeps every row near uniform), so scaling by the maximum alone shows little.
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < g * g; k++) {
      lo = Math.min(lo, maps[b * g * g + k]!);
      hi = Math.max(hi, maps[b * g * g + k]!);
    }
    for (let y = 0; y < W; y++)
      for (let x = 0; x < W; x++) {
        const py = Math.floor(y / scale);
        const px = Math.floor(x / scale);
        const v = pixels[b * S * S + py * S + px]!;
        const v0 = maps[b * g * g + Math.floor(py / patch) * g + Math.floor(px / patch)]!;
        const a = hi > lo ? (v0 - lo) / (hi - lo) : 0;
        const o = b * 3 * W * W + y * W + x;
        // the digit in grey at 60 %, the attention as red on top
        out[o] = Math.min(1, 0.6 * v + a);
        out[o + W * W] = 0.6 * v;
        out[o + 2 * W * W] = 0.6 * v;
      }
  }
  return out;
}
