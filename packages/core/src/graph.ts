import type { GradFn } from './autograd.js';
import type { Tensor } from './tensor.js';

/*
 * The recorded graph's nodes and their liveness. A leaf module (tensors are only a type here), so
 * tensor.ts can hold its node and autograd.ts walk them without the two importing each other.
 */

/**
 * Bumped whenever a leaf stops requiring grad (a functional target after its forward pass), which
 * can make recorded nodes dead: nodes cache their liveness per epoch.
 */
let livenessEpoch = 0;
/** @internal */
export function invalidateLiveness(): void {
  livenessEpoch++;
}

export class Node {
  private refs = 0;
  /**
   * Set when an imperative `backward()` without `retainGraph` has run this node's rule: the graph
   * is spent, and backpropagating through it again is an error (PyTorch frees its buffers then).
   */
  consumed = false;
  private liveEpoch = -1;
  private liveValue = false;
  constructor(
    readonly name: string,
    readonly grad: GradFn<unknown>,
    /** Aliases of the inputs; each carries the input's own link into the graph. */
    readonly inputs: Tensor[],
    /** Aliases of the outputs, owned by this node (they do not hold it alive). */
    readonly outputs: Tensor[],
    readonly attrs: unknown,
    readonly needs: boolean[],
  ) {}

  retain(): void {
    this.refs++;
  }

  /**
   * Whether some input path still reaches a leaf that requires grad. Ops on a dead node's outputs
   * are not recorded (e.g. the backward pass of a finished functional grad). Iterative, memoised
   * per liveness epoch.
   */
  isLive(): boolean {
    if (this.liveEpoch === livenessEpoch) return this.liveValue;
    const stack: Node[] = [this];
    while (stack.length) {
      const n = stack[stack.length - 1]!;
      if (n.liveEpoch === livenessEpoch) {
        stack.pop();
        continue;
      }
      let live = false;
      for (let i = 0; i < n.inputs.length && !live; i++) {
        if (!n.needs[i]) continue;
        const inp = n.inputs[i]!;
        const m = inp.node;
        if (!m) live = inp.leaf?.active === true;
        else if (m.liveEpoch === livenessEpoch) live = m.liveValue;
      }
      let pushed = false;
      if (!live) {
        for (let i = 0; i < n.inputs.length; i++) {
          const m = n.inputs[i]!.node;
          if (n.needs[i] && m && m.liveEpoch !== livenessEpoch) {
            stack.push(m);
            pushed = true;
          }
        }
      }
      if (live || !pushed) {
        n.liveEpoch = livenessEpoch;
        n.liveValue = live;
        stack.pop();
      }
    }
    return this.liveValue;
  }

  release(): void {
    if (--this.refs > 0) return;
    for (const t of this.inputs) t.dispose();
    for (const t of this.outputs) t.dispose();
  }
}
