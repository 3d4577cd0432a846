import type { Module } from '@myelin/core';
import { summary } from '@myelin/nn';
import { describe, expect, test } from 'vitest';
import { seResnetSmall } from '../src/index.js';
import { fixture } from './fixtures.js';
import { ALL, MODELS } from './models.js';

/** The "Total params" line of summary(), as a number. */
function summaryTotal(model: Module, input: number[]): number {
  const text = summary(model, input, { print: false });
  const m = /Total params: ([\d,]+)/.exec(text);
  if (!m) throw new Error(`no total in summary:\n${text}`);
  return Number(m[1]!.replaceAll(',', ''));
}

describe(`state-dict keys, shapes and summary() counts equal torchvision ${fixture.torchvision}'s`, () => {
  test('every model of the fixture has a builder here', () => {
    expect(Object.keys(MODELS).sort()).toEqual(Object.keys(fixture.models).sort());
  });

  for (const [name, spec] of Object.entries(MODELS)) {
    const want = fixture.models[name]!;
    test.skipIf(spec.heavy && !ALL)(
      `${name}: ${want.params.toLocaleString('en-US')} parameters`,
      () => {
        const model = spec.build();
        try {
          const got = Object.entries(model.stateDict()).map(([k, v]) => [k, [...v.shape]]);
          // Same keys in the same (state_dict) order, each with torchvision's shape.
          expect(got).toEqual(want.state);
          expect(summaryTotal(model, spec.input)).toBe(want.params);
        } finally {
          model.dispose();
        }
      },
      120_000,
    );
  }
});

test('se_resnet_small adds exactly the SE gates to resnet_small (closed form: 2·C·C/r + C/r + C per block)', () => {
  // No torchvision model matches, so the count is resnet_small's (checked above against torchvision)
  // plus each block's SqueezeExcitation(C, ⌊C/16⌋): fc1 weight and bias, fc2 weight and bias.
  const se = (c: number) => 2 * c * Math.floor(c / 16) + Math.floor(c / 16) + c;
  const want = fixture.models.resnet_small!.params + 2 * (se(32) + se(64) + se(128));
  const m = seResnetSmall();
  try {
    expect(summaryTotal(m, [1, 1, 28, 28])).toBe(want);
    expect(Object.keys(m.stateDict())).toContain('layer3.1.se.fc2.weight');
  } finally {
    m.dispose();
  }
});
