import { cpuBackend } from '@myelin/backend-cpu';
import { runConformance } from '../src/index.js';

// The reference backend runs the whole suite: PyTorch 1.13 golden fixtures, edge cases, operand
// layouts, finite differences and leak checks.
runConformance(() => cpuBackend());
