import type { Backend, DType, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { beforeAll, describe, it } from 'vitest';
import { compareTensor, DEFAULT_TOLERANCE } from './compare.js';
import {
  type FixtureCase,
  type FixtureFile,
  type FixtureTensor,
  loadFixtures,
  type Tolerance,
} from './fixtures.js';
import { GENERATED_FAMILY, generatedFixtures } from './generated.js';
import { fdObjective, fdSteps, fdVerdict } from './gradcheck.js';
import { OPS, type OpArgs, type OpFn } from './ops-table.js';

export interface ConformanceOptions {
  /** Cases to skip (registered as skipped): exact case names, op names, or prefixes ending in `*`; or a predicate. */
  skip?: readonly string[] | ((caseName: string) => boolean);
  /** Tolerances replacing the defaults (all cases, or per op); cases the generator widened keep the wider one. */
  tolerance?: Partial<Tolerance> & { ops?: Readonly<Record<string, Partial<Tolerance>>> };
  /** Run the finite-difference gradient check (default true). */
  gradCheck?: boolean;
  /** Re-run cases with transposed (permute) and sliced (strided) operands (default true). */
  layouts?: boolean;
  /** Only these fixture families (file names without `.json`), e.g. `['elementwise-binary']`. */
  families?: readonly string[];
  /** Fixtures to use instead of reading the package's `fixtures/` folder (e.g. in a browser). */
  fixtures?: readonly FixtureFile[];
  /**
   * Add the generated edge cases (family `generated`: float64 reference, see generated.ts) to the
   * fixtures (default true; `families` may also select or leave out `generated`).
   */
  generated?: boolean;
}

/** How the operands of a case are produced. */
export type OperandLayout = 'contiguous' | 'permuted' | 'sliced';

/** Layout variants run on this many cases per op. */
const LAYOUT_CASES_PER_OP = 2;

/** Edge-case blocks, in order: a case with one of these tags runs in that block instead of its op's block. */
const EDGE_BLOCKS: readonly [tag: string, title: string][] = [
  ['scalar', 'edge cases: scalars (shape [])'],
  ['empty', 'edge cases: empty tensors'],
  ['size1', 'edge cases: size-1 dims'],
  ['dtype', 'edge cases: int32/bool operands and dtype promotion'],
];

// ---------------------------------------------------------------------------------------------
// Building tensors
// ---------------------------------------------------------------------------------------------

function values(data: readonly number[], dtype: DType): number[] | boolean[] {
  return dtype === 'bool' ? data.map((v) => v !== 0) : [...data];
}

function makeTensor(t: FixtureTensor): Tensor {
  return m.tensor(values(t.data, t.dtype), { shape: [...t.shape], dtype: t.dtype });
}

/** Row-major strides of `shape`. */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

/**
 * The same logical tensor as `t`, produced by a view op:
 * - permuted: stored with its axes reversed, then `permute`d back (rank ≥ 2);
 * - sliced: stored with a junk element after each one in the last dim, then `slice`d with step 2.
 */
function makeOperand(t: FixtureTensor, layout: OperandLayout): Tensor {
  const size = t.data.length;
  if (layout === 'permuted' && t.shape.length >= 2 && size > 0) {
    const rank = t.shape.length;
    const rev = [...t.shape].reverse();
    const src = strides(t.shape);
    const dst = strides(rev);
    const out = new Array<number>(size);
    for (let i = 0; i < size; i++) {
      let rem = i;
      let j = 0;
      for (let d = 0; d < rank; d++) {
        const idx = Math.floor(rem / src[d]!);
        rem -= idx * src[d]!;
        j += idx * dst[rank - 1 - d]!;
      }
      out[j] = t.data[i]!;
    }
    const stored = m.tensor(values(out, t.dtype), { shape: rev, dtype: t.dtype });
    return m.permute(
      stored,
      rev.map((_, d) => rank - 1 - d),
    );
  }
  if (layout === 'sliced' && t.shape.length >= 1 && size > 0) {
    const last = t.shape[t.shape.length - 1]!;
    const junk = t.dtype === 'float32' ? Number.NaN : t.dtype === 'int32' ? -12345 : 1;
    const out = new Array<number>(size * 2);
    for (let i = 0; i < size; i++) {
      const row = Math.floor(i / last);
      const col = i % last;
      out[row * 2 * last + 2 * col] = t.data[i]!;
      out[row * 2 * last + 2 * col + 1] = junk;
    }
    const shape = [...t.shape.slice(0, -1), last * 2];
    const stored = m.tensor(values(out, t.dtype), { shape, dtype: t.dtype });
    return m.slice(stored, ...t.shape.slice(0, -1).map(() => null), [0, null, 2]);
  }
  return makeTensor(t);
}

function asArray(out: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(out) ? out : [out];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Checking one case
// ---------------------------------------------------------------------------------------------

function opFor(c: FixtureCase): OpFn {
  const fn = OPS[c.op];
  if (!fn) throw new Error(`${c.name}: op '${c.op}' has no entry in the testkit's ops table`);
  return fn;
}

/** Apply the op with the differentiated inputs replaced by `primals`; return the float outputs. */
function floatOutputs(fn: OpFn, c: FixtureCase, inputs: readonly Tensor[], diff: readonly number[]) {
  return (...primals: Tensor[]): Tensor[] => {
    const xs = [...inputs];
    diff.forEach((k, j) => {
      xs[k] = primals[j]!;
    });
    return asArray(fn(xs, c.args as OpArgs)).filter((o) => o.dtype === 'float32');
  };
}

async function observe(t: Tensor) {
  return { shape: t.shape, dtype: t.dtype, data: await t.data() };
}

/** Tensors and handles alive now, for the leak checks. */
function live(): { tensors: number; handles: number } {
  const { tensors, handles } = m.memory();
  return { tensors, handles };
}

function leakMessage(name: string, before: { tensors: number; handles: number }): string | null {
  const after = live();
  if (after.tensors === before.tensors && after.handles === before.handles) return null;
  return `${name}: memory() went from ${before.tensors} tensors / ${before.handles} handles to ${after.tensors} / ${after.handles}`;
}

/**
 * Run one case: outputs against `outputs`, then vjp gradients against `grads`, inside a scope, and
 * check that nothing outlives it. Throws one Error listing every mismatch.
 */
export async function checkCase(
  c: FixtureCase,
  tol: Tolerance,
  layout: OperandLayout = 'contiguous',
): Promise<void> {
  const errors: string[] = [];
  const before = live();
  try {
    await m.scope(async () => {
      const fn = opFor(c);
      const inputs = c.inputs.map((t) => makeOperand(t, layout));
      const outs = asArray(fn(inputs, c.args as OpArgs));
      if (outs.length !== c.outputs.length) {
        errors.push(`${c.name}: ${outs.length} outputs, expected ${c.outputs.length}`);
        return;
      }
      for (let i = 0; i < outs.length; i++) {
        const label = outs.length > 1 ? `${c.name}: output ${i}` : `${c.name}: output`;
        const msg = compareTensor(label, await observe(outs[i]!), c.outputs[i]!, tol);
        if (msg) errors.push(msg);
      }
      const diff = c.grads.flatMap((g, i) => (g ? [i] : []));
      if (diff.length === 0) return;
      const [fouts, back] = m.vjp(floatOutputs(fn, c, inputs, diff), ...diff.map((i) => inputs[i]!));
      if (fouts.length !== c.cotangents.length) {
        errors.push(
          `${c.name}: ${fouts.length} float outputs to differentiate, expected ${c.cotangents.length}`,
        );
        return;
      }
      const grads = back(c.cotangents.map(makeTensor));
      for (let j = 0; j < diff.length; j++) {
        const k = diff[j]!;
        const msg = compareTensor(
          `${c.name}: gradient of input ${k}`,
          await observe(grads[j]!),
          c.grads[k]!,
          {
            rtol: tol.gradRtol,
            atol: tol.gradAtol,
          },
        );
        if (msg) errors.push(msg);
      }
    });
  } catch (e) {
    errors.unshift(`${c.name}: threw ${message(e)}`);
  }
  const leak = leakMessage(c.name, before);
  if (leak) errors.push(leak);
  if (errors.length) throw new Error(errors.join('\n'));
}

/** Σ_j ⟨f(x)_j, cot_j⟩ and Σ|·| for host-side inputs, inside its own scope. */
async function objective(fn: OpFn, c: FixtureCase, xs: readonly FixtureTensor[]): Promise<[number, number]> {
  return m.scope(async () => {
    const outs = asArray(fn(xs.map(makeTensor), c.args as OpArgs)).filter((o) => o.dtype === 'float32');
    const data = [];
    for (const o of outs) data.push(await o.data());
    return fdObjective(
      data,
      c.cotangents.map((t) => t.data),
    );
  });
}

/**
 * Finite-difference check of our vjp against our own forward (see gradcheck.ts): independent of the
 * fixture's gradients. Throws listing the points that disagree.
 */
export async function checkFiniteDifferences(c: FixtureCase): Promise<void> {
  const errors: string[] = [];
  const before = live();
  try {
    const fn = opFor(c);
    const diff = c.grads.flatMap((g, i) => (g ? [i] : []));
    const ours = await m.scope(async () => {
      const inputs = c.inputs.map(makeTensor);
      const [, back] = m.vjp(floatOutputs(fn, c, inputs, diff), ...diff.map((i) => inputs[i]!));
      const grads = back(c.cotangents.map(makeTensor));
      const out: Float32Array[] = [];
      for (const g of grads) out.push(Float32Array.from(await g.data()));
      return out;
    });
    const [f0, fabs] = await objective(fn, c, c.inputs);
    for (let j = 0; j < diff.length; j++) {
      const k = diff[j]!;
      const g = ours[j]!;
      const gscale = g.reduce((acc, v) => Math.max(acc, Math.abs(v)), 0);
      const base = c.inputs[k]!;
      const data = [...base.data];
      const xs = [...c.inputs];
      for (let i = 0; i < data.length; i++) {
        const x0 = data[i]!;
        const { xp, xm, hp, hm } = fdSteps(x0);
        data[i] = xp;
        xs[k] = { ...base, data: [...data] };
        const [fp] = await objective(fn, c, xs);
        data[i] = xm;
        xs[k] = { ...base, data: [...data] };
        const [fm] = await objective(fn, c, xs);
        data[i] = x0;
        const v = fdVerdict(f0, fp, fm, hp, hm, fabs, g[i]!, gscale);
        if (v.ok === false && errors.length < 5) {
          errors.push(
            `${c.name}: input ${k} element ${i} (x = ${x0}): vjp gives ${g[i]}, central difference ${v.fd.toPrecision(6)}`,
          );
        }
      }
    }
  } catch (e) {
    errors.unshift(`${c.name}: threw ${message(e)}`);
  }
  const leak = leakMessage(c.name, before);
  if (leak) errors.push(leak);
  if (errors.length) throw new Error(errors.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Registering the suite
// ---------------------------------------------------------------------------------------------

function skipper(skip: ConformanceOptions['skip']): (c: FixtureCase) => boolean {
  if (!skip) return () => false;
  if (typeof skip === 'function') return (c) => skip(c.name);
  return (c) =>
    skip.some((s) => s === c.name || s === c.op || (s.endsWith('*') && c.name.startsWith(s.slice(0, -1))));
}

function toleranceFor(c: FixtureCase, options: ConformanceOptions): Tolerance {
  const { ops, ...global } = options.tolerance ?? {};
  const tol: Tolerance = { ...DEFAULT_TOLERANCE, ...global, ...(ops?.[c.op] ?? {}) };
  // The generator widens a case only where float32 torch is itself that far from float64.
  for (const key of Object.keys(c.tolerance ?? {}) as (keyof Tolerance)[]) {
    tol[key] = Math.max(tol[key], c.tolerance![key]!);
  }
  return tol;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** The case name without its `op/` prefix, for the `it` title inside the op's describe block. */
function title(c: FixtureCase): string {
  return c.name.startsWith(`${c.op}/`) ? c.name.slice(c.op.length + 1) : c.name;
}

/**
 * Register the conformance suite for a backend, inside a vitest test file. Every golden case (PyTorch
 * 1.13) runs through OUR op API on the backend, comparing outputs and vjp gradients; edge cases,
 * transposed/sliced operands, a finite-difference gradient check and leak checks come with it.
 *
 * @example
 * // test/conformance.test.ts of a backend package
 * import { runConformance } from '@myelin/backend-testkit';
 * import { cpuBackend } from '../src/index.js';
 * runConformance(() => cpuBackend());
 */
export function runConformance(
  makeBackend: () => Backend | Promise<Backend>,
  options: ConformanceOptions = {},
): void {
  const files = [
    ...(options.fixtures ?? loadFixtures(options.families ? { families: options.families } : {})),
  ];
  const wantGenerated =
    (options.generated ?? true) && (!options.families || options.families.includes(GENERATED_FAMILY));
  if (wantGenerated && !files.some((f) => f.family === GENERATED_FAMILY)) files.push(generatedFixtures());
  const cases = files
    .flatMap((f) => f.cases)
    .filter((c) => !options.families || options.families.includes(c.family));
  const isSkipped = skipper(options.skip);
  const torch = files[0]?.torch ?? '?';
  let baseline = { tensors: 0, handles: 0 };
  let backendName = '?';

  const register = (c: FixtureCase, name: string, layout: OperandLayout) => {
    const test = isSkipped(c) ? it.skip : it;
    test(name, () => checkCase(c, toleranceFor(c, options), layout));
  };

  const sources = `golden fixtures from PyTorch ${torch}${wantGenerated ? ', generated edge cases' : ''}`;
  describe(`backend conformance (${sources})`, () => {
    beforeAll(async () => {
      const backend = await m.use(makeBackend());
      backendName = backend.name;
      baseline = live();
    });

    it('data() hands out arrays of its own: changing one changes neither the tensor nor another read', async () => {
      const reads: [number[], m.DType][] = [
        [[1.5, -2, 3], 'float32'],
        [[4, 5, 6], 'int32'],
        [[1, 0, 1], 'bool'],
      ];
      for (const [values, dtype] of reads) {
        const t = m.tensor(values, { dtype });
        const sum = m.scope(() => m.add(t, m.zerosLike(t)));
        for (const x of [t, sum]) {
          const first = await x.data();
          const second = await x.data();
          if (first === second || first.buffer === second.buffer) {
            throw new Error(`data() of a ${dtype} tensor returned the same array twice`);
          }
          first[0] = 0;
          first[1] = 0;
          const again = Array.from(await x.data());
          const want = values;
          if (again.join() !== want.join() || Array.from(second).join() !== want.join()) {
            throw new Error(
              `data() of a ${dtype} tensor aliased its storage: wrote into one read, then read ${again}`,
            );
          }
        }
        for (const x of [t, sum]) x.dispose();
      }
    });

    it('the ops table covers every fixture op', () => {
      const missing = [...new Set(cases.map((c) => c.op))].filter((op) => !(op in OPS));
      if (missing.length) throw new Error(`no ops-table entry for: ${missing.join(', ')}`);
    });

    const tagged = (c: FixtureCase) => EDGE_BLOCKS.find(([tag]) => c.tags.includes(tag))?.[0];
    for (const [family, famCases] of groupBy(cases, (c) => c.family)) {
      describe(family, () => {
        for (const [op, opCases] of groupBy(
          famCases.filter((c) => !tagged(c)),
          (c) => c.op,
        )) {
          describe(op, () => {
            for (const c of opCases) register(c, title(c), 'contiguous');
          });
        }
      });
    }

    for (const [tag, heading] of EDGE_BLOCKS) {
      const block = cases.filter((c) => tagged(c) === tag);
      if (block.length === 0) continue;
      describe(heading, () => {
        for (const c of block) register(c, c.name, 'contiguous');
      });
    }

    if (options.layouts ?? true) {
      const pick = (minRank: number) =>
        [...groupBy(cases, (c) => c.op).values()].flatMap((list) =>
          list
            .filter(
              (c) =>
                c.inputs.some((t) => t.shape.length >= minRank) && c.inputs.every((t) => t.data.length > 0),
            )
            .slice(0, LAYOUT_CASES_PER_OP),
        );
      describe('operand layouts: transposed operands (results of permute)', () => {
        for (const c of pick(2)) register(c, c.name, 'permuted');
      });
      describe('operand layouts: strided operands (results of slice with step 2)', () => {
        for (const c of pick(1)) register(c, c.name, 'sliced');
      });
    }

    if ((options.gradCheck ?? true) && cases.some((x) => x.gradcheck)) {
      describe('finite-difference gradient check (vjp against central differences of our forward)', () => {
        for (const c of cases.filter((x) => x.gradcheck)) {
          const test = isSkipped(c) ? it.skip : it;
          test(c.name, () => checkFiniteDifferences(c));
        }
      });
    }

    it('leaves as many tensors and backend handles alive as before the suite', () => {
      const leak = leakMessage(`conformance suite on backend '${backendName}'`, baseline);
      if (leak) throw new Error(leak);
    });
  });
}
