/**
 * Fit y = 3·x₁ − 2·x₂ + 0.5 + noise with gradient descent, the gradient from `valueAndGrad`.
 * Run: `pnpm demo` (prints the loss falling and the recovered coefficients).
 */

import { cpuBackend } from '@myelin/backend-cpu';
import { memory, randn, scope, type Tensor, tensor, use, Variable, valueAndGrad, zeros } from '@myelin/core';

await use(cpuBackend());

const n = 256;
const x = randn([n, 2], { seed: 1 });
const trueW = tensor([[3], [-2]]);
const y = x
  .matmul(trueW)
  .add(0.5)
  .add(randn([n, 1], { seed: 2, std: 0.1 }));

const w = new Variable(zeros([2, 1]));
const b = new Variable(zeros([1]));
const lr = 0.1;

const loss = (wv: Tensor, bv: Tensor) => x.matmul(wv).add(bv).sub(y).square().mean();
const step = valueAndGrad(loss, [0, 1]);

const start = memory().tensors;
for (let epoch = 0; epoch <= 60; epoch++) {
  const l = scope(() => {
    const [value, grads] = step(w, b) as [Tensor, Tensor[]];
    w.assign(w.sub(grads[0]!.mul(lr)));
    b.assign(b.sub(grads[1]!.mul(lr)));
    return value.item();
  });
  if (epoch % 10 === 0) console.log(`epoch ${String(epoch).padStart(2)}  loss ${l.toFixed(5)}`);
}
const [w1, w2] = w.dataSync();
console.log(
  `fitted: y = ${w1!.toFixed(3)}·x₁ ${w2! < 0 ? '−' : '+'} ${Math.abs(w2!).toFixed(3)}·x₂ + ${b.item().toFixed(3)}  (true: 3, −2, 0.5)`,
);
console.log(`tensors alive: ${memory().tensors} (before the loop: ${start})`);
