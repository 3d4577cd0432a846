import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/browser.ts'],
  // ESM only: vitest 4 cannot be require()d, so a CommonJS build of a suite that registers tests
  // could never run.
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['vitest', '@myelin/core', 'esbuild', 'playwright-core'],
});
