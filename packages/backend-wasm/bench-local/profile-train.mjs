// Per-kernel time of the bench's MLP training loop: node bench-local/profile-train.mjs [threads]
import { build } from 'esbuild';

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
const { loadMyelinWasm } = await import(out);
const lib = await loadMyelinWasm(Number(process.argv[2] ?? 2));
const core = await import('@myelin/core');
const backend = core.getBackend();
const stats = new Map();
for (const [name, fn] of Object.entries(backend.kernels)) {
  backend.kernels[name] = (args) => {
    const t = performance.now();
    const r = fn(args);
    const key =
      name === 'MatMul'
        ? `MatMul ${args.inputs[0].shape}${args.attrs.transposeA ? 'T' : ''}·${args.inputs[1].shape}${args.attrs.transposeB ? 'T' : ''}`
        : name;
    const s = stats.get(key) ?? { ms: 0, calls: 0 };
    s.ms += performance.now() - t;
    s.calls++;
    stats.set(key, s);
    return r;
  };
}
const samples = 1280;
const images = new Float32Array(samples * 784).map(() => Math.random());
const labels = Int32Array.from({ length: samples }, (_, i) => i % 10);
const run = lib[process.argv[3] ?? 'mlpTraining']({ samples, batch: 128 }, { images, labels });
await run.run();
stats.clear();
const t0 = performance.now();
for (let i = 0; i < 5; i++) await run.run();
const total = performance.now() - t0;
const kernelMs = [...stats.values()].reduce((a, s) => a + s.ms, 0);
console.log(
  `total ${(total / 5).toFixed(1)} ms per ${samples} samples (${(((samples * 5) / total) * 1000).toFixed(0)} samples/s); kernels ${(kernelMs / 5).toFixed(1)} ms`,
);
for (const [name, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
  console.log(
    `  ${name.padEnd(22)} ${(s.ms / 5).toFixed(2).padStart(7)} ms  ${(s.calls / 5).toFixed(0).padStart(5)} calls`,
  );
}
process.exit(0);
