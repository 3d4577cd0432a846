import {
  argmax,
  concat,
  fmtShape,
  type Module,
  noGrad,
  oneHot,
  scope,
  softmax,
  stopGradient,
  type Tensor,
  tensor,
  vjp,
} from '@myelin/core';
import { Conv2d, interpolate } from '@myelin/nn';
import type { ImageArray } from '@myelin/train';

/**
 * Seeing inside an image classifier: where its decision comes from (saliency, Grad-CAM, occlusion),
 * what its first layer looks for (filter images), and an overlay that paints a map over its image.
 * Every map is `[N, H, W]`, one per input image, at the input's resolution; larger means more
 * important for the target class.
 */

/** A model that maps an image batch `[N, C, H, W]` to logits `[N, classes]`. */
export type ImageModel = Module & { forward(x: Tensor): Tensor };

/**
 * Which class each map explains: `'predicted'` (default: the model's top class per image), one class
 * for every image, or one per image (an array or an int32 tensor `[N]`, e.g. the labels).
 */
export type ClassTarget = 'predicted' | number | readonly number[] | Tensor;

export interface TargetOptions {
  target?: ClassTarget;
}

/**
 * Run `fn` with every module of `model` in eval mode (dropout off, batch norm on its running
 * statistics), then give each module back the mode it had — how attributions and attacks are taken.
 */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return fn();
  } finally {
    for (const [m, mode] of modes) m.training = mode;
  }
}

/** Throw unless `x` is a float32 image batch [N, C, H, W]. */
export function checkImages(op: string, x: Tensor): void {
  if (x.rank !== 4 || x.dtype !== 'float32' || x.size === 0)
    throw new RangeError(
      `${op}: expected a non-empty float32 image batch [N, C, H, W], got ${x.dtype} ${fmtShape(x.shape)}`,
    );
}

/** The int32 class per image ([N]) that `target` names, checked against the logits' shape. */
export function classIndices(op: string, logits: Tensor, target: ClassTarget | undefined): Tensor {
  const [n, classes] = logits.shape as [number, number];
  if (logits.rank !== 2)
    throw new RangeError(`${op}: the model must return logits [N, classes], got ${fmtShape(logits.shape)}`);
  const checkClass = (c: number, where: string) => {
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new RangeError(`${op}: ${where} must be a class in [0, ${classes - 1}], got ${c}`);
  };
  if (target === undefined || target === 'predicted') return argmax(stopGradient(logits), 1);
  if (typeof target === 'number') {
    checkClass(target, 'target');
    return tensor(new Int32Array(n).fill(target), { dtype: 'int32' });
  }
  if (Array.isArray(target)) {
    const list = target as readonly number[];
    if (list.length !== n) throw new RangeError(`${op}: ${list.length} targets for ${n} images`);
    for (let i = 0; i < n; i++) checkClass(list[i]!, `target ${i}`);
    return tensor(Int32Array.from(list), { dtype: 'int32' });
  }
  const t = target as Tensor;
  if (t.rank !== 1 || t.shape[0] !== n || t.dtype !== 'int32')
    throw new RangeError(`${op}: target must be an int32 tensor [${n}], got ${t.dtype} ${fmtShape(t.shape)}`);
  return t;
}

/** One-hot float32 [N, classes] of `classIndices`: the cotangent that picks logit_c of each image. */
function targetMask(op: string, logits: Tensor, target: ClassTarget | undefined): Tensor {
  return oneHot(classIndices(op, logits, target), logits.shape[1]!).cast('float32');
}

/**
 * Saliency maps (Simonyan, Vedaldi & Zisserman 2014, §3.1): |∂ logit_c / ∂ x|, the largest over
 * the colour channels, for each image `[N, H, W]`. Taken in eval mode; the parameters' `.grad` is
 * left alone.
 *
 * @example
 * const maps = saliency(net, images, { target: labels });   // [N, 28, 28]
 */
export function saliency(model: ImageModel, x: Tensor, options: TargetOptions = {}): Tensor {
  checkImages('saliency', x);
  return inEvalMode(model, () =>
    scope(() => {
      const [logits, back] = vjp((input: Tensor) => model.forward(input), x);
      // The images are independent (eval mode), so one backward pass of Σ_i logit_{i,c_i} gives
      // every image's own gradient; it is not recorded, so the map holds no graph.
      const [g] = noGrad(() => back(targetMask('saliency', logits, options.target)));
      return g!.abs().max(1);
    }),
  );
}

/** The module of `model` named `name` (a dotted `namedModules` path), or the last `Conv2d`. */
function findLayer(op: string, model: Module, name: string | undefined): [string, Module] {
  const all = model.namedModules().filter(([n]) => n !== '');
  if (name === undefined) {
    const convs = all.filter(([, m]) => m instanceof Conv2d);
    if (!convs.length) throw new RangeError(`${op}: the model has no Conv2d; name a layer with { layer }`);
    return convs.at(-1)!;
  }
  const found = all.find(([n]) => n === name);
  if (!found)
    throw new RangeError(
      `${op}: no layer '${name}' in the model; layers: ${all.map(([n, m]) => `${n} (${m.constructor.name})`).join(', ')}`,
    );
  return found;
}

type Forward = (...args: unknown[]) => unknown;

/**
 * Run `model.forward(x)` with the forward of `layer` replaced by `replace` (which gets the
 * layer's own output), checking the layer runs exactly once — how Grad-CAM reads and substitutes
 * one layer's activation through the ordinary Module API, for any architecture.
 */
function withLayer(
  op: string,
  model: ImageModel,
  [name, layer]: [string, Module],
  x: Tensor,
  replace: (own: () => Tensor) => Tensor,
): Tensor {
  const host = layer as unknown as { forward?: Forward };
  const original = host.forward;
  if (typeof original !== 'function') throw new TypeError(`${op}: layer '${name}' has no forward`);
  const hadOwn = Object.hasOwn(layer, 'forward');
  let calls = 0;
  host.forward = (...args: unknown[]) => {
    calls++;
    return replace(() => original.apply(layer, args) as Tensor);
  };
  try {
    const out = model.forward(x);
    if (calls !== 1)
      throw new RangeError(
        `${op}: layer '${name}' ran ${calls} times in one forward pass; pick a layer that runs once`,
      );
    return out;
  } finally {
    if (hadOwn) host.forward = original;
    else delete host.forward;
  }
}

export interface GradCamOptions extends TargetOptions {
  /**
   * The layer whose activations A [N, K, h, w] are weighed, as a dotted `namedModules` name
   * (LeNet-5: `'3'`, the second convolution; ResNet: `'layer4'`). Default: the last `Conv2d`.
   */
  layer?: string;
}

/**
 * Grad-CAM (Selvaraju et al. 2017, eq. 1–2): the weights α_k = mean over (i, j) of ∂y_c/∂A_k,
 * the map ReLU(Σ_k α_k A_k), upsampled bilinearly to the input's size: `[N, H, W]`. The layer's
 * activation is read in one pass and substituted as the variable of a second, so any model whose
 * layer runs once per forward works. Eval mode; the parameters' `.grad` is left alone.
 *
 * @example
 * const cams = gradCam(net, images, { layer: '3' });        // LeNet-5's second convolution
 */
export function gradCam(model: ImageModel, x: Tensor, options: GradCamOptions = {}): Tensor {
  const op = 'gradCam';
  checkImages(op, x);
  const layer = findLayer(op, model, options.layer);
  return inEvalMode(model, () =>
    scope(() => {
      let a: Tensor | undefined;
      noGrad(() =>
        withLayer(op, model, layer, x, (own) => {
          a = own();
          return a;
        }),
      );
      const act = a!;
      if (act.rank !== 4)
        throw new RangeError(
          `${op}: layer '${layer[0]}' gives ${fmtShape(act.shape)}, not a feature map [N, K, h, w]`,
        );
      const [logits, back] = vjp(
        (A: Tensor) =>
          withLayer(op, model, layer, x, () => {
            return A;
          }),
        act,
      );
      const [dA] = noGrad(() => back(targetMask(op, logits, options.target)));
      const weights = dA!.mean([2, 3], { keepdims: true });
      const cam = act.mul(weights).sum(1, { keepdims: true }).relu();
      const [, , h, w] = x.shape as [number, number, number, number];
      const up = interpolate(cam, { size: [h, w], mode: 'bilinear' });
      return up.reshape([x.shape[0]!, h, w]);
    }),
  );
}

export interface OcclusionOptions extends TargetOptions {
  /** Side of the square patch, in pixels (default 6). */
  patch?: number;
  /** Pixels between patch positions (default 2); the last row and column always reach the edge. */
  stride?: number;
  /** The patch's value (default 0: MNIST's background). */
  fill?: number;
  /** Occluded images per forward pass (default 1024). */
  batchSize?: number;
}

/** Patch offsets along an axis of `n`: 0, stride, … and n − patch, so every pixel is covered. */
function offsets(n: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o + patch <= n; o += stride) out.push(o);
  if (out.at(-1) !== n - patch) out.push(n - patch);
  return out;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014, §4.2): slide a `patch`×`patch` square of `fill`
 * over each image and record how much the target class's probability drops; each pixel gets the
 * mean drop over the patches covering it: `[N, H, W]` (negative where hiding it helps the class).
 *
 * @example
 * const maps = occlusion(net, images, { patch: 6, stride: 2 });
 */
export function occlusion(model: ImageModel, x: Tensor, options: OcclusionOptions = {}): Tensor {
  const op = 'occlusion';
  checkImages(op, x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const patch = options.patch ?? 6;
  const stride = options.stride ?? 2;
  const fill = options.fill ?? 0;
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(patch) || patch < 1 || patch > Math.min(h, w))
    throw new RangeError(`${op}: patch must be an integer in [1, ${Math.min(h, w)}], got ${patch}`);
  if (!Number.isInteger(stride) || stride < 1)
    throw new RangeError(`${op}: stride must be a positive integer, got ${stride}`);
  if (!Number.isFinite(fill)) throw new RangeError(`${op}: fill must be a finite number, got ${fill}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`${op}: batchSize must be a positive integer, got ${batchSize}`);

  // One mask per patch position, [P, H·W], and how many patches cover each pixel.
  const rows = offsets(h, patch, stride);
  const cols = offsets(w, patch, stride);
  const p = rows.length * cols.length;
  const masks = new Float32Array(p * h * w);
  const cover = new Float32Array(h * w);
  let k = 0;
  for (const r of rows)
    for (const q of cols) {
      for (let i = r; i < r + patch; i++)
        for (let j = q; j < q + patch; j++) {
          masks[k * h * w + i * w + j] = 1;
          cover[i * w + j]!++;
        }
      k++;
    }

  return inEvalMode(model, () =>
    noGrad(() =>
      scope(() => {
        const mask = tensor(masks, { shape: [p, h * w] });
        const hole = mask.reshape([1, p, 1, h, w]);
        const keepPx = hole.neg().add(1);
        const clean = softmax(model.forward(x), 1);
        const classes = targetMask(op, clean, options.target); // [N, K]
        const pClean = clean.mul(classes).sum(1, { keepdims: true }); // [N, 1]
        const per = Math.max(1, Math.floor(batchSize / p));
        const parts: Tensor[] = [];
        for (let i0 = 0; i0 < n; i0 += per) {
          const i1 = Math.min(n, i0 + per);
          const g = i1 - i0;
          parts.push(
            scope(() => {
              const xs = x.slice([i0, i1]).reshape([g, 1, c, h, w]);
              const occluded = xs
                .mul(keepPx)
                .add(hole.mul(fill))
                .reshape([g * p, c, h, w]);
              const probs = softmax(model.forward(occluded), 1).reshape([g, p, -1]);
              const pOcc = probs.mul(classes.slice([i0, i1]).unsqueeze(1)).sum(2); // [g, P]
              return pClean.slice([i0, i1]).sub(pOcc); // the drop, [g, P]
            }),
          );
        }
        const drop = parts.length === 1 ? parts[0]! : concat(parts, 0);
        return drop
          .matmul(mask)
          .div(tensor(cover, { shape: [1, h * w] }))
          .reshape([n, h, w]);
      }),
    ),
  );
}

/**
 * The first convolution's filters as images (Krizhevsky et al. 2012, fig. 3), each scaled to
 * [0, 1] on its own (min → 0, max → 1): `[O, 3, kh, kw]` for RGB inputs, `[O, 1, kh, kw]` for
 * one channel, and one grey image per (filter, channel) otherwise. `layer` names another conv.
 *
 * @example
 * ctx.emit(samplesEvent('first-layer filters', await filterImages(net)));
 */
export async function filterImages(model: Module, options: { layer?: string } = {}): Promise<ImageArray> {
  const op = 'filterImages';
  let conv: Module;
  if (options.layer === undefined) {
    const first = model.namedModules().find(([, m]) => m instanceof Conv2d);
    if (!first) throw new RangeError(`${op}: the model has no Conv2d`);
    conv = first[1];
  } else conv = findLayer(op, model, options.layer)[1];
  if (!(conv instanceof Conv2d))
    throw new RangeError(`${op}: layer '${options.layer}' is a ${conv.constructor.name}, not a Conv2d`);
  const weight = conv.weight;
  const [o, i, kh, kw] = weight.shape as [number, number, number, number];
  const values = await weight.data();
  const rgbOrGrey = i === 1 || i === 3;
  const per = rgbOrGrey ? i * kh * kw : kh * kw;
  const out = new Float32Array(values.length);
  for (let f = 0; f < values.length / per; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = f * per; k < (f + 1) * per; k++) {
      lo = Math.min(lo, values[k]!);
      hi = Math.max(hi, values[k]!);
    }
    const range = hi - lo;
    for (let k = f * per; k < (f + 1) * per; k++) out[k] = range > 0 ? (values[k]! - lo) / range : 0.5;
  }
  return { data: out, shape: rgbOrGrey ? [o, i, kh, kw] : [o * i, 1, kh, kw] };
}

// ---------------------------------------------------------------------------------------------
// Overlays

/** Colour maps for overlays. */
export type Colormap = 'viridis' | 'jet';

// viridis (van der Walt & Smith, matplotlib 2.0) at 9 evenly spaced stops, as R's viridisLite::viridis(9).
const VIRIDIS = [
  [0x44, 0x01, 0x54],
  [0x47, 0x2d, 0x7b],
  [0x3b, 0x52, 0x8b],
  [0x2c, 0x72, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80],
  [0x5e, 0xc9, 0x62],
  [0xad, 0xdc, 0x30],
  [0xfd, 0xe7, 0x25],
].map((rgb) => rgb.map((v) => v / 255));

const clamp01 = (v: number) => Math.min(Math.max(v, 0), 1);

/** The colour of `t` ∈ [0, 1] in `map`, as [r, g, b] in [0, 1]. */
export function colormap(map: Colormap, t: number): [number, number, number] {
  const v = clamp01(t);
  if (map === 'jet') {
    // MATLAB's jet: dark blue → blue → cyan → yellow → red → dark red, piecewise linear.
    return [
      clamp01(1.5 - Math.abs(4 * v - 3)),
      clamp01(1.5 - Math.abs(4 * v - 2)),
      clamp01(1.5 - Math.abs(4 * v - 1)),
    ];
  }
  const s = v * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(s), VIRIDIS.length - 2);
  const f = s - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [a[0]! + f * (b[0]! - a[0]!), a[1]! + f * (b[1]! - a[1]!), a[2]! + f * (b[2]! - a[2]!)];
}

/** Host values with a shape, as `await t.data()` and `t.shape` give. */
export interface HostArray {
  data: ArrayLike<number>;
  shape: readonly number[];
}

export interface OverlayOptions {
  colormap?: Colormap;
  /** Weight of the coloured map against the image (default 0.5). */
  alpha?: number;
}

/**
 * Paint maps `[N, H, W]` (or `[N, 1, H, W]`) over images `[N, 1 or 3, H, W]` in [0, 1]: each map
 * is scaled to [0, 1] on its own (min → 0, max → 1), coloured, and blended as
 * (1 − alpha)·image + alpha·colour. The result is RGB `[N, 3, H, W]` in [0, 1], for a `samples`
 * event.
 *
 * @example
 * const maps = saliency(net, x);
 * const rgb = overlay({ data: await maps.data(), shape: maps.shape }, { data: await x.data(), shape: x.shape });
 * ctx.emit(samplesEvent('saliency', rgb));
 */
export function overlay(maps: HostArray, images: HostArray, options: OverlayOptions = {}): ImageArray {
  const op = 'overlay';
  const alpha = options.alpha ?? 0.5;
  const cmap = options.colormap ?? 'viridis';
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`${op}: alpha must be in [0, 1], got ${alpha}`);
  if (cmap !== 'viridis' && cmap !== 'jet')
    throw new RangeError(`${op}: colormap must be 'viridis' or 'jet', got '${String(cmap)}'`);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (images.shape.length !== 4 || (c !== 1 && c !== 3))
    throw new RangeError(`${op}: images must be [N, 1 or 3, H, W], got ${fmtShape(images.shape)}`);
  const ms = maps.shape;
  const mapOk =
    (ms.length === 3 && ms[0] === n && ms[1] === h && ms[2] === w) ||
    (ms.length === 4 && ms[0] === n && ms[1] === 1 && ms[2] === h && ms[3] === w);
  if (!mapOk)
    throw new RangeError(
      `${op}: maps must be [${n}, ${h}, ${w}] to match images ${fmtShape(images.shape)}, got ${fmtShape(ms)}`,
    );
  if (maps.data.length !== n * h * w || images.data.length !== n * c * h * w)
    throw new RangeError(`${op}: the data do not fill the shapes given`);
  const px = h * w;
  const out = new Float32Array(n * 3 * px);
  for (let b = 0; b < n; b++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = b * px; k < (b + 1) * px; k++) {
      const v = maps.data[k]!;
      if (Number.isNaN(v)) throw new RangeError(`${op}: map ${b} holds NaN`);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = hi - lo;
    for (let k = 0; k < px; k++) {
      const t = range > 0 ? (maps.data[b * px + k]! - lo) / range : 0;
      const rgb = colormap(cmap, t);
      for (let ch = 0; ch < 3; ch++) {
        const img = clamp01(images.data[(b * c + (c === 3 ? ch : 0)) * px + k]!);
        out[(b * 3 + ch) * px + k] = (1 - alpha) * img + alpha * rgb[ch]!;
      }
    }
  }
  return { data: out, shape: [n, 3, h, w] };
}

/** `overlay` of tensors: reads both (the sync point) and paints. */
export async function overlayTensors(
  maps: Tensor,
  images: Tensor,
  options: OverlayOptions = {},
): Promise<ImageArray> {
  const [m, x] = await Promise.all([maps.data(), images.data()]);
  return overlay({ data: m, shape: maps.shape }, { data: x, shape: images.shape }, options);
}
