import { type DType, isTensor, type Module, noGrad, Parameter, type Shape, scope, zeros } from '@myelin/core';

export interface SummaryOptions {
  /** Print the table with console.log (default true). */
  print?: boolean;
  /** dtype of the zero inputs (default float32; int32 for embeddings). */
  dtype?: DType | readonly DType[];
}

interface Row {
  name: string;
  type: string;
  depth: number;
  shapes: string;
  params: number;
}

function describeOutput(out: unknown): string {
  if (isTensor(out)) return `[${out.shape.join(', ')}]`;
  if (Array.isArray(out)) {
    const parts = out.map(describeOutput).filter((s) => s !== '');
    return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
  }
  return '';
}

/** Parameters held directly by `m` (not through a child module). */
function ownParameters(m: Module): Parameter[] {
  return Object.values(m).filter((v): v is Parameter => v instanceof Parameter);
}

const fmtInt = (n: number) => n.toLocaleString('en-US');

/**
 * Run `model` once on zeros of `inputShape` (batch dim included; an array of shapes for several
 * inputs) and tabulate every submodule that was called: its dotted name and class, its output
 * shape(s) and the parameters it owns directly (so the column sums to the total: parameters the
 * model or an uncalled submodule holds directly get rows of their own, and a tied parameter counts
 * once, in the first row that holds it). Runs in eval mode
 * without gradients and frees everything it allocated; training flags are restored afterwards.
 *
 * @example
 * summary(lenet, [1, 1, 28, 28]);
 */
export function summary(
  model: Module,
  inputShape: Shape | readonly Shape[],
  options: SummaryOptions = {},
): string {
  const shapes: Shape[] = Array.isArray(inputShape[0])
    ? [...(inputShape as readonly Shape[])]
    : [inputShape as Shape];
  const forward = model.forward;
  if (typeof forward !== 'function') throw new TypeError('summary: the model has no forward method');

  const rows: Row[] = [];
  const patched: [Module, PropertyDescriptor | undefined][] = [];
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  const seen = new Set<Module>();
  for (const [name, m] of model.namedModules()) {
    if (name === '' || seen.has(m)) continue;
    seen.add(m);
    const orig = m.forward;
    if (typeof orig !== 'function') continue;
    const row: Row = {
      name,
      type: m.constructor.name,
      depth: name.split('.').length - 1,
      shapes: '',
      params: 0,
    };
    let called = false;
    // A forward defined as an own property (an arrow-function field) is put back afterwards.
    const own = Object.getOwnPropertyDescriptor(m, 'forward');
    Object.defineProperty(m, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value(this: Module, ...args: unknown[]) {
        const first = !called;
        called = true;
        if (first) rows.push(row);
        const out = orig.apply(this, args);
        if (first) row.shapes = describeOutput(out);
        return out;
      },
    });
    patched.push([m, own]);
  }
  try {
    model.eval();
    noGrad(() =>
      scope(() => {
        const dt = options.dtype;
        const xs = shapes.map((s, i) =>
          zeros(s, { dtype: (Array.isArray(dt) ? dt[i] : (dt as DType)) ?? 'float32' }),
        );
        forward.apply(model, xs);
      }),
    );
  } finally {
    for (const [m, own] of patched) {
      delete (m as unknown as Record<string, unknown>).forward;
      if (own) Object.defineProperty(m, 'forward', own);
    }
    for (const [m, t] of modes) m.training = t;
  }

  // Modules that own parameters but were not called (the root's own weights, a module whose
  // weights its parent uses directly) get a row too, so the column sums to the total: the root first,
  // the others after the called ones, their output shown as '—'.
  const called = new Set(rows.map((r) => r.name));
  const extra: Row[] = [];
  const listed = new Set<Module>();
  for (const [name, m] of model.namedModules()) {
    if (called.has(name) || listed.has(m) || ownParameters(m).length === 0) continue;
    listed.add(m);
    const row = {
      name: name === '' ? '(own parameters)' : name,
      type: m.constructor.name,
      depth: name === '' ? 0 : name.split('.').length - 1,
      shapes: '—',
      params: 0,
    };
    if (name === '') rows.unshift(row);
    else extra.push(row);
  }
  rows.push(...extra);
  // Shared (tied) parameters count once, in the first row that owns them, as PyTorch's
  // parameters() counts them once.
  const counted = new Set<Parameter>();
  const modules = new Map(model.namedModules());
  for (const r of rows) {
    const m = modules.get(r.name === '(own parameters)' ? '' : r.name)!;
    for (const p of ownParameters(m))
      if (!counted.has(p)) {
        counted.add(p);
        r.params += p.size;
      }
  }
  const params = [...new Set(model.parameters())];
  const total = params.reduce((n, p) => n + p.size, 0);
  const trainable = params.filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0);
  const left = rows.map((r) => `${'  '.repeat(r.depth)}${r.name} (${r.type})`);
  const w0 = Math.max(12, ...left.map((s) => s.length)) + 2;
  const w1 = Math.max(12, ...rows.map((r) => r.shapes.length)) + 2;
  const w2 = Math.max(7, ...rows.map((r) => fmtInt(r.params).length));
  const width = w0 + w1 + w2;
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}${b.padEnd(w1)}${c.padStart(w2)}`;
  const out = [
    `${model.constructor.name} — input ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}`,
    '='.repeat(width),
    line('Layer (type)', 'Output shape', 'Param #'),
    '='.repeat(width),
    ...rows.map((r, i) => line(left[i]!, r.shapes, fmtInt(r.params))),
    '='.repeat(width),
    `Total params: ${fmtInt(total)}`,
    `Trainable params: ${fmtInt(trainable)}`,
    `Non-trainable params: ${fmtInt(total - trainable)}`,
    '='.repeat(width),
  ].join('\n');
  if (options.print ?? true) console.log(out);
  return out;
}
