// Runs bench/src/libs/myelin-wasm.ts's suite before the bench package depends on the wasm
// packages: bundles it here so its imports resolve from this package's node_modules (the
// TF.js packages are devDependencies of this package) and from this package itself.
//   node bench-local/run-suite.mjs [--threads=2] [--filter=matmul] [--min-time=500]
import { build } from 'esbuild';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const out = new URL('./.out/suite.mjs', import.meta.url).pathname;
await build({
  entryPoints: [new URL('../../../bench/src/libs/myelin-wasm.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: out,
  logLevel: 'warning',
});
const { runWasmBench } = await import(out);
const results = await runWasmBench({
  threads: Number(arg('threads', 2)),
  filter: arg('filter', ''),
  minTimeMs: Number(arg('min-time', 500)),
});
console.log(JSON.stringify(results));
process.exit(0);
