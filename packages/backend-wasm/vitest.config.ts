import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// Node 20 runs relaxed-SIMD modules only behind a V8 flag (Node 22 and Chromium have them on):
// pass it to the test workers, where this Node accepts it, so that the relaxed build of the
// kernels is tested here too (the tests check that it is really taken).
const FLAG = '--experimental-wasm-relaxed-simd';
const accepted = spawnSync(process.execPath, [FLAG, '-e', '0']).status === 0;

export default defineConfig({
  test: {
    execArgv: accepted ? [FLAG] : [],
    // Threaded kernel tests take 2–3 s alone on a loaded machine; CI runs packages side by side.
    testTimeout: 30_000,
  },
});
