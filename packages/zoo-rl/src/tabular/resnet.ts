import { Module, type Tensor, tensor } from '@myelin/core';
import { BatchNorm2d, Conv2d, Linear } from '@myelin/nn';

/**
 * AlphaZero's residual policy–value network (Silver et al. 2017, "Mastering the game of Go without
 * human knowledge", Methods: a convolutional stem, residual blocks of two 3×3 convolutions with
 * batch norm and ReLU, a policy head and a value head), at the width and depth of a board game
 * small enough for two CPU cores.
 */

/**
 * Board planes for a batch of canonical two-plane boards (`[mover's stones, opponent's stones]`,
 * `rows·cols` each): the two planes plus a third, all ones when the mover is the player who moved
 * first (equal stone counts) and all zeros otherwise. Returns `n·3·rows·cols` values, `[n, 3, rows, cols]`.
 */
export function boardPlanes(boards: Float32Array, n: number, rows: number, cols: number): Float32Array {
  const cells = rows * cols;
  if (!Number.isInteger(n) || n < 0 || boards.length !== n * 2 * cells)
    throw new RangeError(
      `boardPlanes: expected ${n} boards of 2×${rows}×${cols} (${n * 2 * cells} values), got ${boards.length} values`,
    );
  const out = new Float32Array(n * 3 * cells);
  for (let i = 0; i < n; i++) {
    const src = boards.subarray(i * 2 * cells, (i + 1) * 2 * cells);
    out.set(src, i * 3 * cells);
    let mine = 0;
    let theirs = 0;
    for (let k = 0; k < cells; k++) {
      mine += src[k]!;
      theirs += src[cells + k]!;
    }
    if (mine === theirs) out.fill(1, i * 3 * cells + 2 * cells, (i + 1) * 3 * cells);
  }
  return out;
}

/** conv 3×3 → BN → ReLU → conv 3×3 → BN, plus the input, → ReLU. */
export class ResidualBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  constructor(channels: number, seed: number) {
    super();
    this.conv1 = new Conv2d(channels, channels, 3, { padding: 1, bias: false, seed });
    this.bn1 = new BatchNorm2d(channels);
    this.conv2 = new Conv2d(channels, channels, 3, { padding: 1, bias: false, seed: seed + 1 });
    this.bn2 = new BatchNorm2d(channels);
  }
  forward(x: Tensor): Tensor {
    const h = this.bn1.forward(this.conv1.forward(x)).relu();
    return this.bn2.forward(this.conv2.forward(h)).add(x).relu();
  }
}

export interface ResidualNetOptions {
  /** Channels of the stem and the blocks (default 32). */
  channels?: number;
  /** Residual blocks (default 2). */
  blocks?: number;
  /** Width of the value head's hidden layer (default 64). */
  valueHidden?: number;
  seed?: number;
}

/**
 * The residual policy–value network on a `rows × cols` board with `actions` moves. `forward`
 * takes canonical two-plane boards flattened, `[B, 2·rows·cols]` (the replay's and the search's
 * format), adds the side-to-move plane and returns policy logits `[B, actions]` and values `[B]`.
 */
export class ResidualPolicyValueNet extends Module {
  readonly inputs: number;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly blocks: ResidualBlock[];
  readonly policyConv: Conv2d;
  readonly policyBn: BatchNorm2d;
  readonly policyFc: Linear;
  readonly valueConv: Conv2d;
  readonly valueBn: BatchNorm2d;
  readonly valueFc1: Linear;
  readonly valueFc2: Linear;

  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly actions: number,
    options: ResidualNetOptions = {},
  ) {
    super();
    const channels = options.channels ?? 32;
    const blocks = options.blocks ?? 2;
    const hidden = options.valueHidden ?? 64;
    const seed = (options.seed ?? 0) * 100;
    for (const [name, v, min] of [
      ['rows', rows, 1],
      ['cols', cols, 1],
      ['actions', actions, 1],
      ['channels', channels, 1],
      ['blocks', blocks, 0],
      ['valueHidden', hidden, 1],
    ] as const)
      if (!Number.isInteger(v) || v < min)
        throw new RangeError(`ResidualPolicyValueNet: ${name} must be an integer ≥ ${min}, got ${v}`);
    const cells = rows * cols;
    this.inputs = 2 * cells;
    this.stem = new Conv2d(3, channels, 3, { padding: 1, bias: false, seed });
    this.stemBn = new BatchNorm2d(channels);
    this.blocks = Array.from({ length: blocks }, (_, i) => new ResidualBlock(channels, seed + 2 + 2 * i));
    this.policyConv = new Conv2d(channels, 2, 1, { bias: false, seed: seed + 60 });
    this.policyBn = new BatchNorm2d(2);
    this.policyFc = new Linear(2 * cells, actions, { seed: seed + 61 });
    this.valueConv = new Conv2d(channels, 1, 1, { bias: false, seed: seed + 70 });
    this.valueBn = new BatchNorm2d(1);
    this.valueFc1 = new Linear(cells, hidden, { seed: seed + 71 });
    this.valueFc2 = new Linear(hidden, 1, { seed: seed + 72 });
  }

  forward(x: Tensor): { logits: Tensor; value: Tensor } {
    if (x.rank !== 2 || x.shape[1] !== this.inputs)
      throw new RangeError(
        `ResidualPolicyValueNet: expected boards of shape [B, ${this.inputs}], got [${x.shape.join(', ')}]`,
      );
    const n = x.shape[0]!;
    const planes = tensor(boardPlanes(x.dataSync() as Float32Array, n, this.rows, this.cols), {
      shape: [n, 3, this.rows, this.cols],
    });
    let h = this.stemBn.forward(this.stem.forward(planes)).relu();
    for (const b of this.blocks) h = b.forward(h);
    const p = this.policyBn.forward(this.policyConv.forward(h)).relu().reshape([n, -1]);
    const v = this.valueBn.forward(this.valueConv.forward(h)).relu().reshape([n, -1]);
    return {
      logits: this.policyFc.forward(p),
      value: this.valueFc2.forward(this.valueFc1.forward(v).relu()).tanh().reshape([-1]),
    };
  }
}
