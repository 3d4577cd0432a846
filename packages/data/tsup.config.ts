import { defineConfig } from 'tsup';

// Two entries: `@myelin/data` runs anywhere (no Node built-ins); `@myelin/data/node` adds the fs/zlib
// readers and the data-set loaders. `shims` gives the CJS build of the node entry `import.meta.url`;
// `splitting` (for CJS too) shares one copy of the common code, so classes keep one identity.
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  shims: true,
  splitting: true,
});
