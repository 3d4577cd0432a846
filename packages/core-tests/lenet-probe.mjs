import { use, randn, scope, Parameter, conv2d, maxPool2d, matmul, randint, zeros } from '@myelin/core';
import { cpuBackend } from '@myelin/backend-cpu';
await use(cpuBackend());
const P = (s, std) => new Parameter(randn(s, { seed: s.length * 7 + s[0], std }));
const w1 = P([6,1,5,5], 0.2), b1 = new Parameter(zeros([6])), w2 = P([16,6,5,5], 0.08), b2 = new Parameter(zeros([16]));
const f1 = P([400,120], 0.05), f2 = P([120,84], 0.09), f3 = P([84,10], 0.1);
const params = [w1,b1,w2,b2,f1,f2,f3];
const B = 128;
const x = randn([B,1,28,28], { seed: 1 }); const y = randint(0, 10, [B], { seed: 2 });
const step = () => scope(() => {
  let h = maxPool2d(conv2d(x, w1, { bias: b1, padding: 2 }).relu(), 2);
  h = maxPool2d(conv2d(h, w2, { bias: b2 }).relu(), 2).reshape([B, 400]);
  const logits = h.matmul(f1).relu().matmul(f2).relu().matmul(f3);
  const loss = logits.logSoftmax(-1).gather(1, y.reshape([-1,1])).mean().neg();
  loss.backward();
  for (const p of params) { p.assign(p.sub(p.grad.mul(0.01))); p.grad.dispose(); p.grad = null; }
  return loss.item();
});
for (let i = 0; i < 3; i++) step();
const t0 = performance.now(); const N = 10;
for (let i = 0; i < N; i++) step();
const dt = (performance.now() - t0) / N;
console.log(`LeNet-5 step (batch ${B}): ${dt.toFixed(1)} ms → ${(B / dt * 1000).toFixed(0)} samples/s; epoch of 60k ≈ ${(60000 / B * dt / 1000).toFixed(0)} s`);
