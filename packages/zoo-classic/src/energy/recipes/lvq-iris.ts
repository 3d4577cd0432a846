import { Generator, tensor } from '@myelin/core';
import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { LVQ } from '../lvq.js';
import { yieldTurn } from '../rbm.js';
import { curveSpec, type EnergyRecipeData, loadTable } from './data.js';
import { standardise, stratifiedFolds } from './iris.js';

const options = [
  { name: 'perClass', type: 'integer', default: 2, min: 1, help: 'prototypes per species' },
  { name: 'epochs', type: 'integer', default: 30, min: 1, help: 'passes over the training folds' },
  { name: 'lr', type: 'number', default: 0.1, min: 1e-6, max: 1, help: 'initial α (decays linearly to 0)' },
  { name: 'folds', type: 'integer', default: 5, min: 2, max: 50, help: 'stratified cross-validation folds' },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the initial prototypes and the order' },
] as const;

export type LvqIrisOptions = OptionValues<typeof options> & EnergyRecipeData;

/**
 * `lvq-iris`: LVQ1 on the standardised iris measurements, 2 prototypes per species initialised at
 * random flowers of that species, 30 epochs with α decaying linearly from 0.1; the test accuracy by
 * stratified 5-fold cross-validation (`cv accuracy`, and per fold).
 */
export const lvqIris: Recipe<LvqIrisOptions> = defineRecipe({
  name: 'lvq-iris',
  title: 'Learning vector quantisation (LVQ1) on iris',
  description:
    "LVQ1 with 2 prototypes per species on sklearn's iris (standardised), 30 epochs, α 0.1 → 0; " +
    'accuracy by stratified 5-fold cross-validation.',
  family: 'energy',
  options,
  run: (o: LvqIrisOptions) =>
    recipeStream(async (ctx) => {
      const iris = await loadTable('lvq-iris', o, 'iris');
      ctx.throwIfStopped();
      const features = standardise(iris);
      const folds = stratifiedFolds(iris.labels, o.folds);
      const gen = new Generator(o.seed);
      const accs: number[] = [];
      const curve: { epoch: number; series: string; value: number }[] = [];
      for (let f = 0; f < o.folds; f++) {
        const pick = (test: boolean) => {
          const rows = [...folds.keys()].filter((i) => (folds[i] === f) === test);
          const x = new Float32Array(rows.length * iris.dims);
          for (const [j, r] of rows.entries())
            x.set(features.subarray(r * iris.dims, (r + 1) * iris.dims), j * iris.dims);
          return { x: tensor(x, { shape: [rows.length, iris.dims] }), y: rows.map((r) => iris.labels[r]!) };
        };
        const train = pick(false);
        const test = pick(true);
        const lvq = new LVQ({ dims: iris.dims, classes: iris.classNames.length, perClass: o.perClass });
        try {
          lvq.initFromSamples(train.x, train.y, { seed: gen.fork() });
          for (let e = 0; e < o.epochs; e++) {
            ctx.throwIfStopped();
            lvq.epoch(train.x, train.y, { lr: o.lr * (1 - e / o.epochs), seed: gen.fork() });
            if (f === 0) {
              const p = lvq.predict(test.x);
              curve.push({
                epoch: e + 1,
                series: 'fold 1 test accuracy',
                value: p.reduce((s, c, i) => s + (c === test.y[i] ? 1 : 0), 0) / p.length,
              });
            }
            await yieldTurn();
          }
          const pred = lvq.predict(test.x);
          const acc = pred.reduce((s, c, i) => s + (c === test.y[i] ? 1 : 0), 0) / pred.length;
          accs.push(acc);
          ctx.emit({ type: 'metric', name: `fold ${f + 1} accuracy`, value: acc });
        } finally {
          lvq.dispose();
          train.x.dispose();
          test.x.dispose();
        }
      }
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'accuracy per epoch',
        spec: curveSpec('lvq-iris: held-out accuracy per epoch (fold 1)', 'accuracy', curve),
      });
      ctx.emit({ type: 'metric', name: 'cv accuracy', value: accs.reduce((s, a) => s + a, 0) / accs.length });
    }),
});
