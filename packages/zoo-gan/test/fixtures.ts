import { readFileSync } from 'node:fs';

/** Golden values from tools/gen_zoo_gan_fixtures.py (PyTorch 1.13, numpy, scipy). */
export interface GanFixtures {
  frechet: {
    n1: number;
    n2: number;
    d: number;
    a: number[];
    b: number[];
    distance: number;
    self: number;
    meanA: number[];
    covA: number[];
    method: string;
  }[];
  penalty: {
    width: number;
    weights: Record<string, { shape: number[]; data: number[] }>;
    real: number[];
    fake: number[];
    epsilon: number[];
    norms: number[];
    penalty: number;
    grads: Record<string, number[]>;
  };
  losses: { real: number[]; fake: number[]; discriminator: number; minimax: number; nonSaturating: number };
}

export const fixtures: GanFixtures = JSON.parse(
  readFileSync(new URL('../fixtures/gan.json', import.meta.url), 'utf8'),
) as GanFixtures;

/** Largest |a − b| / (|b| + floor). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return worst;
}
