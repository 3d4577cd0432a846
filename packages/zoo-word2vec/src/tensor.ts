import {
  add,
  concat,
  type Generator,
  indexSelect,
  keep,
  logSigmoid,
  mul,
  neg,
  reshape,
  scope,
  sigmoid,
  sum,
  type Tensor,
  tensor,
  unsqueeze,
} from '@myelin/core';
import type { EncodedCorpus } from './word2vec.js';

/** The two tables of skip-gram with negative sampling as tensors: `[vocab, dim]` each. */
export interface SgnsTables {
  input: Tensor;
  output: Tensor;
}

/** One batch: B (center, context) pairs and K negatives per pair. */
export interface SgnsBatch {
  /** Word whose input vector predicts (B ids; word2vec.c's context word `l1`). */
  inputs: Int32Array;
  /** Word predicted (B ids). */
  targets: Int32Array;
  /** `B × K` sampled words. */
  negatives: Int32Array;
}

/**
 * One step of skip-gram with negative sampling written with core ops, so it runs on any backend
 * (webgpu included): gather the rows the batch uses, score them, and add the gradient of
 * `−log σ(u·v⁺) − Σ log σ(−u·v⁻)` back into those rows with `addRows` (rows no pair uses are
 * copied unchanged). Rows that several pairs use get their updates summed, where the kernel applies them one
 * after another; otherwise the arithmetic is the kernel's with the exact logistic. Returns new
 * tables (the old ones are disposed) and the batch's mean loss as a scalar tensor that the caller
 * owns (read it with `await loss.data()`: nothing here reads synchronously, so the step runs on
 * webgpu, where synchronous reads are not possible).
 */
export function sgnsTensorStep(
  tables: SgnsTables,
  batch: SgnsBatch,
  lr: number,
): { tables: SgnsTables; loss: Tensor } {
  const B = batch.inputs.length;
  if (B === 0 || batch.targets.length !== B || batch.negatives.length % B !== 0) {
    throw new RangeError(
      `sgnsTensorStep: expected B ≥ 1 inputs, B targets and B·K negatives; got ${B}, ${batch.targets.length}, ${batch.negatives.length}`,
    );
  }
  const K = batch.negatives.length / B;
  const D = tables.input.shape[1]!;
  if (tables.input.rank !== 2 || tables.output.rank !== 2 || tables.output.shape[1] !== D) {
    throw new RangeError(
      `sgnsTensorStep: tables must be [vocab, dim] with one dim; got input [${tables.input.shape}] and output [${tables.output.shape}]`,
    );
  }
  const next = scope(() => {
    const inIdx = tensor(batch.inputs, { dtype: 'int32' });
    // Output rows per pair: its target, then its K negatives.
    const order = new Int32Array(B * (1 + K));
    for (let b = 0; b < B; b++) {
      order[b * (1 + K)] = batch.targets[b]!;
      for (let k = 0; k < K; k++) order[b * (1 + K) + 1 + k] = batch.negatives[b * K + k]!;
    }
    const outIdx = tensor(order, { dtype: 'int32' });
    const u = indexSelect(tables.input, 0, inIdx); // [B, D]
    const v = reshape(indexSelect(tables.output, 0, outIdx), [B, 1 + K, D]);
    const uu = unsqueeze(u, 1); // [B, 1, D]
    const scores = sum(mul(uu, v), 2); // [B, 1 + K]
    const sign = tensor(
      Float32Array.from({ length: 1 + K }, (_, k) => (k === 0 ? 1 : -1)),
      { shape: [1, 1 + K] },
    );
    const signed = mul(scores, sign);
    const loss = mul(sum(logSigmoid(signed)), -1 / B);
    // d loss / d score = −sign · σ(−sign · score); the step is −lr times it.
    const g = mul(mul(sigmoid(neg(signed)), sign), lr); // [B, 1 + K]
    const g3 = unsqueeze(g, 2);
    const du = sum(mul(g3, v), 1); // [B, D]
    const dv = reshape(mul(g3, uu), [B * (1 + K), D]); // rows in (pos, neg…) order per pair
    const input = addRows(tables.input, batch.inputs, du);
    const output = addRows(tables.output, order, dv);
    return keep({ input, output, loss });
  });
  tables.input.dispose();
  tables.output.dispose();
  return { tables: { input: next.input, output: next.output }, loss: next.loss };
}

/**
 * `table` with `updates[i]` added to row `rows[i]` (rows repeated: their updates summed), as
 * `scatterAdd` along axis 0 would, but in gathers only: the row ids are on the host, so the
 * grouping is planned here. The updates of each distinct row are gathered into a `[U, M, D]` block
 * (M: the most updates one row gets, short rows padded with a zero row) and summed; the new table
 * is one gather from `[table; updated rows]` by a map that sends each touched row to its updated
 * copy. Cost O(V·D + U·M·D), where webgpu's `scatterAdd` (one thread per output element scanning
 * every index) costs O(V·D·N) — seconds per step for a few thousand words on llvmpipe.
 */
export function addRows(table: Tensor, rows: Int32Array, updates: Tensor): Tensor {
  const [V, D] = table.shape as [number, number];
  const N = rows.length;
  if (table.rank !== 2 || updates.rank !== 2 || updates.shape[0] !== N || updates.shape[1] !== D) {
    throw new RangeError(
      `addRows: expected a [V, D] table and [N, D] updates for N rows; got table [${table.shape}], updates [${updates.shape}] and ${N} rows`,
    );
  }
  const slotOf = new Map<number, number[]>();
  for (let i = 0; i < N; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= V) {
      throw new RangeError(`addRows: row ${r} (entry ${i}) is outside the table's ${V} rows`);
    }
    const list = slotOf.get(r);
    if (list) list.push(i);
    else slotOf.set(r, [i]);
  }
  const U = slotOf.size;
  let M = 0;
  for (const list of slotOf.values()) M = Math.max(M, list.length);
  const unique = new Int32Array(U);
  const gather = new Int32Array(U * M).fill(N); // N: the zero row appended to the updates
  const map = Int32Array.from({ length: V }, (_, v) => v);
  let u = 0;
  for (const [r, list] of slotOf) {
    unique[u] = r;
    map[r] = V + u;
    for (let m = 0; m < list.length; m++) gather[u * M + m] = list[m]!;
    u++;
  }
  return scope(() => {
    const padded = concat([updates, tensor(new Float32Array(D), { shape: [1, D] })], 0);
    const summed = sum(reshape(indexSelect(padded, 0, tensor(gather, { dtype: 'int32' })), [U, M, D]), 1);
    const touched = add(indexSelect(table, 0, tensor(unique, { dtype: 'int32' })), summed);
    return keep(indexSelect(concat([table, touched], 0), 0, tensor(map, { dtype: 'int32' })));
  });
}

/**
 * A batch of `size` skip-gram pairs drawn at random from `corpus`: a position (uniform over the
 * corpus), a window `1 … window` as word2vec's dynamic window, a context word inside it and inside
 * the same sentence; the context word's input vector predicts the centre word (word2vec.c's
 * order). `negative` words per pair come from gensim's cumulative table (`unigramTable`), a draw
 * equal to the pair's target drawn again (gensim skips it; a batch keeps its shape). Reproducible from the generator's state.
 */
export function sgnsBatch(
  corpus: EncodedCorpus,
  cumTable: Uint32Array,
  options: { size: number; window?: number; negative?: number },
  generator: Generator,
): SgnsBatch {
  const { size } = options;
  const window = options.window ?? 5;
  const K = options.negative ?? 5;
  const { ids, offsets } = corpus;
  const fail = (what: string) => {
    throw new RangeError(`sgnsBatch: ${what}`);
  };
  if (!Number.isInteger(size) || size < 1) fail(`size must be an integer ≥ 1, got ${size}`);
  if (!Number.isInteger(window) || window < 1) fail(`window must be an integer ≥ 1, got ${window}`);
  if (!Number.isInteger(K) || K < 0) fail(`negative must be an integer ≥ 0, got ${K}`);
  if (cumTable.length === 0 || cumTable[cumTable.length - 1] === 0) fail('the unigram table is empty');
  let longest = 0;
  for (let s = 0; s + 1 < offsets.length; s++) longest = Math.max(longest, offsets[s + 1]! - offsets[s]!);
  if (longest < 2) fail(`the corpus needs a sentence of at least 2 words (longest: ${longest})`);
  const inputs = new Int32Array(size);
  const targets = new Int32Array(size);
  const negatives = new Int32Array(size * K);
  const top = cumTable[cumTable.length - 1]!;
  const below = (n: number): number => generator.randint(0, n, 1)[0]!;
  const draw = (): number => {
    const r = below(top);
    let lo = 0;
    let hi = cumTable.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumTable[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  for (let b = 0; b < size; ) {
    const p = below(ids.length);
    // The sentence holding p: the last offset ≤ p.
    let lo = 0;
    let hi = offsets.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    const start = offsets[lo]!;
    const end = offsets[lo + 1]!;
    const reach = 1 + below(window);
    const from = Math.max(start, p - reach);
    const to = Math.min(end - 1, p + reach);
    if (to - from < 1) continue; // a one-word sentence: draw another position
    let c = from + below(to - from);
    if (c >= p) c++;
    inputs[b] = ids[c]!;
    targets[b] = ids[p]!;
    const t = ids[p]!;
    // Redraw a negative equal to the target, unless the target holds the whole table.
    const alone = cumTable[t]! - (t > 0 ? cumTable[t - 1]! : 0) >= top;
    for (let k = 0; k < K; k++) {
      let w = draw();
      while (w === t && !alone) w = draw();
      negatives[b * K + k] = w;
    }
    b++;
  }
  return { inputs, targets, negatives };
}
