/**
 * @myelin/backend-testkit: the conformance suite every Myelin backend runs inside vitest, against
 * golden fixtures generated from PyTorch 1.13 by `tools/gen_fixtures.py`.
 *
 * @example
 * import { runConformance } from '@myelin/backend-testkit';
 * import { cpuBackend } from '@myelin/backend-cpu';
 * runConformance(() => cpuBackend());
 */
export {
  assertTensorClose,
  closeEnough,
  compareTensor,
  DEFAULT_TOLERANCE,
  type Observed,
  unravel,
} from './compare.js';
export {
  type ConformanceOptions,
  checkCase,
  checkFiniteDifferences,
  type OperandLayout,
  runConformance,
} from './conformance.js';
export {
  type ArgValue,
  decodeTensor,
  type FixtureCase,
  type FixtureFile,
  type FixtureTensor,
  fixturesDir,
  loadFixtures,
  parseFixtureFile,
  type RawFixtureTensor,
  type Tolerance,
} from './fixtures.js';
export {
  encodeFixtureFile,
  GENERATED_FAMILY,
  generatedCases,
  generatedFixtures,
} from './generated.js';
export { FD_REL_STEP, type FdPoint, fdObjective, fdSteps, fdVerdict } from './gradcheck.js';
export { OPS, type OpArgs, type OpFn } from './ops-table.js';
export { REFERENCE, type Ref, type RefOp } from './reference.js';
