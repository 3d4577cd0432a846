import { apply, defineGrad } from '../autograd.js';
import { promoteTypes } from '../dtype.js';
import { broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { cast, mul } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { sum } from './reduce.js';
import { permute, reshape } from './shape.js';

/** The batched kernel call: a [..., m, k] (or [..., k, m]) × b [..., k, n] (or [..., n, k]). */
function matmulKernel(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const [m, ka] = transposeA
    ? [a.shape[a.rank - 1]!, a.shape[a.rank - 2]!]
    : [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  const [kb, n] = transposeB
    ? [b.shape[b.rank - 1]!, b.shape[b.rank - 2]!]
    : [b.shape[b.rank - 2]!, b.shape[b.rank - 1]!];
  if (ka !== kb) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${fmtShape(a.shape)}${transposeA ? 'ᵀ' : ''} × ${fmtShape(b.shape)}${transposeB ? 'ᵀ' : ''} (${ka} vs ${kb})`,
    );
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  let t = promoteTypes(a.dtype, b.dtype);
  if (t === 'bool') t = 'int32';
  return apply('MatMul', [cast(a, t), cast(b, t)], { transposeA, transposeB }, [
    { shape: [...batch, m, n], dtype: t },
  ])[0]!;
}

/** Sum a batched gradient down to an operand's own batch shape. */
function reduceBatch(g: Tensor, like: Tensor): Tensor {
  const lead = g.rank - like.rank;
  const axes: number[] = [];
  for (let i = 0; i < g.rank - 2; i++)
    if (i < lead || (like.shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return axes.length ? reshape(sum(g, axes), like.shape) : g;
}

defineGrad('MatMul', ({ dys, inputs, attrs, needs }) => {
  const [a, b] = inputs as [Tensor, Tensor];
  const dc = dys[0]!;
  const { transposeA: ta, transposeB: tb } = attrs;
  // C = op(A)·op(B): each case is the product rule with the transposes folded into the kernel.
  const da = !needs[0] ? null : ta ? matmulKernel(b, dc, tb, true) : matmulKernel(dc, b, false, !tb);
  const db = !needs[1] ? null : tb ? matmulKernel(dc, a, true, ta) : matmulKernel(a, dc, !ta, false);
  return [da && reduceBatch(da, a), db && reduceBatch(db, b)];
});

/**
 * Matrix product with torch.matmul's rules: 1-D operands are promoted to matrices and the added
 * dim removed afterwards; batch dims broadcast.
 */
export function matmul(
  a: Tensor,
  b: Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Tensor {
  if (a.rank === 0 || b.rank === 0) {
    throw new RangeError(
      `matmul: both operands need at least one dim, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const out = matmulKernel(a2, b2, options.transposeA ?? false, options.transposeB ?? false);
  if (a.rank === 1 && b.rank === 1) return reshape(out, []);
  if (a.rank === 1) return reshape(out, [...out.shape.slice(0, -2), out.shape[out.rank - 1]!]);
  if (b.rank === 1) return reshape(out, out.shape.slice(0, -1));
  return out;
}

/** Inner product of two 1-D tensors. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 1 || b.rank !== 1 || a.size !== b.size) {
    throw new RangeError(
      `dot: expects two 1-D tensors of equal length, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  return matmul(a, b);
}

/** Outer product of two 1-D tensors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 1 || b.rank !== 1)
    throw new RangeError(`outer: expects two 1-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

// ---------------------------------------------------------------------------------------------
// einsum
// ---------------------------------------------------------------------------------------------

/** One operand while einsum works on it: its tensor and one label per dim. */
interface Labelled {
  x: Tensor;
  labels: string[];
}

/**
 * Ellipsis dims get private labels, right-aligned across operands as broadcasting aligns them:
 * the last ellipsis dim of every operand is '\u0100' + (n − 1), where n is the widest ellipsis.
 */
const ellipsisLabel = (i: number) => String.fromCharCode(0x100 + i);

/** Split one term ('ij', 'b...j', '...') into the labels before and after its ellipsis, checked. */
function termLabels(
  equation: string,
  term: string,
  where: string,
): { before: string[]; after: string[]; dots: boolean } {
  const parts = term.split('...');
  if (parts.length > 2)
    throw new RangeError(`einsum: '${equation}': ${where} '${term}' has more than one ellipsis`);
  for (const p of parts)
    if (!/^[a-zA-Z]*$/.test(p))
      throw new RangeError(
        `einsum: '${equation}': ${where} '${term}' has an invalid character (letters a-z, A-Z and one '...' only)`,
      );
  return { before: [...parts[0]!], after: [...(parts[1] ?? '')], dots: parts.length === 2 };
}

/**
 * Take the diagonal over every label repeated inside one operand ('ii->i', 'iij->j'); einsum has
 * checked that the repeated dims have one size.
 */
function diagonalize(op: Labelled): Labelled {
  let { x, labels } = op;
  for (;;) {
    const l = labels.find((v, i) => labels.indexOf(v) !== i);
    if (l === undefined) return { x, labels };
    const at = labels.flatMap((v, i) => (v === l ? [i] : []));
    const n = x.shape[at[0]!]!;
    const rest = labels.map((_, i) => i).filter((i) => !at.includes(i));
    const moved = permute(x, [...rest, ...at]);
    const lead = rest.map((i) => x.shape[i]!);
    const flat = reshape(moved, [...lead, n ** at.length]);
    // Element (i, i, …, i) of the merged dims sits at i·(1 + n + … + n^(k−1)).
    let stride = 0;
    for (let k = 0; k < at.length; k++) stride += n ** k;
    const idx = tensor(
      Array.from({ length: n }, (_, i) => i * stride),
      { dtype: 'int32', shape: [n] },
    );
    x = indexSelect(flat, -1, idx);
    labels = [...rest.map((i) => labels[i]!), l];
  }
}

/** Sum away the dims whose label is in `drop`. */
function sumLabels(op: Labelled, drop: (l: string) => boolean): Labelled {
  const axes = op.labels.flatMap((l, i) => (drop(l) ? [i] : []));
  if (!axes.length) return op;
  return { x: sum(op.x, axes), labels: op.labels.filter((l) => !drop(l)) };
}

/**
 * Contract two operands into one holding the labels in `keep`, as one batched matmul: shared kept
 * labels are the batch, shared others are summed over, the rest are the rows and the columns.
 */
function contractPair(A: Labelled, B: Labelled, keep: (l: string) => boolean): Labelled {
  const inB = (l: string) => B.labels.includes(l);
  const inA = (l: string) => A.labels.includes(l);
  const batch = A.labels.filter((l) => inB(l) && keep(l));
  let contr = A.labels.filter((l) => inB(l) && !keep(l));
  // A summed label of size 1 on one side and n on the other: sum the n side first (Σₖ a·bₖ = a·Σₖ bₖ).
  const sizeIn = (op: Labelled, l: string) => op.x.shape[op.labels.indexOf(l)]!;
  const lone = (op: Labelled, other: Labelled) =>
    contr.filter((l) => sizeIn(other, l) === 1 && sizeIn(op, l) !== 1);
  const aOnly = lone(A, B);
  const bOnly = lone(B, A);
  if (aOnly.length) A = sumLabels(A, (l) => aOnly.includes(l));
  if (bOnly.length) B = sumLabels(B, (l) => bOnly.includes(l));
  // The other side keeps a size-1 dim for that label: drop it too.
  const ones = [...aOnly, ...bOnly];
  if (ones.length) {
    const squeezeOnes = (op: Labelled): Labelled => {
      const axes = op.labels.flatMap((l, i) => (ones.includes(l) ? [i] : []));
      if (!axes.length) return op;
      const shape = op.x.shape.filter((_, i) => !axes.includes(i));
      return { x: reshape(op.x, shape), labels: op.labels.filter((l) => !ones.includes(l)) };
    };
    A = squeezeOnes(A);
    B = squeezeOnes(B);
    contr = contr.filter((l) => !ones.includes(l));
  }
  const aFree = A.labels.filter((l) => !inB(l));
  const bFree = B.labels.filter((l) => !inA(l));
  const sizes = (op: Labelled, ls: string[]) => ls.map((l) => sizeIn(op, l));
  const arrange = (op: Labelled, order: string[], shape: number[]) =>
    reshape(
      permute(
        op.x,
        order.map((l) => op.labels.indexOf(l)),
      ),
      shape,
    );
  const A3 = arrange(
    A,
    [...batch, ...aFree, ...contr],
    [...sizes(A, batch), sizeOf(sizes(A, aFree)), sizeOf(sizes(A, contr))],
  );
  const B3 = arrange(
    B,
    [...batch, ...contr, ...bFree],
    [...sizes(B, batch), sizeOf(sizes(B, contr)), sizeOf(sizes(B, bFree))],
  );
  const C = matmul(A3, B3);
  const bs = batch.map((l) => Math.max(sizeIn(A, l), sizeIn(B, l)));
  return {
    x: reshape(C, [...bs, ...sizes(A, aFree), ...sizes(B, bFree)]),
    labels: [...batch, ...aFree, ...bFree],
  };
}

/**
 * Einstein summation as torch.einsum (PyTorch 1.13), over any number of operands:
 * `einsum('bij,bjk->bik', a, b)`, `einsum('ij,jk,kl->il', a, b, c)`. A label repeated inside one
 * term takes the diagonal (`'ii->i'`, `'ii'` is the trace); `'...'` stands for broadcast dims
 * (aligned from the right, as broadcasting aligns them); without `->` the output is the ellipsis
 * dims followed by the labels that appear once, in alphabetical order (upper case first). Size-1
 * dims broadcast against the same label's size elsewhere. Operands are contracted pairwise from
 * left to right, each pair as one batched matmul, after summing every label that no later operand
 * or the output needs; the gradient follows from those ops.
 *
 * ```ts
 * einsum('ii', m);                 // trace
 * einsum('...ij,...jk', a, b);     // batched matmul with broadcast batch dims
 * ```
 */
export function einsum(equation: string, a: Tensor, b?: Tensor): Tensor;
export function einsum(equation: string, ...operands: Tensor[]): Tensor;
export function einsum(equation: string, ...given: (Tensor | undefined)[]): Tensor {
  // The two-operand call form may pass an undefined second operand.
  const operands = given.filter((t): t is Tensor => t !== undefined);
  if (typeof equation !== 'string')
    throw new TypeError(`einsum: the equation must be a string, got ${typeof equation}`);
  const eq = equation.replace(/\s+/g, '');
  const sides = eq.split('->');
  if (sides.length > 2) throw new RangeError(`einsum: '${equation}' has more than one '->'`);
  const [lhs, rhsGiven] = sides as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== operands.length) {
    throw new RangeError(
      `einsum: '${equation}' names ${terms.length} operand${terms.length === 1 ? '' : 's'} but ${operands.length} ${operands.length === 1 ? 'was' : 'were'} given`,
    );
  }
  const parsed = terms.map((t, i) => {
    const p = termLabels(equation, t, `term ${i}`);
    const rank = operands[i]!.rank;
    const named = p.before.length + p.after.length;
    if (p.dots ? rank < named : rank !== named) {
      throw new RangeError(
        `einsum: '${equation}': term '${t}' has ${named} label${named === 1 ? '' : 's'}${p.dots ? " and '...'" : ''} but operand ${i} has shape ${fmtShape(operands[i]!.shape)}`,
      );
    }
    return { ...p, ell: rank - named };
  });
  const ellWidth = Math.max(0, ...parsed.map((p) => p.ell));
  const ellAll = Array.from({ length: ellWidth }, (_, i) => ellipsisLabel(i));
  let ops: Labelled[] = parsed.map((p, i) => ({
    x: operands[i]!,
    labels: [...p.before, ...ellAll.slice(ellWidth - p.ell), ...p.after],
  }));

  // Every label's size; size 1 broadcasts against any other.
  const size = new Map<string, number>();
  ops.forEach((op, i) => {
    op.labels.forEach((l, j) => {
      const d = op.x.shape[j]!;
      const first = op.labels.indexOf(l);
      if (first < j && op.x.shape[first] !== d)
        throw new RangeError(
          `einsum: '${equation}': label '${l}' is repeated in term '${terms[i]}' but its dims differ (${op.x.shape[first]} vs ${d} in shape ${fmtShape(op.x.shape)})`,
        );
      const prev = size.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) {
        const name = l.charCodeAt(0) >= 0x100 ? "'...'" : `label '${l}'`;
        throw new RangeError(
          `einsum: '${equation}': ${name} has size ${prev} in one operand but ${d} in term '${terms[i]}' (shape ${fmtShape(op.x.shape)})`,
        );
      }
      if (prev === undefined || prev === 1) size.set(l, d);
    });
  });

  let out: string[];
  if (rhsGiven === undefined) {
    const counts = new Map<string, number>();
    for (const p of parsed)
      for (const l of [...p.before, ...p.after]) counts.set(l, (counts.get(l) ?? 0) + 1);
    out = [...ellAll, ...[...counts.keys()].filter((l) => counts.get(l) === 1).sort()];
  } else {
    const p = termLabels(equation, rhsGiven, 'output');
    out = [...p.before, ...(p.dots ? ellAll : []), ...p.after];
    const named = [...p.before, ...p.after];
    named.forEach((l, i) => {
      if (named.indexOf(l) !== i)
        throw new RangeError(`einsum: '${equation}': output '${rhsGiven}' repeats label '${l}'`);
      if (!size.has(l))
        throw new RangeError(`einsum: '${equation}': output label '${l}' appears in no operand`);
    });
  }

  ops = ops.map(diagonalize);
  // Contract from the left; before each step, sum on each side what neither the other side, a
  // later operand nor the output has.
  const needed = (from: number) => {
    const s = new Set(out);
    for (let j = from; j < ops.length; j++) for (const l of ops[j]!.labels) s.add(l);
    return s;
  };
  let acc = ops[0]!;
  if (ops.length === 1) acc = sumLabels(acc, (l) => !out.includes(l));
  for (let j = 1; j < ops.length; j++) {
    const later = needed(j + 1);
    const next = ops[j]!;
    const a = sumLabels(acc, (l) => !later.has(l) && !next.labels.includes(l));
    const b = sumLabels(next, (l) => !later.has(l) && !a.labels.includes(l));
    acc = contractPair(a, b, (l) => later.has(l));
  }
  return permute(
    acc.x,
    out.map((l) => acc.labels.indexOf(l)),
  );
}
