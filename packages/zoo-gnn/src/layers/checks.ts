import { fmtShape, type Tensor } from '@myelin/core';
import type { GraphLike } from './graph.js';

/** Throw unless `x` is 2-D float32 with one row per node (any width). */
export function checkRows(op: string, x: Tensor, g: GraphLike): void {
  if (x.dtype !== 'float32') throw new TypeError(`${op}: node features must be float32, got ${x.dtype}`);
  if (x.rank !== 2)
    throw new RangeError(`${op}: node features must be 2-D [numNodes, F], got ${fmtShape(x.shape)}`);
  if (x.shape[0] !== g.numNodes) {
    throw new RangeError(
      `${op}: node features have ${x.shape[0]} rows but the graph has ${g.numNodes} nodes (shape ${fmtShape(x.shape)})`,
    );
  }
}
