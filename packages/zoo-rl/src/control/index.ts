import type { RecipeRegistry } from '@myelin/train';
import { a2cCartpole, dqnCartpole, ppoCartpole, ppoPendulum, reinforceCartpole } from './recipes.js';

export * from './canvas.js';
export * from './common.js';
export * from './dqn.js';
export * from './envs.js';
export * from './nets.js';
export * from './pg.js';
export * from './recipes.js';
export * from './vector.js';

/** The control half of @myelin/zoo-rl's recipes (merged into `recipes` by the package index). */
export const controlRecipes = {
  'dqn-cartpole': dqnCartpole,
  'reinforce-cartpole': reinforceCartpole,
  'a2c-cartpole': a2cCartpole,
  'ppo-cartpole': ppoCartpole,
  'ppo-pendulum': ppoPendulum,
} as const satisfies RecipeRegistry;
