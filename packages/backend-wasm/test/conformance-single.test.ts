import { runConformance } from '@myelin/backend-testkit';
import { wasmBackend } from '../src/index.js';

// The same suite on one thread: the module without shared memory, as in a browser page that is
// not cross-origin isolated.
runConformance(() => wasmBackend({ threads: 1 }));
