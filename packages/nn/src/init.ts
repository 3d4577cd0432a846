/**
 * Weight initializers, as `torch.nn.init` (camelCase names, no trailing underscore).
 *
 * Each takes a target — a `Shape` or a `Variable` (a `Parameter`) — and options:
 * - given a shape it returns a new tensor;
 * - given a Variable it assigns the new value into it (no gradient is recorded) and returns it.
 *
 * All randomness goes through core's counter-based generator: pass `seed` (a number for a fresh
 * stream, or a `Generator` that advances) to make a model reproducible; without it core's global
 * generator is used (reset it with `manualSeed`).
 *
 * @example
 * const w = init.kaimingNormal([64, 3, 3, 3], { nonlinearity: 'relu', seed: 0 });
 * init.xavierUniform(layer.weight, { seed: gen });   // in place
 */
import {
  truncatedNormal as coreTruncatedNormal,
  fmtShape,
  full,
  type Generator,
  noGrad,
  rand,
  randn,
  type Seed,
  type Shape,
  scope,
  sizeOf,
  type Tensor,
  tensor,
  Variable,
} from '@myelin/core';
import { generatorFrom } from './util.js';

/** What an initializer writes to: a shape (a new tensor is returned) or a Variable (assigned in place). */
export type InitTarget = Shape | Variable;
/** An initializer returns the Variable it was given, or a new Tensor for a shape. */
export type InitResult<T extends InitTarget> = T extends Variable ? T : Tensor;

export interface SeedOptions {
  /** A number (fresh stream) or a `Generator` (advances); default: core's global generator. */
  seed?: Seed;
}

function fill<T extends InitTarget>(target: T, make: (shape: Shape) => Tensor): InitResult<T> {
  if (target instanceof Variable) {
    noGrad(() =>
      scope(() => {
        target.assign(make(target.shape));
      }),
    );
    return target as InitResult<T>;
  }
  return scope(() => make(target as Shape)) as InitResult<T>;
}

// ---------------------------------------------------------------------------------------------
// Fans and gains
// ---------------------------------------------------------------------------------------------

/**
 * (fan_in, fan_out) of a weight shape as torch's `_calculate_fan_in_and_fan_out`: for
 * [out, in, ...kernel], fan_in = in·∏kernel and fan_out = out·∏kernel. (For ConvTranspose weights
 * [in, out/groups, ...] this gives PyTorch's — transposed — fans too.)
 */
export function calculateFanInAndFanOut(shape: Shape): [number, number] {
  if (shape.length < 2) {
    throw new RangeError(
      `init: fan in and fan out cannot be computed for a tensor with fewer than 2 dims, got ${fmtShape(shape)}`,
    );
  }
  const receptive = sizeOf(shape.slice(2));
  return [shape[1]! * receptive, shape[0]! * receptive];
}

export type FanMode = 'fanIn' | 'fanOut';

export type Nonlinearity =
  | 'linear'
  | 'identity'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/**
 * The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: 1 for linear, conv
 * and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leakyRelu (slope `param`,
 * default 0.01), 3/4 for selu. PyTorch's snake_case names (`leaky_relu`) are accepted too.
 */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number): number {
  const name = nonlinearity.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  switch (name) {
    case 'linear':
    case 'identity':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity '${nonlinearity}'`);
  }
}

function fanOf(op: string, shape: Shape, mode: FanMode | 'fan_in' | 'fan_out'): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(shape);
  if (mode === 'fanIn' || mode === 'fan_in') return fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return fanOut;
  throw new RangeError(`${op}: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
}

// ---------------------------------------------------------------------------------------------
// Basic distributions
// ---------------------------------------------------------------------------------------------

function uniformTensor(shape: Shape, low: number, high: number, seed: Seed | undefined): Tensor {
  return rand(shape, { seed })
    .mul(high - low)
    .add(low);
}

/** Fill with `value` (torch.nn.init.constant_). */
export function constant<T extends InitTarget>(target: T, value: number): InitResult<T> {
  return fill(target, (shape) => full(shape, value));
}

/** Fill with zeros. */
export function zeros<T extends InitTarget>(target: T): InitResult<T> {
  return constant(target, 0);
}

/** Fill with ones. */
export function ones<T extends InitTarget>(target: T): InitResult<T> {
  return constant(target, 1);
}

/** U(a, b) (torch.nn.init.uniform_; defaults a = 0, b = 1). */
export function uniform<T extends InitTarget>(
  target: T,
  options: SeedOptions & { a?: number; b?: number } = {},
): InitResult<T> {
  const a = options.a ?? 0;
  const b = options.b ?? 1;
  if (!(a <= b)) throw new RangeError(`uniform: needs a ≤ b, got a=${a} b=${b}`);
  return fill(target, (shape) => uniformTensor(shape, a, b, options.seed));
}

/** N(mean, std²) (torch.nn.init.normal_; defaults 0 and 1). */
export function normal<T extends InitTarget>(
  target: T,
  options: SeedOptions & { mean?: number; std?: number } = {},
): InitResult<T> {
  return fill(target, (shape) =>
    randn(shape, { seed: options.seed, mean: options.mean ?? 0, std: options.std ?? 1 }),
  );
}

/**
 * N(mean, std²) restricted to [a, b] (torch.nn.init.trunc_normal_: `a` and `b` are absolute bounds,
 * default −2 and 2). With the bounds at mean ± 2·std the draw is core's `truncatedNormal`; otherwise
 * out-of-range draws are redrawn.
 */
export function truncatedNormal<T extends InitTarget>(
  target: T,
  options: SeedOptions & { mean?: number; std?: number; a?: number; b?: number } = {},
): InitResult<T> {
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const a = options.a ?? -2;
  const b = options.b ?? 2;
  if (!(a < b)) throw new RangeError(`truncatedNormal: needs a < b, got a=${a} b=${b}`);
  if (!(std > 0)) throw new RangeError(`truncatedNormal: std must be positive, got ${std}`);
  const eps = 1e-7 * Math.max(1, Math.abs(mean) + 2 * std);
  if (Math.abs(a - (mean - 2 * std)) < eps && Math.abs(b - (mean + 2 * std)) < eps)
    return fill(target, (shape) => coreTruncatedNormal(shape, { mean, std, seed: options.seed }));
  return fill(target, (shape) => {
    const n = sizeOf(shape);
    const out = new Float32Array(n);
    const gen: Generator | undefined = generatorFrom(options.seed);
    let filled = 0;
    for (let round = 0; filled < n; round++) {
      if (round > 1000)
        throw new RangeError(`truncatedNormal: [${a}, ${b}] is too far in the tails of N(${mean}, ${std}²)`);
      const draw = randn([Math.max(64, 2 * (n - filled))], { seed: gen, mean, std });
      const v = draw.dataSync();
      draw.dispose();
      for (let i = 0; i < v.length && filled < n; i++) if (v[i]! >= a && v[i]! <= b) out[filled++] = v[i]!;
    }
    return tensor(out, { shape });
  });
}

// ---------------------------------------------------------------------------------------------
// Variance-scaling initializers
// ---------------------------------------------------------------------------------------------

/** Glorot & Bengio (2010): U(±gain·√(6 / (fan_in + fan_out))). */
export function xavierUniform<T extends InitTarget>(
  target: T,
  options: SeedOptions & { gain?: number } = {},
): InitResult<T> {
  return fill(target, (shape) => {
    const [fi, fo] = calculateFanInAndFanOut(shape);
    const bound = (options.gain ?? 1) * Math.sqrt(6 / (fi + fo));
    return uniformTensor(shape, -bound, bound, options.seed);
  });
}

/** Glorot & Bengio (2010): N(0, gain²·2 / (fan_in + fan_out)). */
export function xavierNormal<T extends InitTarget>(
  target: T,
  options: SeedOptions & { gain?: number } = {},
): InitResult<T> {
  return fill(target, (shape) => {
    const [fi, fo] = calculateFanInAndFanOut(shape);
    const std = (options.gain ?? 1) * Math.sqrt(2 / (fi + fo));
    return randn(shape, { seed: options.seed, std });
  });
}

export interface KaimingOptions extends SeedOptions {
  /** Negative slope of the leaky ReLU that follows (used when nonlinearity is leakyRelu); default 0. */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or of the backward pass ('fanOut'). */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0 that is ReLU's gain √2), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, shape: Shape, o: KaimingOptions): number {
  const fan = fanOf(op, shape, o.mode ?? 'fanIn');
  return calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0) / Math.sqrt(fan);
}

/** He et al. (2015): U(±gain·√(3 / fan)). */
export function kaimingUniform<T extends InitTarget>(target: T, options: KaimingOptions = {}): InitResult<T> {
  return fill(target, (shape) => {
    const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', shape, options);
    return uniformTensor(shape, -bound, bound, options.seed);
  });
}

/** He et al. (2015): N(0, gain² / fan). */
export function kaimingNormal<T extends InitTarget>(target: T, options: KaimingOptions = {}): InitResult<T> {
  return fill(target, (shape) =>
    randn(shape, { seed: options.seed, std: kaimingStd('kaimingNormal', shape, options) }),
  );
}

/** LeCun (1998): U(±√(3 / fan_in)) — variance 1/fan_in (SELU networks). */
export function lecunUniform<T extends InitTarget>(target: T, options: SeedOptions = {}): InitResult<T> {
  return fill(target, (shape) => {
    const bound = Math.sqrt(3 / calculateFanInAndFanOut(shape)[0]);
    return uniformTensor(shape, -bound, bound, options.seed);
  });
}

/** LeCun (1998): N(0, 1 / fan_in) (a plain normal, not Keras's truncated one). */
export function lecunNormal<T extends InitTarget>(target: T, options: SeedOptions = {}): InitResult<T> {
  return fill(target, (shape) =>
    randn(shape, { seed: options.seed, std: 1 / Math.sqrt(calculateFanInAndFanOut(shape)[0]) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Structured initializers
// ---------------------------------------------------------------------------------------------

/**
 * Thin QR of an m×n matrix (m ≥ n, row-major float64) by modified Gram–Schmidt with one
 * re-orthogonalisation pass; returns Q (m×n, row-major) with R's diagonal positive.
 */
function thinQ(a: Float64Array, m: number, n: number): Float64Array {
  // Work on columns: col[j][i] = a[i, j].
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = a[i * n + j]!;
    cols.push(c);
  }
  for (let j = 0; j < n; j++) {
    const v = cols[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = cols[k]!;
        let d = 0;
        for (let i = 0; i < m; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i]! -= d * q[i]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += v[i]! * v[i]!;
    nrm = Math.sqrt(nrm);
    if (nrm === 0) throw new Error('orthogonal: the random matrix was rank deficient (draw again)');
    for (let i = 0; i < m; i++) v[i]! /= nrm;
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) q[i * n + j] = cols[j]![i]!;
  return q;
}

/**
 * A (semi-)orthogonal matrix (Saxe et al., 2013), as torch.nn.init.orthogonal_: the target is seen
 * as [rows, numel/rows]; a normal matrix is factored by QR (on the host) with R's diagonal made
 * positive, so the result is Haar-distributed; scaled by `gain`. Rows (or columns, whichever are
 * fewer) are orthonormal: W·Wᵀ = gain²·I when rows ≤ cols, else Wᵀ·W = gain²·I.
 */
export function orthogonal<T extends InitTarget>(
  target: T,
  options: SeedOptions & { gain?: number } = {},
): InitResult<T> {
  return fill(target, (shape) => {
    if (shape.length < 2)
      throw new RangeError(
        `orthogonal: only tensors with 2 or more dims are supported, got ${fmtShape(shape)}`,
      );
    const rows = shape[0]!;
    const cols = sizeOf(shape) / rows;
    const draw = randn([rows, cols], { seed: options.seed });
    const v = draw.dataSync();
    draw.dispose();
    const tall = rows >= cols;
    const m = tall ? rows : cols;
    const n = tall ? cols : rows;
    const a = new Float64Array(m * n);
    // A tall matrix as drawn, or the transpose of a wide one.
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        if (tall) a[i * n + j] = v[i * cols + j]!;
        else a[j * n + i] = v[i * cols + j]!;
      }
    const q = thinQ(a, m, n);
    const gain = options.gain ?? 1;
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (tall ? q[i * n + j]! : q[j * n + i]!);
    return tensor(out, { shape });
  });
}

/** The identity matrix (torch.nn.init.eye_): 2-D targets only; ones on the main diagonal. */
export function eye<T extends InitTarget>(target: T): InitResult<T> {
  return fill(target, (shape) => {
    if (shape.length !== 2)
      throw new RangeError(`eye: only 2-D targets are supported, got ${fmtShape(shape)}`);
    const [r, c] = shape as [number, number];
    const out = new Float32Array(r * c);
    for (let i = 0; i < Math.min(r, c); i++) out[i * c + i] = 1;
    return tensor(out, { shape });
  });
}

/**
 * The Dirac delta (torch.nn.init.dirac_): a 3-, 4- or 5-D conv weight that passes input channels
 * through (per group), so the convolution is the identity where channels allow.
 */
export function dirac<T extends InitTarget>(target: T, options: { groups?: number } = {}): InitResult<T> {
  return fill(target, (shape) => {
    if (shape.length < 3 || shape.length > 5)
      throw new RangeError(`dirac: only 3-, 4- and 5-D targets are supported, got ${fmtShape(shape)}`);
    const groups = options.groups ?? 1;
    if (shape[0]! % groups !== 0)
      throw new RangeError(`dirac: dim 0 (${shape[0]}) must be divisible by groups (${groups})`);
    const outPerGroup = shape[0]! / groups;
    const minDim = Math.min(outPerGroup, shape[1]!);
    const kernel = shape.slice(2);
    const ksize = sizeOf(kernel);
    // The flat offset of the kernel's centre.
    let centre = 0;
    for (const k of kernel) centre = centre * k + Math.floor(k / 2);
    const out = new Float32Array(sizeOf(shape));
    for (let g = 0; g < groups; g++)
      for (let d = 0; d < minDim; d++) out[((g * outPerGroup + d) * shape[1]! + d) * ksize + centre] = 1;
    return tensor(out, { shape });
  });
}

/** PyTorch's `nn.init.sparse_`: see ./init-sparse.ts. */
export { sparseInit as sparse } from './init-sparse.js';
