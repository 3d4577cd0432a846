import { Module, Parameter, randn, scope, type Tensor, tensor, zeros } from '@myelin/core';

/** A two-layer perceptron with deterministic weights. */
export class TinyMlp extends Module {
  w1: Parameter;
  b1: Parameter;
  w2: Parameter;
  b2: Parameter;
  constructor(inputs: number, hidden: number, outputs: number, seed = 1) {
    super();
    // Parameters share storage with their initial values; the scope frees the initial tensors.
    [this.w1, this.b1, this.w2, this.b2] = scope(() => [
      new Parameter(randn([inputs, hidden], { seed, std: 0.5 })),
      new Parameter(zeros([hidden])),
      new Parameter(randn([hidden, outputs], { seed: seed + 1, std: 0.5 })),
      new Parameter(zeros([outputs])),
    ]);
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.w1).add(this.b1).tanh().matmul(this.w2).add(this.b2);
  }
}

/** Plain SGD written here so these tests do not depend on @myelin/optim. */
export class PlainSgd {
  constructor(
    readonly params: Parameter[],
    public lr: number,
  ) {}
  step(): void {
    scope(() => {
      for (const p of this.params) if (p.grad) p.assign(p.sub(p.grad.mul(this.lr)));
    });
  }
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
}

/** Softmax cross-entropy with integer targets, from core ops. */
export function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  return logits
    .logSoftmax(-1)
    .gather(1, target.reshape([-1, 1]))
    .mean()
    .neg();
}

/** XOR-like two-blob data: 4 clusters, label = xor of the signs. */
export function xorData(n: number, seed: number): { x: Tensor; y: Tensor } {
  const pts = randn([n, 2], { seed }).dataSync();
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = pts[2 * i]!;
    const b = pts[2 * i + 1]!;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = a > 0 !== b > 0 ? 1 : 0;
  }
  return { x: tensor(xs, { shape: [n, 2] }), y: tensor(ys) };
}

/** Batches as a re-iterable source; each batch is a fresh pair of tensors (fit disposes them). */
export function batches(
  data: { x: Tensor; y: Tensor },
  size: number,
): Iterable<[Tensor, Tensor]> & { length: number } {
  const n = data.x.shape[0]!;
  return {
    length: Math.ceil(n / size),
    *[Symbol.iterator]() {
      for (let s = 0; s < n; s += size) {
        const e = Math.min(n, s + size);
        yield [data.x.slice([s, e]), data.y.slice([s, e])] as [Tensor, Tensor];
      }
    },
  };
}
