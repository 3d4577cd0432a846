// The model every pack-install entry trains (ESM, CommonJS and the browser bundle pass in the modules
// they loaded their own way): a 2-16-2 MLP on 256 synthetic points, class 1 inside a circle of radius
// 0.6 in [-1, 1]², full-batch Adam. Returns the losses and the final training accuracy; throws when
// the loss does not fall. CommonJS so that every entry can load it (the browser bundle included, so
// nothing from Node here).
'use strict';

const POINTS = 256;
const STEPS = 60;

/** Points from a 32-bit LCG (Numerical Recipes' constants), labels from the circle. */
function circleData() {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const xs = new Float32Array(POINTS * 2);
  const ys = new Int32Array(POINTS);
  for (let i = 0; i < POINTS; i++) {
    const a = next();
    const b = next();
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = a * a + b * b < 0.36 ? 1 : 0;
  }
  return { xs, ys };
}

/**
 * @param {{ core: any, nn: any, optim: any, backend: string }} lib
 * @returns {Promise<{ backend: string, first: number, last: number, accuracy: number, steps: number }>}
 */
async function trainMlp({ core, nn, optim, backend }) {
  await core.use(backend);
  core.manualSeed(7);
  const { xs, ys } = circleData();
  const x = core.tensor(xs, { shape: [POINTS, 2] });
  const y = core.tensor(ys, { dtype: 'int32', shape: [POINTS] });
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2));
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  const losses = [];
  for (let step = 0; step < STEPS; step++) {
    const loss = await core.scope(async () => {
      const l = nn.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return (await l.data())[0];
    });
    losses.push(loss);
  }
  const accuracy = await core.scope(async () => {
    const predicted = await core.noGrad(() => model.forward(x).argmax(1)).data();
    let right = 0;
    for (let i = 0; i < POINTS; i++) if (predicted[i] === ys[i]) right++;
    return right / POINTS;
  });
  const first = losses[0];
  const last = losses[losses.length - 1];
  if (!(last < 0.5 * first) || !(accuracy >= 0.9))
    throw new Error(
      `trainMlp on ${backend}: the loss did not fall enough (first ${first}, last ${last}, expected last < first / 2) ` +
        `or the accuracy ${accuracy} is below 0.9`,
    );
  return { backend, first, last, accuracy, steps: STEPS };
}

module.exports = { trainMlp };
