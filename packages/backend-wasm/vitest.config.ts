import { defineConfig } from 'vitest/config';

// Node 20 runs relaxed-SIMD modules only behind a flag (Node 22 and Chromium have them on): pass
// it to the test workers so that the relaxed build of the kernels is tested here too.
export default defineConfig({
  test: {
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
