import { defineConfig } from 'vitest/config';

// Building a full-size model draws millions of initial weights on the host (ResNet-18: 11.7 M), which
// takes seconds on a loaded 2-core machine; the timeout guards against hangs, not for speed.
export default defineConfig({ test: { setupFiles: ['./test/setup.ts'], testTimeout: 120_000 } });
