import { defineConfig } from 'tsup';

/**
 * The build every library package shares (ESM + CJS with declarations and source maps, ES2022);
 * a package's `tsup.config.ts` is `export default libraryConfig()`.
 */
export function libraryConfig(entry: string[] = ['src/index.ts']) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
  });
}
