import type { KernelAttrs, TensorInfo } from '@myelin/core';
import { bufferOf, type GpuKernel, type GpuKernelTable, header, main1d, meta, output } from '../kernel.js';
import type { GpuData, Runtime } from '../runtime.js';
import { MATH_WGSL } from './math.wgsl.js';

/*
 * The pointwise halves of one LSTM or GRU step, forward and backward, each one dispatch of one
 * thread per hidden unit of each row (N·H threads): thread (n, j) reads the gate pre-activations of
 * unit j at columns j, H + j, 2H + j (, 3H + j) of row n, so the four (three) gates of a unit never
 * cross threads and nothing is shared. The matmuls producing the gates stay outside (core runs
 * them; the gradients of W and h flow back through them). sigmoid_/tanh_ (math.wgsl.ts) are the
 * stable forms: exp of a non-positive argument only, tanh saturating to ±1 past |x| > 10, so ±1e30
 * pre-activations give 0/±1, never NaN. The backward recomputes the activations from the
 * pre-activations (the forward's inputs, which autograd keeps anyway) instead of reading saved
 * activations, so the forward writes nothing but its outputs.
 *
 * params: [N·H, H]. GruCellGrad binds params plus seven arrays: eight storage buffers, WebGPU's
 * guaranteed minimum per shader stage and what the backend requests of every device.
 */

/** Throw unless `a` is (…, k·H) and `b` is (…, H) with the same leading dims; returns H. */
function checkPair(
  name: string,
  aName: string,
  a: TensorInfo,
  k: number,
  bName: string,
  b: TensorInfo,
): number {
  const h = b.shape.at(-1) ?? 0;
  const lead = (s: readonly number[]) => s.slice(0, -1).join(',');
  if (
    a.shape.length < 1 ||
    a.shape.length !== b.shape.length ||
    lead(a.shape) !== lead(b.shape) ||
    a.shape.at(-1) !== k * h
  ) {
    throw new RangeError(
      `${name}: ${aName} has shape [${a.shape.join(', ')}] and ${bName} [${b.shape.join(', ')}]; expected ${aName} (N, ${k}H) and ${bName} (N, H)`,
    );
  }
  return h;
}

function checkSame(name: string, aName: string, a: TensorInfo, bName: string, b: TensorInfo): void {
  if (a.shape.join(',') !== b.shape.join(',')) {
    throw new RangeError(
      `${name}: ${bName} has shape [${b.shape.join(', ')}]; expected the shape of ${aName}, [${a.shape.join(', ')}]`,
    );
  }
}

/** One 1-D dispatch over `threads` with the given inputs and outputs (outputs bound last). */
function run(
  rt: Runtime,
  body: string,
  names: readonly string[],
  inputs: readonly TensorInfo[],
  outs: readonly GpuData[],
  threads: number,
  h: number,
): void {
  if (threads === 0) return;
  const source = `${MATH_WGSL}
${header(
  names.map((n) => [n, 'f32'] as [string, string]),
  outs.length,
)}
${main1d(`  let H = params[1];
  let n = i / H;
  let j = i - n * H;
${body}`)}`;
  rt.dispatch(
    source,
    meta([threads, h]),
    [...inputs.map(bufferOf), ...outs.map((o) => o.buffer as GPUBuffer)],
    threads,
  );
}

const lstmCell: GpuKernel<KernelAttrs['LstmCell']> = (rt, { inputs, outputs }) => {
  const [gates, c] = inputs as [TensorInfo, TensorInfo];
  const h = checkPair('LstmCell', 'gates', gates, 4, 'c', c);
  const outs = outputs.map((s) => output(rt, s));
  run(
    rt,
    `  let g = n * 4 * H + j;
  let ig = sigmoid_(gates[g]);
  let fg = sigmoid_(gates[g + H]);
  let gg = tanh_(gates[g + 2 * H]);
  let og = sigmoid_(gates[g + 3 * H]);
  let c2 = fg * cs[i] + ig * gg;
  hOut[i] = og * tanh_(c2);
  cOut[i] = c2;`,
    ['gates', 'cs', 'hOut', 'cOut'],
    [gates, c],
    outs,
    c.shape.reduce((a, b) => a * b, 1),
    h,
  );
  return outs;
};

const lstmCellGrad: GpuKernel<KernelAttrs['LstmCellGrad']> = (rt, { inputs, outputs }) => {
  const [gates, c, dh, dc] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const h = checkPair('LstmCellGrad', 'gates', gates, 4, 'c', c);
  checkSame('LstmCellGrad', 'c', c, "dh'", dh);
  checkSame('LstmCellGrad', 'c', c, "dc'", dc);
  const outs = outputs.map((s) => output(rt, s));
  // c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'): dc' gathers both paths, then each gate's
  // pre-activation gets dc'·(its partner)·(its activation's derivative).
  run(
    rt,
    `  let g = n * 4 * H + j;
  let ig = sigmoid_(gates[g]);
  let fg = sigmoid_(gates[g + H]);
  let gg = tanh_(gates[g + 2 * H]);
  let og = sigmoid_(gates[g + 3 * H]);
  let c = cs[i];
  let tc = tanh_(fg * c + ig * gg);
  let dhv = dhs[i];
  let dct = dcs[i] + dhv * og * (1.0 - tc * tc);
  dgates[g] = dct * gg * ig * (1.0 - ig);
  dgates[g + H] = dct * c * fg * (1.0 - fg);
  dgates[g + 2 * H] = dct * ig * (1.0 - gg * gg);
  dgates[g + 3 * H] = dhv * tc * og * (1.0 - og);
  dcOut[i] = dct * fg;`,
    ['gates', 'cs', 'dhs', 'dcs', 'dgates', 'dcOut'],
    [gates, c, dh, dc],
    outs,
    c.shape.reduce((a, b) => a * b, 1),
    h,
  );
  return outs;
};

const gruCell: GpuKernel<KernelAttrs['GruCell']> = (rt, { inputs, outputs }) => {
  const [gx, gh, hPrev] = inputs as [TensorInfo, TensorInfo, TensorInfo];
  const h = checkPair('GruCell', 'gx', gx, 3, 'h', hPrev);
  checkSame('GruCell', 'gx', gx, 'gh', gh);
  const outs = outputs.map((s) => output(rt, s));
  run(
    rt,
    `  let g = n * 3 * H + j;
  let r = sigmoid_(gxs[g] + ghs[g]);
  let z = sigmoid_(gxs[g + H] + ghs[g + H]);
  let nv = tanh_(gxs[g + 2 * H] + r * ghs[g + 2 * H]);
  hOut[i] = (1.0 - z) * nv + z * hs[i];`,
    ['gxs', 'ghs', 'hs', 'hOut'],
    [gx, gh, hPrev],
    outs,
    hPrev.shape.reduce((a, b) => a * b, 1),
    h,
  );
  return outs;
};

const gruCellGrad: GpuKernel<KernelAttrs['GruCellGrad']> = (rt, { inputs, outputs }) => {
  const [gx, gh, hPrev, dh] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const h = checkPair('GruCellGrad', 'gx', gx, 3, 'h', hPrev);
  checkSame('GruCellGrad', 'gx', gx, 'gh', gh);
  checkSame('GruCellGrad', 'h', hPrev, "dh'", dh);
  const outs = outputs.map((s) => output(rt, s));
  // h' = (1 − z)·n + z·h: z sees dh'·(h − n), n sees dh'·(1 − z); r reaches the output only
  // through n = tanh(gx_n + r·gh_n), so gh_n's cotangent is n's scaled by r.
  run(
    rt,
    `  let g = n * 3 * H + j;
  let r = sigmoid_(gxs[g] + ghs[g]);
  let z = sigmoid_(gxs[g + H] + ghs[g + H]);
  let ghn = ghs[g + 2 * H];
  let nv = tanh_(gxs[g + 2 * H] + r * ghn);
  let hv = hs[i];
  let d = dhs[i];
  let dn = d * (1.0 - z) * (1.0 - nv * nv);
  let dz = d * (hv - nv) * z * (1.0 - z);
  let dr = dn * ghn * r * (1.0 - r);
  dgx[g] = dr;
  dgx[g + H] = dz;
  dgx[g + 2 * H] = dn;
  dgh[g] = dr;
  dgh[g + H] = dz;
  dgh[g + 2 * H] = dn * r;
  dhOut[i] = d * z;`,
    ['gxs', 'ghs', 'hs', 'dhs', 'dgx', 'dgh', 'dhOut'],
    [gx, gh, hPrev, dh],
    outs,
    hPrev.shape.reduce((a, b) => a * b, 1),
    h,
  );
  return outs;
};

export const rnnKernels: GpuKernelTable = {
  LstmCell: lstmCell,
  LstmCellGrad: lstmCellGrad,
  GruCell: gruCell,
  GruCellGrad: gruCellGrad,
};
