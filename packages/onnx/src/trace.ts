import {
  type Backend,
  type BackendMemory,
  type DataId,
  type DType,
  getBackend,
  type KernelArgs,
  type KernelName,
  type KernelTable,
  type Module,
  noGrad,
  type OutputSpec,
  type Shape,
  scope,
  type Tensor,
  type TensorInfo,
  type TypedArray,
  use,
} from '@myelin/core';

/** One kernel call seen while tracing: what ran, on what, with which attrs, inside which module. */
export interface KernelRecord {
  readonly name: KernelName;
  readonly inputs: readonly TensorInfo[];
  readonly attrs: Record<string, unknown>;
  readonly outputs: readonly OutputSpec[];
  readonly outIds: readonly DataId[];
  /** Dotted path of the innermost module whose `forward` was running ('' for the model itself). */
  readonly module: string;
}

/** What one traced forward pass produced. */
export interface Trace {
  readonly records: KernelRecord[];
  /** Host values of every handle written (uploads, and tensors moved onto the tracer). */
  readonly written: Map<DataId, TypedArray>;
  /** Host values of kernel outputs, read back after the pass (for constant folding). */
  readonly computed: Map<DataId, TypedArray>;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** State-dict name of each parameter or buffer handle (first name for tied weights). */
  readonly names: Map<DataId, string>;
  readonly stateShapes: Map<string, { shape: Shape; dtype: DType }>;
}

/**
 * A backend that runs every kernel on `inner` and writes down the call. Core's backend SPI is the
 * only hook: no op of core changes. Handles are `inner`'s own; frees are deferred until `close`,
 * so a handle is never reused while the trace still refers to it and every intermediate can be read.
 */
class TracingBackend implements Backend {
  readonly name = 'onnx-trace';
  readonly kernels: KernelTable;
  readonly records: KernelRecord[] = [];
  readonly written = new Map<DataId, TypedArray>();
  readonly canReadSync = true;
  modulePath: string[] = [];
  private readonly deferred: DataId[] = [];

  constructor(private readonly inner: Backend) {
    const table: Record<string, unknown> = {};
    for (const [name, impl] of Object.entries(inner.kernels)) {
      const run = impl as (args: KernelArgs<unknown>) => DataId[];
      table[name] = (args: KernelArgs<Record<string, unknown>>) => {
        const outIds = run(args);
        this.records.push({
          name: name as KernelName,
          inputs: args.inputs.map((t) => ({ dataId: t.dataId, shape: [...t.shape], dtype: t.dtype })),
          attrs: structuredClone(args.attrs),
          outputs: args.outputs.map((o) => ({ shape: [...o.shape], dtype: o.dtype })),
          outIds,
          module: this.modulePath.at(-1) ?? '',
        });
        return outIds;
      };
    }
    this.kernels = table as KernelTable;
  }

  write(values: TypedArray, dtype: DType): DataId {
    const id = this.inner.write(values, dtype);
    this.written.set(id, this.inner.readSync(id).slice());
    return id;
  }
  read(dataId: DataId): Promise<TypedArray> {
    return this.inner.read(dataId);
  }
  get readOwned(): boolean | undefined {
    return this.inner.readOwned;
  }
  readSync(dataId: DataId): TypedArray {
    return this.inner.readSync(dataId);
  }
  free(dataId: DataId): void {
    this.deferred.push(dataId);
  }
  memory(): BackendMemory {
    return this.inner.memory();
  }
  maxElements(dtype: DType): number {
    return this.inner.maxElements?.(dtype) ?? Number.POSITIVE_INFINITY;
  }
  supports(dtype: DType): boolean {
    return this.inner.supports(dtype);
  }
  /** Release every handle core freed during the trace. */
  close(): void {
    for (const id of this.deferred.splice(0)) this.inner.free(id);
  }
  dispose(): void {
    this.close();
  }
}

/** The model's forward, called on the example inputs. */
export type ForwardFn = (model: Module, inputs: Tensor[]) => Tensor | readonly Tensor[];

/**
 * Run `forward` once on a tracing backend that wraps the active one, in eval mode without
 * gradients, and return the kernel calls with the handles of inputs, outputs and parameters.
 * Every live tensor moves onto the tracer and back (core's `use`), so the caller's tensors stay valid.
 */
export function traceForward(model: Module, inputs: Tensor[], forward: ForwardFn): Promise<Trace> {
  // The tracer is the active backend while it runs: two traces at once would record each other's
  // kernels, so they queue.
  const run = queue.then(() => traceOnce(model, inputs, forward));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function traceOnce(model: Module, inputs: Tensor[], forward: ForwardFn): Promise<Trace> {
  const prev = getBackend();
  if (prev.canReadSync === false) {
    throw new Error(
      `exportOnnx: the active backend '${prev.name}' cannot read synchronously; export from the cpu or wasm backend`,
    );
  }
  const tracer = new TracingBackend(prev);
  const restore: (() => void)[] = [];
  let outs: Tensor[] = [];
  await use(tracer);
  try {
    // Keep a module path for error messages: wrap each submodule's forward while tracing.
    for (const [path, m] of model.namedModules()) {
      const own = Object.hasOwn(m, 'forward');
      const orig = (m as unknown as { forward: (...a: unknown[]) => unknown }).forward;
      if (typeof orig !== 'function') continue;
      (m as unknown as { forward: unknown }).forward = function (this: unknown, ...args: unknown[]) {
        tracer.modulePath.push(path);
        try {
          return orig.apply(this, args);
        } finally {
          tracer.modulePath.pop();
        }
      };
      restore.push(() => {
        if (own) (m as unknown as { forward: unknown }).forward = orig;
        else delete (m as unknown as { forward?: unknown }).forward;
      });
    }
    const names = new Map<DataId, string>();
    const stateShapes = new Map<string, { shape: Shape; dtype: DType }>();
    for (const [name, t] of Object.entries(model.stateDict())) {
      const id = t.storageRef('exportOnnx').dataId;
      if (!names.has(id)) names.set(id, name);
      stateShapes.set(name, { shape: [...t.shape], dtype: t.dtype });
    }
    const info = (t: Tensor): TensorInfo => ({
      dataId: t.storageRef('exportOnnx').dataId,
      shape: [...t.shape],
      dtype: t.dtype,
    });
    const inputInfos = inputs.map(info);
    const wasTraining = model.training;
    model.eval();
    tracer.modulePath = [];
    try {
      const result = noGrad(() => scope(() => forward(model, inputs)));
      outs = Array.isArray(result) ? [...(result as Tensor[])] : [result as Tensor];
    } finally {
      model.train(wasTraining);
    }
    const computed = new Map<DataId, TypedArray>();
    for (const r of tracer.records) for (const id of r.outIds) computed.set(id, tracer.readSync(id).slice());
    return {
      records: tracer.records,
      written: tracer.written,
      computed,
      inputs: inputInfos,
      outputs: outs.map(info),
      names,
      stateShapes,
    };
  } finally {
    for (const r of restore) r();
    for (const t of outs) t.dispose();
    await use(prev);
    tracer.close();
  }
}
