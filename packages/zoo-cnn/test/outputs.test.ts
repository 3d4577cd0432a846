import { noGrad, scope, tensor } from '@myelin/core';
import { describe, expect, test } from 'vitest';
import { fixture, formula, formulaState } from './fixtures.js';
import { MODELS } from './models.js';

describe("blocks and 28×28 variants filled with torchvision's state dict give torchvision's outputs (eval mode)", () => {
  for (const [name, c] of Object.entries(fixture.outputs)) {
    test(`${name}: output ${JSON.stringify(c.output_shape)} within 1e-4 of PyTorch 1.13's`, async () => {
      const model = MODELS[name]!.build();
      const state = formulaState(fixture.models[name]!.state, c.tensors);
      model.loadStateDict(state);
      for (const t of Object.values(state)) t.dispose();
      model.eval();
      const size = c.input_shape.reduce((a, b) => a * b, 1);
      const x = tensor(formula(0, size, 1, 0), { shape: c.input_shape });
      const y = noGrad(() => scope(() => model.forward(x)));
      expect(y.shape).toEqual(c.output_shape);
      const got = await y.data();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - c.output[i]!));
      expect(worst).toBeLessThan(1e-4);
      y.dispose();
      x.dispose();
      model.dispose();
    });
  }
});
