import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType } from '@myelin/core';

/**
 * The golden fixtures written by `tools/gen_fixtures.py` (PyTorch 1.13 as the oracle), one JSON file
 * per op family in this package's `fixtures/` folder.
 */

/** A tensor as stored in a fixture: flat row-major data; NaN/±Infinity as strings. */
export interface RawFixtureTensor {
  shape: number[];
  dtype: DType;
  data: (number | boolean | 'NaN' | 'Infinity' | '-Infinity')[];
}

/** A decoded fixture tensor: numbers everywhere (bools as 0/1, non-finite values restored). */
export interface FixtureTensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: readonly number[];
}

/** Per-case tolerances; the defaults are in `DEFAULT_TOLERANCE`. */
export interface Tolerance {
  /** Relative and absolute tolerance on float outputs: |got − expected| ≤ atol + rtol·|expected|. */
  rtol: number;
  atol: number;
  /** The same for gradients. */
  gradRtol: number;
  gradAtol: number;
}

/** JSON values the `args` of a case may hold (numbers already decoded from "NaN"/"Infinity"). */
export type ArgValue = number | string | boolean | null | ArgValue[] | { [key: string]: ArgValue };

/** One golden case: call `op` with `inputs` and `args`, expect `outputs` and input `grads`. */
export interface FixtureCase {
  /** `op/description`, unique across all fixtures. */
  readonly name: string;
  /** Our op name (`add`, `conv2d`, …): the key of `OPS` in ops-table.ts. */
  readonly op: string;
  /** The family (file) it comes from, e.g. `elementwise-binary`. */
  readonly family: string;
  readonly inputs: readonly FixtureTensor[];
  /** Non-tensor arguments under OUR argument names. */
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly outputs: readonly FixtureTensor[];
  /** One per float output when the case has gradients; empty otherwise. */
  readonly cotangents: readonly FixtureTensor[];
  /** d(Σ_j ⟨out_j, cot_j⟩)/d input_i, or null where input i is not differentiated. */
  readonly grads: readonly (FixtureTensor | null)[];
  /** Edge-case tags: `scalar`, `empty`, `dtype`, `size1`. */
  readonly tags: readonly string[];
  /** Tolerances widened by the generator for ill-conditioned cases. */
  readonly tolerance?: Partial<Tolerance>;
  /** Fit for the finite-difference gradient check (small, smooth, passes it in torch). */
  readonly gradcheck: boolean;
  readonly note?: string;
}

export interface FixtureFile {
  readonly family: string;
  readonly generator: string;
  readonly torch: string;
  readonly cases: readonly FixtureCase[];
}

const SPECIAL: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

function decodeNumber(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v in SPECIAL) return SPECIAL[v]!;
  throw new TypeError(`fixtures: ${where}: ${JSON.stringify(v)} is not a number`);
}

export function decodeTensor(raw: RawFixtureTensor, where: string): FixtureTensor {
  const size = raw.shape.reduce((a, b) => a * b, 1);
  if (raw.data.length !== size) {
    throw new RangeError(
      `fixtures: ${where}: shape [${raw.shape}] needs ${size} values, got ${raw.data.length}`,
    );
  }
  return { shape: raw.shape, dtype: raw.dtype, data: raw.data.map((v) => decodeNumber(v, where)) };
}

/** Restore the special numbers the generator wrote as strings (anywhere in the args). */
function decodeArg(v: unknown): ArgValue {
  if (typeof v === 'string') return v in SPECIAL ? SPECIAL[v]! : v;
  if (Array.isArray(v)) return v.map(decodeArg);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeArg(x)]));
  }
  return v as ArgValue;
}

interface RawCase {
  name: string;
  op: string;
  inputs: RawFixtureTensor[];
  args: Record<string, unknown>;
  outputs: RawFixtureTensor[];
  cotangents: RawFixtureTensor[];
  grads: (RawFixtureTensor | null)[];
  tags?: string[];
  tolerance?: Partial<Tolerance>;
  gradcheck?: boolean;
  note?: string;
}

/** Parse one fixture file's text (usable where `node:fs` is not, e.g. in a browser test). */
export function parseFixtureFile(text: string, family?: string): FixtureFile {
  const raw = JSON.parse(text) as { generator: string; torch: string; family?: string; cases: RawCase[] };
  const fam = raw.family ?? family ?? 'unknown';
  const cases = raw.cases.map((c): FixtureCase => {
    const tags = [...(c.tags ?? [])];
    if (c.name.includes('size-1') && !tags.includes('size1')) tags.push('size1');
    return {
      name: c.name,
      op: c.op,
      family: fam,
      inputs: c.inputs.map((t, i) => decodeTensor(t, `${c.name} input ${i}`)),
      args: decodeArg(c.args) as Record<string, ArgValue>,
      outputs: c.outputs.map((t, i) => decodeTensor(t, `${c.name} output ${i}`)),
      cotangents: c.cotangents.map((t, i) => decodeTensor(t, `${c.name} cotangent ${i}`)),
      grads: c.grads.map((t, i) => (t === null ? null : decodeTensor(t, `${c.name} grad ${i}`))),
      tags,
      ...(c.tolerance ? { tolerance: c.tolerance } : {}),
      gradcheck: c.gradcheck === true,
      ...(c.note ? { note: c.note } : {}),
    };
  });
  return { family: fam, generator: raw.generator, torch: raw.torch, cases };
}

/** The folder holding the fixture JSON files shipped with this package. */
export function fixturesDir(): string {
  // src/ and dist/ both sit one level below the package root.
  return fileURLToPath(new URL('../fixtures/', import.meta.url));
}

/**
 * Load the golden fixtures (Node only: reads `fixtures/*.json` next to this package).
 *
 * @example
 * const files = loadFixtures({ families: ['elementwise-binary'] });
 * const addCases = files.flatMap((f) => f.cases).filter((c) => c.op === 'add');
 */
export function loadFixtures(options: { dir?: string; families?: readonly string[] } = {}): FixtureFile[] {
  const dir = options.dir ?? fixturesDir();
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((f) => !options.families || options.families.includes(f))
    .sort();
  return names.map((name) => parseFixtureFile(readFileSync(join(dir, `${name}.json`), 'utf8'), name));
}
