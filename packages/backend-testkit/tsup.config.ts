import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // `import.meta.url` locates fixtures/ next to dist/ in the CommonJS build too.
  shims: true,
  external: ['vitest', '@myelin/core'],
});
