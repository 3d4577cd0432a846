/**
 * Walks and sums in a generator's latent space: linear and spherical interpolation (slerp,
 * Shoemake 1985, which White, 2016, recommends for Gaussian latents: it keeps the norm that a
 * straight line through the origin's neighbourhood loses) and vector arithmetic on mean codes
 * (Radford et al. §6.3: "smiling woman − neutral woman + neutral man").
 */
import { type Tensor, tensor } from '@myelin/core';

export type InterpolationKind = 'linear' | 'spherical';

function vectorOf(fn: string, name: string, v: ArrayLike<number>, d?: number): Float64Array {
  if (d !== undefined && v.length !== d)
    throw new RangeError(`${fn}: ${name} has ${v.length} values but the other code has ${d}`);
  const out = Float64Array.from(v as ArrayLike<number>);
  for (const x of out) if (!Number.isFinite(x)) throw new RangeError(`${fn}: ${name} holds ${x}`);
  return out;
}

/**
 * The point at t ∈ [0, 1] between codes a and b: linear (1 − t)a + tb, or spherical
 * sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b with cos Ω = a·b / (‖a‖‖b‖) (linear when a and b
 * are parallel, where slerp's formula is 0/0).
 */
export function interpolatePoint(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  t: number,
  kind: InterpolationKind = 'spherical',
): Float64Array {
  const va = vectorOf('interpolatePoint', 'a', a);
  const vb = vectorOf('interpolatePoint', 'b', b, va.length);
  const out = new Float64Array(va.length);
  let wa = 1 - t;
  let wb = t;
  if (kind === 'spherical') {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < va.length; i++) {
      dot += va[i]! * vb[i]!;
      na += va[i]! ** 2;
      nb += vb[i]! ** 2;
    }
    const cos = Math.min(Math.max(dot / Math.sqrt(na * nb), -1), 1);
    const omega = Math.acos(cos);
    const sin = Math.sin(omega);
    if (sin > 1e-8) {
      wa = Math.sin((1 - t) * omega) / sin;
      wb = Math.sin(t * omega) / sin;
    }
  } else if (kind !== 'linear') {
    throw new RangeError(`interpolatePoint: kind must be 'linear' or 'spherical', got '${String(kind)}'`);
  }
  for (let i = 0; i < va.length; i++) out[i] = wa * va[i]! + wb * vb[i]!;
  return out;
}

/**
 * `steps` codes from a to b (both ends included) as a tensor [steps, latent], ready for a
 * generator's `forward`.
 *
 * @example
 * const walk = interpolate(z0, z1, 10, 'spherical');   // [10, 100]
 * const frames = generator.eval().forward(walk);       // [10, 1, 28, 28]
 */
export function interpolate(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  steps: number,
  kind: InterpolationKind = 'spherical',
): Tensor {
  if (!Number.isInteger(steps) || steps < 2)
    throw new RangeError(`interpolate: steps must be an integer ≥ 2, got ${steps}`);
  const d = a.length;
  const data = new Float32Array(steps * d);
  for (let s = 0; s < steps; s++) data.set(interpolatePoint(a, b, s / (steps - 1), kind), s * d);
  return tensor(data, { shape: [steps, d] });
}

/**
 * Latent arithmetic on mean codes: mean(a) − mean(b) + mean(c), each a list of codes (averaging a
 * few codes per concept makes the result stable, Radford et al. §6.3.2).
 */
export function latentArithmetic(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
  c: readonly ArrayLike<number>[],
): Float64Array {
  const mean = (name: string, codes: readonly ArrayLike<number>[]) => {
    if (codes.length === 0) throw new RangeError(`latentArithmetic: ${name} has no codes`);
    const d = codes[0]!.length;
    const m = new Float64Array(d);
    for (const z of codes) {
      const v = vectorOf('latentArithmetic', name, z, d);
      for (let i = 0; i < d; i++) m[i]! += v[i]! / codes.length;
    }
    return m;
  };
  const [ma, mb, mc] = [mean('a', a), mean('b', b), mean('c', c)];
  if (ma.length !== mb.length || ma.length !== mc.length)
    throw new RangeError(`latentArithmetic: codes of ${ma.length}, ${mb.length} and ${mc.length} values`);
  return ma.map((v, i) => v - mb[i]! + mc[i]!);
}
