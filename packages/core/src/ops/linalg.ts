import { apply, defineGrad } from '../autograd.js';
import { promoteTypes } from '../dtype.js';
import { broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast, mul } from './elementwise.js';
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

/**
 * Einstein summation over one or two operands, e.g. `einsum('bij,bjk->bik', a, b)`. Without `->`
 * the output holds the labels that appear once, sorted. Each label appears at most once per
 * operand. Two-operand contractions run as one batched matmul.
 */
export function einsum(equation: string, a: Tensor, b?: Tensor): Tensor {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhsGiven] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  const operands = b ? [a, b] : [a];
  if (terms.length !== operands.length) {
    throw new RangeError(
      `einsum: '${equation}' names ${terms.length} operands but ${operands.length} were given`,
    );
  }
  terms.forEach((t, i) => {
    if (!/^[a-zA-Z]*$/.test(t))
      throw new RangeError(`einsum: '${equation}' has an invalid term '${t}' (letters only)`);
    if (new Set(t).size !== t.length)
      throw new RangeError(
        `einsum: '${equation}' repeats a label in operand ${i} (diagonals are not supported)`,
      );
    if (t.length !== operands[i]!.rank) {
      throw new RangeError(
        `einsum: term '${t}' has ${t.length} labels but operand ${i} has shape ${fmtShape(operands[i]!.shape)}`,
      );
    }
  });
  const size = new Map<string, number>();
  terms.forEach((t, i) => {
    [...t].forEach((l, j) => {
      const d = operands[i]!.shape[j]!;
      const prev = size.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) {
        throw new RangeError(`einsum: label '${l}' has size ${prev} in one operand and ${d} in another`);
      }
      size.set(l, prev === undefined || prev === 1 ? d : prev);
    });
  });
  const counts = new Map<string, number>();
  for (const t of terms) for (const l of t) counts.set(l, (counts.get(l) ?? 0) + 1);
  const rhs =
    rhsGiven ??
    [...counts.keys()]
      .filter((l) => counts.get(l) === 1)
      .sort()
      .join('');
  for (const l of rhs)
    if (!size.has(l)) throw new RangeError(`einsum: output label '${l}' appears in no operand`);

  // Sum away labels that appear only in one operand and not in the output.
  const reduced = operands.map((x, i) => {
    const t = terms[i]!;
    const other = terms[1 - i] ?? '';
    const drop = [...t]
      .map((l, j) => (!rhs.includes(l) && !other.includes(l) ? j : -1))
      .filter((j) => j >= 0);
    return { x: drop.length ? sum(x, drop) : x, t: [...t].filter((_, j) => !drop.includes(j)).join('') };
  });
  if (!b) {
    const { x, t } = reduced[0]!;
    return permute(
      x,
      [...rhs].map((l) => t.indexOf(l)),
    );
  }
  const [A, B] = reduced as [{ x: Tensor; t: string }, { x: Tensor; t: string }];
  const batch = [...A.t].filter((l) => B.t.includes(l) && rhs.includes(l));
  const contr = [...A.t].filter((l) => B.t.includes(l) && !rhs.includes(l));
  const aFree = [...A.t].filter((l) => !B.t.includes(l));
  const bFree = [...B.t].filter((l) => !A.t.includes(l));
  const prodOf = (ls: string[]) => sizeOf(ls.map((l) => size.get(l)!));
  const arrange = (op: { x: Tensor; t: string }, order: string[], shape: number[]) => {
    const moved = permute(
      op.x,
      order.map((l) => op.t.indexOf(l)),
    );
    // Broadcast size-1 batch labels by reshaping to the full sizes only where sizes match.
    return reshape(moved, shape);
  };
  const bs = batch.map((l) => size.get(l)!);
  const A3 = arrange(
    A,
    [...batch, ...aFree, ...contr],
    [...batch.map((l) => A.x.shape[A.t.indexOf(l)]!), prodOf(aFree), prodOf(contr)],
  );
  const B3 = arrange(
    B,
    [...batch, ...contr, ...bFree],
    [...batch.map((l) => B.x.shape[B.t.indexOf(l)]!), prodOf(contr), prodOf(bFree)],
  );
  const C = matmul(A3, B3);
  const full = reshape(C, [...bs, ...aFree.map((l) => size.get(l)!), ...bFree.map((l) => size.get(l)!)]);
  const order = [...batch, ...aFree, ...bFree];
  return permute(
    full,
    [...rhs].map((l) => order.indexOf(l)),
  );
}
