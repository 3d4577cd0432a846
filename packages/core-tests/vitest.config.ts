import { defineConfig } from 'vitest/config';

// --expose-gc lets the debug test prove the FinalizationRegistry safety net.
export default defineConfig({
  test: { setupFiles: ['./test/setup.ts'], execArgv: ['--expose-gc'], testTimeout: 30_000 },
});
