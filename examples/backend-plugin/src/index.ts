/**
 * A third-party Myelin backend, as small as one can be while passing the whole testkit:
 *
 * - **storage** of its own (one typed array per handle, in a box the backend can empty on `free`),
 *   with the memory accounting core relies on;
 * - **a few kernels of its own** — broadcasting `Add`/`Sub`/`Mul`/`Maximum`, `Neg`/`Relu`/`Exp`,
 *   2-D `MatMul` — written as plain loops;
 * - **every other kernel delegated** to an inner CPU backend: inputs are copied in, the CPU kernel
 *   runs, outputs are copied back and the inner handles freed. A real accelerator backend would do
 *   the same for the kernels it has not written yet (correct first, fast later).
 *
 * docs/guides/backend-plugin.md walks through it.
 *
 * @example
 * import { use, tensor } from '@myelin/core';
 * import { exampleBackend } from 'myelin-backend-example';
 * await use(exampleBackend());
 * tensor([1, 2]).add(1);   // runs this package's Add
 */
import { cpuBackend } from '@myelin/backend-cpu';
import {
  type Backend,
  type BackendMemory,
  type DataId,
  type DType,
  HOST_MAX_ELEMENTS,
  type KernelArgs,
  type KernelAttrs,
  type KernelImpl,
  type KernelName,
  type KernelTable,
  PRIMITIVES,
  registerBackend,
  type Shape,
  sizeOf,
  type TensorInfo,
  type TypedArray,
  typedArrayFor,
} from '@myelin/core';

/** A handle: a box around the elements, emptied by `free` so a stale handle fails loudly. */
class Box {
  constructor(public values: TypedArray | null) {}
}

const ARRAY_TYPES = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** A kernel of this backend: typed arrays in (through `valuesOf`), typed arrays out. */
type OwnKernel<A> = (args: KernelArgs<A>, valuesOf: (t: TensorInfo) => TypedArray) => TypedArray[];

/** Row-major strides of `shape` seen from an output of rank `rank` (0 where the dim broadcasts). */
function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1, j = out.length - 1; i >= 0; i--, j--) {
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/** An elementwise binary kernel with NumPy broadcasting, from its formula on floats and on int32. */
function binary(f: (a: number, b: number) => number, fInt = f): OwnKernel<unknown> {
  return ({ inputs, outputs }, valuesOf) => {
    const [a, b] = [valuesOf(inputs[0]!), valuesOf(inputs[1]!)];
    const spec = outputs[0]!;
    const out = typedArrayFor(spec.dtype, sizeOf(spec.shape));
    const op = spec.dtype === 'int32' ? fInt : f;
    const sa = broadcastStrides(inputs[0]!.shape, spec.shape);
    const sb = broadcastStrides(inputs[1]!.shape, spec.shape);
    const idx = new Array<number>(spec.shape.length).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < out.length; i++) {
      out[i] = op(a[ia]!, b[ib]!);
      // advance the multi-index like an odometer, moving both input offsets with it
      for (let d = spec.shape.length - 1; d >= 0; d--) {
        idx[d]!++;
        ia += sa[d]!;
        ib += sb[d]!;
        if (idx[d]! < spec.shape[d]!) break;
        ia -= sa[d]! * idx[d]!;
        ib -= sb[d]! * idx[d]!;
        idx[d] = 0;
      }
    }
    return [out];
  };
}

function unary(f: (x: number) => number): OwnKernel<unknown> {
  return ({ inputs, outputs }, valuesOf) => {
    const x = valuesOf(inputs[0]!);
    const out = typedArrayFor(outputs[0]!.dtype, x.length);
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
    return [out];
  };
}

/**
 * `MatMul` of two matrices (with either transposed); batched operands return null so the caller
 * delegates them: a kernel may cover part of its contract and hand the rest on.
 */
const matmul2d = (
  { inputs, attrs, outputs }: KernelArgs<KernelAttrs['MatMul']>,
  valuesOf: (t: TensorInfo) => TypedArray,
): TypedArray[] | null => {
  if (inputs[0]!.shape.length !== 2 || inputs[1]!.shape.length !== 2) return null;
  const [a, b] = [valuesOf(inputs[0]!), valuesOf(inputs[1]!)];
  const [ar, ac] = inputs[0]!.shape as [number, number];
  const [br, bc] = inputs[1]!.shape as [number, number];
  const [m, k] = attrs.transposeA ? [ac, ar] : [ar, ac];
  const n = attrs.transposeB ? br : bc;
  const out = typedArrayFor(outputs[0]!.dtype, m * n);
  const int = outputs[0]!.dtype === 'int32';
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const x = attrs.transposeA ? a[p * ac + i]! : a[i * ac + p]!;
        const y = attrs.transposeB ? b[j * bc + p]! : b[p * bc + j]!;
        // int32 wraps as two's complement (as PyTorch); floats accumulate in float64, rounded once
        acc = int ? (acc + Math.imul(x, y)) | 0 : acc + x * y;
      }
      out[i * n + j] = acc;
    }
  return [out];
};

/** This backend's own kernels. Everything else in core's contract is delegated. */
const OWN: { [K in KernelName]?: OwnKernel<KernelAttrs[K]> } = {
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary(
    (a, b) => a * b,
    (a, b) => Math.imul(a, b),
  ),
  // NaN wins, as PyTorch's maximum
  Maximum: binary((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b))),
  Neg: unary((x) => -x),
  Relu: unary((x) => (x > 0 ? x : x === 0 || x < 0 ? 0 : x)),
  Exp: unary(Math.exp),
};

/** The kernel names this backend implements itself (the testkit test checks they really run). */
export const OWN_KERNELS: readonly KernelName[] = [...(Object.keys(OWN) as KernelName[]), 'MatMul'];

/** How often each of this backend's own kernels ran, and how many calls were delegated. */
export interface KernelCounts {
  own: Partial<Record<KernelName, number>>;
  delegated: number;
}

/**
 * A backend named 'example': own storage, the kernels of `OWN_KERNELS`, the rest delegated to an
 * inner `cpuBackend()`.
 */
export class ExampleBackend implements Backend {
  readonly name = 'example';
  readonly kernels: KernelTable;
  readonly counts: KernelCounts = { own: {}, delegated: 0 };
  private readonly inner = cpuBackend();
  private readonly live = new Set<Box>();
  private bytes = 0;

  constructor() {
    const table: Record<string, KernelImpl<never>> = {};
    const valuesOf = (t: TensorInfo) => this.unbox(t.dataId);
    // Every kernel the inner backend has (all primitives and the fused composites) is delegated…
    for (const name of Object.keys(this.inner.kernels) as KernelName[]) {
      table[name] = ((args: KernelArgs<unknown>) => this.delegate(name, args)) as KernelImpl<never>;
    }
    // …unless this backend has its own.
    for (const [name, kernel] of Object.entries(OWN) as [KernelName, OwnKernel<unknown>][]) {
      table[name] = ((args: KernelArgs<unknown>) => {
        this.counts.own[name] = (this.counts.own[name] ?? 0) + 1;
        return kernel(args, valuesOf).map((v) => this.adopt(v));
      }) as KernelImpl<never>;
    }
    table.MatMul = ((args: KernelArgs<KernelAttrs['MatMul']>) => {
      const own = matmul2d(args, valuesOf);
      if (!own) return this.delegate('MatMul', args);
      this.counts.own.MatMul = (this.counts.own.MatMul ?? 0) + 1;
      return own.map((v) => this.adopt(v));
    }) as KernelImpl<never>;
    const missing = PRIMITIVES.filter((k) => !table[k]);
    if (missing.length) throw new Error(`example backend: no kernel for ${missing.join(', ')}`);
    this.kernels = table as KernelTable;
  }

  /** Run `name` on the inner CPU backend: copy the inputs in, the outputs out, free the copies. */
  private delegate(name: KernelName, args: KernelArgs<unknown>): DataId[] {
    this.counts.delegated++;
    const kernel = this.inner.kernels[name] as KernelImpl<unknown>;
    const inputs = args.inputs.map((t) => ({
      ...t,
      dataId: this.inner.write(this.unbox(t.dataId), t.dtype),
    }));
    try {
      const ids = kernel({ inputs, attrs: args.attrs, outputs: args.outputs });
      return ids.map((id, i) => {
        const out = this.write(this.inner.readSync(id), args.outputs[i]!.dtype);
        this.inner.free(id);
        return out;
      });
    } finally {
      for (const t of inputs) this.inner.free(t.dataId);
    }
  }

  private adopt(values: TypedArray): DataId {
    const box = new Box(values);
    this.live.add(box);
    this.bytes += values.byteLength;
    return box;
  }

  private unbox(id: DataId): TypedArray {
    if (!(id instanceof Box))
      throw new TypeError('example backend: got a handle this backend did not create');
    if (id.values === null) throw new Error('example backend: a handle was used after it was freed');
    return id.values;
  }

  write(values: TypedArray, dtype: DType): DataId {
    const copy = typedArrayFor(dtype, values.length);
    if (values instanceof ARRAY_TYPES[dtype]) copy.set(values);
    else if (dtype === 'bool') for (let i = 0; i < values.length; i++) copy[i] = values[i] !== 0 ? 1 : 0;
    else copy.set(values);
    return this.adopt(copy);
  }

  async read(dataId: DataId): Promise<TypedArray> {
    return this.unbox(dataId);
  }

  readSync(dataId: DataId): TypedArray {
    return this.unbox(dataId);
  }

  free(dataId: DataId): void {
    const box = dataId as Box;
    if (!this.live.delete(box)) return;
    this.bytes -= box.values!.byteLength;
    box.values = null;
  }

  memory(): BackendMemory {
    return { handles: this.live.size, bytes: this.bytes };
  }

  maxElements(): number {
    return HOST_MAX_ELEMENTS;
  }

  supports(dtype: DType): boolean {
    return dtype in ARRAY_TYPES;
  }

  dispose(): void {
    for (const box of this.live) box.values = null;
    this.live.clear();
    this.bytes = 0;
    this.inner.dispose();
  }
}

export function exampleBackend(): ExampleBackend {
  return new ExampleBackend();
}

/** Importing the package makes `await use('example')` work; priority 0 keeps it off the default. */
registerBackend('example', () => exampleBackend(), { priority: 0 });
