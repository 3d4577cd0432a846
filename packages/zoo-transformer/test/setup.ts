import { cpuBackend } from '@myelin/backend-cpu';
import { use } from '@myelin/core';

await use(cpuBackend());
