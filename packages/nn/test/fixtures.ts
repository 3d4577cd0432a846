/**
 * Loads the golden fixtures written by tools/gen_nn_fixtures.py (PyTorch 1.13) and runs a case
 * against Myelin: build the layer (or call the loss), load PyTorch's state dict by name, run
 * forward and backward, and compare outputs, input gradients, parameter gradients and the buffers
 * after the step.
 */
import { readFileSync } from 'node:fs';
import {
  type DType,
  isTensor,
  logSoftmax,
  type Module,
  memory,
  scope,
  type Tensor,
  tensor,
  type Variable,
  variable,
} from '@myelin/core';
import * as nn from '../src/index.js';

export interface RawTensor {
  shape: number[];
  dtype: DType;
  data: (number | boolean | string)[];
}

export interface Tolerance {
  rtol: number;
  atol: number;
  gradRtol: number;
  gradAtol: number;
}

export const DEFAULT_TOL: Tolerance = { rtol: 1e-4, atol: 1e-5, gradRtol: 1e-3, gradAtol: 1e-4 };

export interface NNCase {
  name: string;
  kind: 'module' | 'function';
  module?: string;
  fn?: string;
  cls?: string;
  args?: unknown[];
  options?: Record<string, unknown>;
  mode?: 'train' | 'eval';
  state?: Record<string, RawTensor>;
  call?: { args?: unknown[]; options?: Record<string, unknown> };
  inputs: RawTensor[];
  outputs: RawTensor[];
  cotangents: RawTensor[];
  grads: (RawTensor | null)[];
  paramGrads?: Record<string, RawTensor>;
  stateAfter?: Record<string, RawTensor>;
  tolerance?: Partial<Tolerance>;
}

const FIXTURES = new URL('../fixtures/', import.meta.url);

export function loadCases(family: string): NNCase[] {
  return (JSON.parse(readFileSync(new URL(`${family}.json`, FIXTURES), 'utf8')) as { cases: NNCase[] }).cases;
}

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

export function values(raw: RawTensor): number[] {
  return raw.data.map((v) =>
    typeof v === 'string' ? SPECIAL[v]! : typeof v === 'boolean' ? (v ? 1 : 0) : v,
  );
}

export function toTensor(raw: RawTensor): Tensor {
  const v = values(raw);
  if (raw.dtype === 'bool')
    return tensor(
      v.map((x) => x !== 0),
      { shape: raw.shape, dtype: 'bool' },
    );
  return tensor(v, { shape: raw.shape, dtype: raw.dtype });
}

/** Null when close, else a message naming the first bad element. */
export function compare(
  label: string,
  got: Tensor,
  want: RawTensor,
  rtol: number,
  atol: number,
): string | null {
  if (got.rank !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return `${label}: shape [${got.shape}] expected [${want.shape}]`;
  if (got.dtype !== want.dtype) return `${label}: dtype ${got.dtype} expected ${want.dtype}`;
  const g = got.dataSync();
  const e = values(want);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < e.length; i++) {
    const a = g[i]!;
    const b = e[i]!;
    const ok =
      want.dtype !== 'float32'
        ? a === b
        : Number.isNaN(b) || Number.isNaN(a)
          ? Number.isNaN(a) && Number.isNaN(b)
          : !Number.isFinite(b) || !Number.isFinite(a)
            ? a === b
            : Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return null;
  return `${label}: element ${first}: got ${g[first]}, expected ${e[first]} (${bad} of ${e.length} differ)`;
}

type Ctor = new (...args: unknown[]) => Module;
type Fn = (...args: unknown[]) => unknown;
const registry = nn as unknown as Record<string, Ctor & Fn>;

/** Resolve `{$input}` and `{$module}` references inside fixture arguments. */
function resolve(v: unknown, inputs: readonly Tensor[]): unknown {
  if (Array.isArray(v)) return v.map((x) => resolve(x, inputs));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('$input' in o) return inputs[o.$input as number];
    if ('$logSoftmax' in o) return logSoftmax(inputs[o.$logSoftmax as number]!, -1);
    if ('$module' in o)
      return buildModule(o.$module as string, (o.args as unknown[]) ?? [], o.options as never, inputs);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x, inputs)]));
  }
  return v;
}

export function buildModule(
  name: string,
  args: readonly unknown[],
  options: Record<string, unknown> | undefined,
  inputs: readonly Tensor[] = [],
): Module {
  const Cls = registry[name];
  if (typeof Cls !== 'function') throw new Error(`fixture names an unknown class ${name}`);
  const a = resolve(args, inputs) as unknown[];
  return options ? new Cls(...a, resolve(options, inputs)) : new Cls(...a);
}

function flatten(out: unknown, acc: Tensor[] = []): Tensor[] {
  if (isTensor(out)) acc.push(out);
  else if (Array.isArray(out)) for (const o of out) flatten(o, acc);
  return acc;
}

function tolOf(c: NNCase): Tolerance {
  const t = { ...DEFAULT_TOL };
  for (const [k, v] of Object.entries(c.tolerance ?? {})) {
    const key = k as keyof Tolerance;
    t[key] = Math.max(t[key], v as number);
  }
  return t;
}

/** Run one case; returns the list of mismatches (empty when it passes) and the tensors leaked. */
export function runCase(c: NNCase): { errors: string[]; leaked: number } {
  const tol = tolOf(c);
  const errors: string[] = [];
  let module: Module | null = null;
  if (c.kind === 'module') {
    module = buildModule(c.module!, c.args ?? [], c.options);
    module.train(c.mode !== 'eval');
    scope(() => {
      const state = Object.fromEntries(Object.entries(c.state ?? {}).map(([k, v]) => [k, toTensor(v)]));
      module!.loadStateDict(state);
    });
  }
  const before = memory().tensors;
  scope(() => {
    const leaves: (Variable | null)[] = c.inputs.map((raw, i) =>
      c.grads[i] ? variable(toTensor(raw)) : null,
    );
    const inputs = c.inputs.map((raw, i) => leaves[i] ?? toTensor(raw));
    const callArgs = c.call?.args ? (resolve(c.call.args, inputs) as unknown[]) : inputs;
    const callOptions = c.call?.options
      ? (resolve(c.call.options, inputs) as Record<string, unknown>)
      : undefined;
    let out: unknown;
    if (module) {
      out = (module as unknown as { forward: Fn }).forward(...callArgs);
    } else {
      const f = registry[c.fn!];
      out = callOptions ? f(...callArgs, callOptions) : f(...callArgs);
      if (c.cls) {
        const m = new registry[c.cls]!(...(callOptions ? [callOptions] : []));
        const viaClass = flatten((m as unknown as { forward: Fn }).forward(...callArgs));
        viaClass.forEach((o, i) => {
          const e = compare(`${c.cls} output ${i}`, o, c.outputs[i]!, tol.rtol, tol.atol);
          if (e) errors.push(e);
        });
      }
    }
    const outs = flatten(out);
    if (outs.length !== c.outputs.length)
      errors.push(`got ${outs.length} outputs, expected ${c.outputs.length}`);
    outs.forEach((o, i) => {
      if (c.outputs[i]) {
        const e = compare(`output ${i}`, o, c.outputs[i]!, tol.rtol, tol.atol);
        if (e) errors.push(e);
      }
    });
    if (c.cotangents.length) {
      const floats = outs.filter((o) => o.dtype === 'float32');
      let total: Tensor | null = null;
      floats.forEach((o, i) => {
        if (!o.requiresGrad) return;
        const term = o.mul(toTensor(c.cotangents[i]!)).sum();
        total = total ? total.add(term) : term;
      });
      if (total) (total as Tensor).backward();
      c.grads.forEach((g, i) => {
        if (!g) return;
        const got = leaves[i]!.grad ?? leaves[i]!.mul(0);
        const e = compare(`grad of input ${i}`, got, g, tol.gradRtol, tol.gradAtol);
        if (e) errors.push(e);
      });
      if (module && c.paramGrads) {
        const params = Object.fromEntries(module.namedParameters());
        for (const [k, g] of Object.entries(c.paramGrads)) {
          const p = params[k];
          if (!p) {
            errors.push(`no parameter ${k}`);
            continue;
          }
          const e = compare(`grad of ${k}`, p.grad ?? p.mul(0), g, tol.gradRtol, tol.gradAtol);
          if (e) errors.push(e);
        }
      }
    }
    if (module && c.stateAfter) {
      const sd = module.stateDict();
      for (const [k, v] of Object.entries(c.stateAfter)) {
        const got = sd[k];
        if (!got) errors.push(`no state ${k}`);
        else {
          const e = compare(`state ${k} after`, got, v, tol.rtol, tol.atol);
          if (e) errors.push(e);
        }
      }
    }
    module?.zeroGrad();
    for (const l of leaves) l?.dispose();
  });
  const leaked = memory().tensors - before;
  module?.dispose();
  return { errors, leaked };
}
