import {
  broadcastTo,
  indexSelect,
  keep,
  logSigmoid,
  mul,
  neg,
  reshape,
  scatterAdd,
  scope,
  sigmoid,
  sum,
  type Tensor,
  tensor,
  unsqueeze,
} from '@myelin/core';

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
 * `−log σ(u·v⁺) − Σ log σ(−u·v⁻)` back into those rows with `scatterAdd` (rows no pair uses get
 * zero). Rows that several pairs use get their updates summed, where the kernel applies them one
 * after another; otherwise the arithmetic is the kernel's with the exact logistic. Returns new
 * tables (the old ones are disposed) and the batch's mean loss.
 */
export function sgnsTensorStep(
  tables: SgnsTables,
  batch: SgnsBatch,
  lr: number,
): { tables: SgnsTables; loss: number } {
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
  let lossValue = 0;
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
    lossValue = -(sum(logSigmoid(signed)).dataSync()[0]! / B);
    // d loss / d score = −sign · σ(−sign · score); the step is −lr times it.
    const g = mul(mul(sigmoid(neg(signed)), sign), lr); // [B, 1 + K]
    const g3 = unsqueeze(g, 2);
    const du = sum(mul(g3, v), 1); // [B, D]
    const dv = reshape(mul(g3, uu), [B * (1 + K), D]); // rows in (pos, neg…) order per pair
    const rowsIn = broadcastTo(reshape(inIdx, [B, 1]), [B, D]);
    const rowsOut = broadcastTo(reshape(outIdx, [B * (1 + K), 1]), [B * (1 + K), D]);
    const input = scatterAdd(tables.input, 0, rowsIn, du);
    const output = scatterAdd(tables.output, 0, rowsOut, dv);
    return keep({ input, output });
  });
  tables.input.dispose();
  tables.output.dispose();
  return { tables: next, loss: lossValue };
}
