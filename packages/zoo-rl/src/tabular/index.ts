import type { RecipeRegistry } from '@myelin/train';
import { alphazeroConnect4, alphazeroTictactoe } from './recipe-alphazero.js';
import {
  bandit10arm,
  qlearningCliffwalking,
  qlearningFrozenlake,
  sarsaCliffwalking,
} from './recipe-tabular.js';

export * from './agents.js';
export * from './alphazero.js';
export * from './bandits.js';
export * from './dp.js';
export * from './games.js';
export * from './players.js';
export { type AlphaZeroOptions, alphazeroConnect4, alphazeroTictactoe } from './recipe-alphazero.js';
export {
  type Bandit10ArmOptions,
  bandit10arm,
  type CliffOptions,
  type LakeOptions,
  qlearningCliffwalking,
  qlearningFrozenlake,
  sarsaCliffwalking,
  slope,
  successRate,
} from './recipe-tabular.js';
export * from './resnet.js';
export * from './toytext.js';

/** The tabular half of @myelin/zoo-rl's recipes (merged into `recipes` by the package index). */
export const tabularRecipes = {
  'bandit-10arm': bandit10arm,
  'qlearning-cliffwalking': qlearningCliffwalking,
  'sarsa-cliffwalking': sarsaCliffwalking,
  'qlearning-frozenlake': qlearningFrozenlake,
  'alphazero-tictactoe': alphazeroTictactoe,
  'alphazero-connect4': alphazeroConnect4,
} as const satisfies RecipeRegistry;
