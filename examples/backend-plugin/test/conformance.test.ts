import { runConformance } from '@myelin/backend-testkit';
import { exampleBackend } from '../src/index.js';

// The whole suite every backend passes: PyTorch 1.13 golden fixtures, the generated edge cases
// (every accepted dtype, size-1 and empty dims), operand layouts, finite-difference gradients and
// leak checks — on this backend's own kernels and on the delegated ones alike.
runConformance(() => exampleBackend());
