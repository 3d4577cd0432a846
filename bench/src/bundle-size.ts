/**
 * What Myelin costs a web page: esbuild-minified, then gzip-compressed (level 9) bundles of
 *
 * - `@myelin/core` alone (every export kept: `export * from '@myelin/core'`),
 * - core + `@myelin/backend-wasm` (the kernels' .wasm is inlined in the JavaScript),
 * - core + `@myelin/backend-cpu`,
 * - and the smallest app that trains on wasm (`use('wasm')`, `tensor`, `grad`: tree-shaken).
 *
 * Bundled from the built `dist/` of the workspace packages, as an app would from the registry
 * (`pnpm bench` builds them first). Printed by `pnpm bench` as its own section, before the kernels.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The part of esbuild's API used here. */
interface Esbuild {
  version: string;
  build(options: Record<string, unknown>): Promise<{ outputFiles: { contents: Uint8Array }[] }>;
}

/**
 * esbuild as tsup (a root devDependency) resolves it: bench has no esbuild dependency of its own
 * (adding `"esbuild": "0.25.12"` to bench's devDependencies would let this be a plain import).
 */
function loadEsbuild(): Esbuild {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('tsup'))('esbuild') as Esbuild;
}

export interface BundleSize {
  bundle: string;
  minifiedBytes: number;
  gzipBytes: number;
}

const BUNDLES: { bundle: string; source: string }[] = [
  { bundle: 'core', source: "export * from '@myelin/core';" },
  {
    bundle: 'core + backend-wasm',
    source: "export * from '@myelin/core';\nexport * from '@myelin/backend-wasm';",
  },
  {
    bundle: 'core + backend-cpu',
    source: "export * from '@myelin/core';\nexport * from '@myelin/backend-cpu';",
  },
  {
    bundle: 'smallest wasm app (use, tensor, grad)',
    source:
      "import { grad, tensor, use } from '@myelin/core';\nimport '@myelin/backend-wasm';\n" +
      "await use('wasm');\nconsole.log(await grad((w) => w.square().sum())(tensor([1, 2])).data());",
  },
];

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Bundle, minify and gzip each case; print a table; return the sizes. */
export async function printBundleSizes(): Promise<BundleSize[]> {
  const esbuild = loadEsbuild();
  const resolveDir = dirname(fileURLToPath(import.meta.url));
  console.log(`\nbundle size (esbuild ${esbuild.version}, minified, browser, ES2022; gzip level 9):`);
  console.log(`${'bundle'.padEnd(40)}${'minified'.padStart(12)}${'gzip'.padStart(12)}`);
  const out: BundleSize[] = [];
  for (const { bundle, source } of BUNDLES) {
    const result = await esbuild.build({
      stdin: { contents: source, resolveDir, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const size = {
      bundle,
      minifiedBytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    };
    out.push(size);
    console.log(
      `${bundle.padEnd(40)}${kib(size.minifiedBytes).padStart(12)}${kib(size.gzipBytes).padStart(12)}`,
    );
  }
  return out;
}
