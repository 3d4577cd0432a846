import type { OutputSpec } from './backend.js';
import { currentContext, runWithContext } from './context.js';
import { promoteTypes, typedArrayFor } from './dtype.js';
import { checkAlloc, execute, fromValues, keep, scope } from './engine.js';
import { invalidateLiveness, Node } from './graph.js';
import type { KernelAttrs, KernelName } from './kernels.js';
import { broadcastShapes, fmtShape, shapesEqual, sizeOf } from './shape.js';
import { type LeafRecord, Tensor } from './tensor.js';

export { invalidateLiveness, Node };

/**
 * The tape. Every op whose inputs require grad records a `Node` holding aliases of its inputs and
 * outputs and the gradient rule of its kernel. Both faces of autograd walk the same nodes:
 * functional `grad`/`vjp` (which differentiate with respect to fresh targets and record the backward
 * ops too, so `grad(grad(f))` works) and imperative `backward()` (which accumulates into `.grad`).
 *
 * Nodes are reference-counted like storage: each tensor produced by a node and each alias of such a
 * tensor saved by a later node holds one reference. When the last goes, the node frees its saved
 * tensors, so graphs die with the tensors that can reach them.
 */

export interface GradContext<A = unknown> {
  /** Cotangent of each output (zeros where an output received none). */
  readonly dys: readonly Tensor[];
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
  /** Which inputs need a gradient; a rule may return null for the others. */
  readonly needs: readonly boolean[];
}

/** A gradient rule: cotangents of the outputs → cotangents of the inputs, written with ops. */
export type GradFn<A = unknown> = (ctx: GradContext<A>) => (Tensor | null)[];

const gradRules = new Map<string, GradFn<never>>();
const nonDifferentiable = new Set<string>();

/** Register the gradient rule of a kernel (or of a core-level op such as Reshape). */
export function defineGrad<K extends KernelName>(name: K, fn: GradFn<KernelAttrs[K]>): void;
export function defineGrad<A>(name: string, fn: GradFn<A>): void;
export function defineGrad(name: string, fn: GradFn<never>): void {
  gradRules.set(name, fn);
}

/** Mark kernels whose outputs carry no gradient (comparisons, argmax, …). */
export function defineNonDifferentiable(...names: string[]): void {
  for (const n of names) nonDifferentiable.add(n);
}

export function hasGradRule(name: string): boolean {
  return gradRules.has(name);
}

/** An internal alias that carries `t`'s graph link (holding its node alive). */
function linkedAlias(t: Tensor): Tensor {
  const a = Tensor.view(t, t.shape, 'alias', true);
  if (t.node) a.attachNode(t.node, t.outIndex);
  a.leaf = t.leaf;
  return a;
}

export function isGradEnabled(): boolean {
  return currentContext().gradEnabled;
}

/** Record `outputs = name(inputs)` on the tape when some input requires grad. */
export function record(
  name: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  attrs: unknown,
  grad?: GradFn<never>,
): void {
  if (!currentContext().gradEnabled || nonDifferentiable.has(name)) return;
  let any = false;
  const needs = inputs.map((t) => {
    const n = t.requiresGrad;
    any ||= n;
    return n;
  });
  if (!any) return;
  const fn = (grad ?? gradRules.get(name) ?? missingRule(name)) as GradFn<unknown>;
  const outAliases = outputs.map((t) => Tensor.view(t, t.shape, 'alias', true));
  const node = new Node(name, fn, inputs.map(linkedAlias), outAliases, attrs, needs);
  outputs.forEach((t, i) => {
    if (t.dtype === 'float32') t.attachNode(node, i);
  });
  outAliases.forEach((t, i) => {
    t.attachNode(node, i, true);
  });
}

function missingRule(name: string): GradFn<never> {
  return () => {
    throw new Error(`backward: no gradient rule is defined for '${name}'`);
  };
}

/** Run a kernel and record it for autograd. */
export function apply<K extends KernelName>(
  name: K,
  inputs: readonly Tensor[],
  attrs: KernelAttrs[K],
  outputs: readonly OutputSpec[],
): Tensor[] {
  const outs = execute(name, inputs, attrs, outputs);
  record(name, inputs, outs, attrs);
  return outs;
}

/** Run `fn` without recording gradients. */
export function noGrad<T>(fn: () => T): T {
  const ctx = currentContext();
  return runWithContext({ scope: ctx.scope, gradEnabled: false }, fn);
}

/** Run `fn` with gradient recording on, even inside `noGrad` (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(fn);
}

function withGrad<T>(fn: () => T): T {
  const ctx = currentContext();
  return runWithContext({ scope: ctx.scope, gradEnabled: true }, fn);
}

/** A view of `x` cut off from the graph: gradients do not flow through it. */
export function stopGradient(x: Tensor): Tensor {
  return Tensor.view(x, x.shape, 'stopGradient');
}

// ---------------------------------------------------------------------------------------------
// Backpropagation
// ---------------------------------------------------------------------------------------------

type Key = Node | LeafRecord;

/** Whose gradient a walk wants: specific targets (functional) or every accumulating leaf (imperative). */
type Want = { targets: Set<Key> } | { leaves: true };

function edgeKey(t: Tensor): Key | null {
  return t.node ?? t.leaf;
}

function wanted(want: Want, key: Key): boolean {
  if ('targets' in want) return want.targets.has(key);
  return !(key instanceof Node) && key.accumulate;
}

/**
 * Walk the graph from `roots` in reverse topological order, summing cotangents, and return the
 * cotangent reaching each wanted key. Nodes that cannot reach a wanted key are skipped, and a wanted
 * node stops the walk (its cotangent is the answer).
 */
function backprop(
  roots: readonly Tensor[],
  cotangents: readonly Tensor[],
  want: Want,
  consume = false,
): Map<Key, Tensor> {
  // Iterative post-order DFS: `order` lists nodes after all nodes they feed from.
  const order: Node[] = [];
  const useful = new Map<Node, boolean>();
  const visiting = new Set<Node>();
  const stack: { node: Node; next: number }[] = [];
  const push = (n: Node) => {
    if (useful.has(n) || visiting.has(n)) return;
    visiting.add(n);
    stack.push({ node: n, next: 0 });
  };
  for (const r of roots) if (r.node && !wanted(want, r.node)) push(r.node);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const { node } = top;
    if (top.next < node.inputs.length) {
      const inp = node.inputs[top.next++]!;
      if (inp.node && node.needs[top.next - 1] && !wanted(want, inp.node)) push(inp.node);
      continue;
    }
    stack.pop();
    visiting.delete(node);
    let u = false;
    node.inputs.forEach((inp, i) => {
      if (!node.needs[i]) return;
      const k = edgeKey(inp);
      if (k && (wanted(want, k) || (k instanceof Node && useful.get(k)))) u = true;
    });
    useful.set(node, u);
    order.push(node);
  }

  if (consume) {
    // Refuse before any rule runs, so no `.grad` is touched by a call that fails.
    for (const node of order) {
      if (node.consumed && useful.get(node)) {
        throw new Error(
          `backward: this graph was already backpropagated through (node '${node.name}' was spent by an earlier backward()); pass { retainGraph: true } to the earlier backward() to backpropagate through it again (PyTorch's retain_graph=True), or recompute the forward pass`,
        );
      }
    }
  }

  const nodeCots = new Map<Node, (Tensor | null)[]>();
  const results = new Map<Key, Tensor>();
  const accumulate = (key: Key, index: number, g: Tensor) => {
    if (wanted(want, key)) {
      const prev = results.get(key);
      results.set(key, prev ? addGrad(prev, g) : g);
      return;
    }
    const node = key as Node;
    let slots = nodeCots.get(node);
    if (!slots) nodeCots.set(node, (slots = node.outputs.map(() => null)));
    const prev = slots[index];
    slots[index] = prev ? addGrad(prev, g) : g;
  };

  roots.forEach((r, i) => {
    const k = edgeKey(r);
    if (k) accumulate(k, r.outIndex, cotangents[i]!);
  });

  for (let j = order.length - 1; j >= 0; j--) {
    const node = order[j]!;
    const slots = nodeCots.get(node);
    if (!useful.get(node) || !slots) continue;
    const dys = slots.map((g, i) => g ?? zerosOf(node.outputs[i]!));
    const needs = node.inputs.map((inp, i) => {
      if (!node.needs[i]) return false;
      const k = edgeKey(inp);
      return k !== null && (wanted(want, k) || (k instanceof Node && useful.get(k) === true));
    });
    const grads = node.grad({ dys, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs, needs });
    if (consume) node.consumed = true;
    node.inputs.forEach((inp, i) => {
      const g = grads[i];
      if (!needs[i] || !g) return;
      if (!shapesEqual(g.shape, inp.shape)) {
        throw new Error(
          `backward: gradient rule of '${node.name}' returned shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(inp.shape)}`,
        );
      }
      accumulate(edgeKey(inp)!, inp.outIndex, g);
    });
  }
  return results;
}

/**
 * Sum two gradients, as `add` (promoted dtype, broadcast shape), through the kernel directly: the
 * op modules import this file, so backprop calls the kernels it needs rather than the ops.
 */
function addGrad(a: Tensor, b: Tensor): Tensor {
  let t = promoteTypes(a.dtype, b.dtype);
  if (t === 'bool') t = 'int32';
  const ca = a.dtype === t ? a : apply('Cast', [a], {}, [{ shape: a.shape, dtype: t }])[0]!;
  const cb = b.dtype === t ? b : apply('Cast', [b], {}, [{ shape: b.shape, dtype: t }])[0]!;
  const shape = broadcastShapes('add', a.shape, b.shape);
  return apply('Add', [ca, cb], {}, [{ shape, dtype: t }])[0]!;
}

/** A tensor of `t`'s shape and dtype filled with `value` (as `zerosLike` / `onesLike`). */
function filledLike(t: Tensor, value: number, op: string): Tensor {
  checkAlloc(op, t.shape, t.dtype, undefined, true);
  const data = typedArrayFor(t.dtype, sizeOf(t.shape));
  if (value !== 0) data.fill(value);
  return fromValues(data, t.shape, t.dtype, op);
}
const zerosOf = (t: Tensor) => filledLike(t, 0, 'zerosLike');
const onesOf = (t: Tensor) => filledLike(t, 1, 'onesLike');

// ---------------------------------------------------------------------------------------------
// The imperative face
// ---------------------------------------------------------------------------------------------

export interface BackwardOptions {
  /**
   * Keep the graph usable for another `backward()` through it (PyTorch's `retain_graph`); the
   * gradients of each call then add up in `.grad`. Without it a second backward through the same
   * graph is an error instead of silently doubling the gradients.
   */
  retainGraph?: boolean;
}

/**
 * Accumulate d(root · cotangent)/d(leaf) into `.grad` of every leaf that requires grad.
 * The cotangent defaults to 1 for a one-element root. A graph can be backpropagated through once,
 * unless `retainGraph` is set (as PyTorch).
 * @example loss.backward(); · backward(y, cotangent, { retainGraph: true })
 */
export function backward(root: Tensor, options?: BackwardOptions): void;
export function backward(root: Tensor, cotangent: Tensor | undefined, options?: BackwardOptions): void;
export function backward(
  root: Tensor,
  cotangentOrOptions?: Tensor | BackwardOptions,
  maybeOptions: BackwardOptions = {},
): void {
  const cotangent = cotangentOrOptions instanceof Tensor ? cotangentOrOptions : undefined;
  const options =
    cotangentOrOptions instanceof Tensor || cotangentOrOptions === undefined
      ? maybeOptions
      : cotangentOrOptions;
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input of its computation requires grad)');
  }
  if (!cotangent && root.size !== 1) {
    throw new Error(
      `backward: a cotangent is required for a non-scalar tensor of shape ${fmtShape(root.shape)}`,
    );
  }
  noGrad(() =>
    scope(() => {
      const cot = cotangent ?? onesOf(root);
      const grads = backprop([root], [cot], { leaves: true }, options.retainGraph !== true);
      // A rule may hand the same tensor to several inputs (an add's dy goes to both sides): each
      // leaf gets its own handle on it, so disposing one leaf's .grad never frees another's.
      const handedOut = new Set<Tensor>([cot]);
      for (const [key, g] of grads) {
        const leaf = (key as LeafRecord).tensor;
        const prev = leaf.grad;
        leaf.grad = keep(prev ? addGrad(prev, g) : handedOut.has(g) ? Tensor.view(g, g.shape, 'grad') : g);
        handedOut.add(g);
        if (prev) prev.dispose();
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The functional face
// ---------------------------------------------------------------------------------------------

type Outputs = Tensor | readonly Tensor[];

/** Make a fresh differentiation target from `x`: a new leaf, or an identity node when `x` is itself on an outer tape. */
function makeTarget(x: Tensor): { target: Tensor; key: Key } {
  if (x.dtype !== 'float32')
    throw new TypeError(`grad: can only differentiate with respect to float32 tensors, got ${x.dtype}`);
  const target = Tensor.view(x, x.shape, 'gradTarget');
  // Link to the outer tape only when an outer *functional* transform is differentiating `x` (it is
  // a recorded result, or an active grad target). An imperative leaf (a Parameter) becomes a fresh
  // target, so `valueAndGrad` over parameters in a training loop returns plain gradients that do
  // not chain one step's graph onto the next.
  const outer = x.node !== null || (x.leaf !== null && x.leaf.active && !x.leaf.accumulate);
  if (outer && currentContext().gradEnabled) {
    record('Identity', [x], [target], {}, (({ dys }) => [dys[0]!]) as GradFn<never>);
    return { target, key: target.node! };
  }
  target.leaf = { tensor: target, active: true, accumulate: false };
  return { target, key: target.leaf };
}

/**
 * Vector-Jacobian product: returns `f`'s output and a function mapping output cotangents to the
 * cotangents of each primal. The backward ops are themselves recorded when an outer `grad` is
 * differentiating, which is what makes higher-order gradients work.
 */
export function vjp<O extends Outputs>(
  f: (...xs: Tensor[]) => O,
  ...primals: Tensor[]
): [O, (cotangent: O) => Tensor[]] {
  const targets = primals.map(makeTarget);
  const out = withGrad(() => f(...targets.map((t) => t.target)));
  for (const t of targets) if (!(t.key instanceof Node)) (t.key as LeafRecord).active = false;
  invalidateLiveness();
  const outs: readonly Tensor[] = out instanceof Tensor ? [out] : (out as readonly Tensor[]);
  const back = (cotangent: O): Tensor[] => {
    const cots: readonly Tensor[] =
      cotangent instanceof Tensor ? [cotangent] : (cotangent as readonly Tensor[]);
    if (cots.length !== outs.length) {
      throw new Error(`vjp: got ${cots.length} cotangents for ${outs.length} outputs`);
    }
    cots.forEach((c, i) => {
      if (!shapesEqual(c.shape, outs[i]!.shape)) {
        throw new Error(
          `vjp: cotangent ${i} has shape ${fmtShape(c.shape)} but the output has shape ${fmtShape(outs[i]!.shape)}`,
        );
      }
    });
    return scope(() => {
      const res = backprop(outs, cots, { targets: new Set(targets.map((t) => t.key)) });
      const seen = new Set<Tensor>(cots);
      return targets.map((t) => {
        const g = res.get(t.key);
        if (!g) return zerosOf(t.target);
        // Each gradient must be a tensor of its own: not a cotangent, not another target's gradient.
        if (seen.has(g)) return Tensor.view(g, g.shape, 'grad');
        seen.add(g);
        return g;
      });
    });
  };
  return [out, back];
}

type ArgNums = number | number[];

function pick<T>(all: T[], argnums: ArgNums): T | T[] {
  return typeof argnums === 'number' ? all[0]! : all;
}

/**
 * `valueAndGrad(f, argnums)(...args)` → `[f(...args), gradients]`; `f` must return a one-element
 * tensor. With a number `argnums` the gradient is one tensor, with an array it is an array.
 */
export function valueAndGrad(
  f: (...xs: Tensor[]) => Tensor,
  argnums: ArgNums = 0,
): (...args: Tensor[]) => [Tensor, Tensor | Tensor[]] {
  const idx = typeof argnums === 'number' ? [argnums] : argnums;
  return (...args: Tensor[]) =>
    scope(() => {
      for (const i of idx) {
        if (!(args[i] instanceof Tensor)) throw new TypeError(`grad: argument ${i} is not a tensor`);
      }
      const wrapped = (...picked: Tensor[]) => {
        const full = [...args];
        idx.forEach((a, j) => {
          full[a] = picked[j]!;
        });
        return f(...full);
      };
      const [out, back] = vjp(wrapped, ...idx.map((i) => args[i]!));
      if (!(out instanceof Tensor) || out.size !== 1) {
        throw new Error(
          `grad: the function must return a one-element tensor, got ${out instanceof Tensor ? `shape ${fmtShape(out.shape)}` : typeof out}`,
        );
      }
      const grads = back(onesOf(out));
      return [out, pick(grads, argnums)] as [Tensor, Tensor | Tensor[]];
    });
}

/** `grad(f, argnums)(...args)`: the gradient of a scalar-valued `f`. Composes: `grad(grad(f))`. */
export function grad(f: (...xs: Tensor[]) => Tensor, argnums?: number): (...args: Tensor[]) => Tensor;
export function grad(f: (...xs: Tensor[]) => Tensor, argnums: number[]): (...args: Tensor[]) => Tensor[];
export function grad(
  f: (...xs: Tensor[]) => Tensor,
  argnums: ArgNums = 0,
): (...args: Tensor[]) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, argnums);
  return (...args: Tensor[]) =>
    scope(() => {
      const [, g] = vg(...args);
      return g;
    });
}

/**
 * Run `forward` without recording and record its result as one node with the gradient rule `grad`
 * (which sees the inputs and the output as saved by the tape). For composites whose derivative
 * needs care the primitives cannot give, e.g. the norm's gradient at zero.
 */
export function opWithGrad(
  name: string,
  inputs: readonly Tensor[],
  forward: () => Tensor,
  grad: GradFn<never>,
): Tensor {
  const out = noGrad(forward);
  record(name, inputs, [out], {}, grad);
  return out;
}

/**
 * Give `f` a hand-written gradient. `f` returns `{ value, grad }` where `grad(dy)` returns one
 * cotangent per input. The forward runs without recording.
 */
export function customGrad(
  f: (...xs: Tensor[]) => { value: Tensor; grad: (dy: Tensor) => Tensor[] },
): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const { value, grad: g } = noGrad(() => f(...xs));
    record('CustomGrad', xs, [value], {}, (({ dys }) => g(dys[0]!)) as GradFn<never>);
    return value;
  };
}
