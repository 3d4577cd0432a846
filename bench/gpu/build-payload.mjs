#!/usr/bin/env node
/*
 * Builds `.gpu/` at the repo root: what the webgpu bench, a probe of where GPU time goes, and the
 * testkit's fixture cases need to run on a GPU machine that has no npm (the `device` tool's
 * machines: nothing can be fetched there). Run after `pnpm turbo run build --filter=@myelin/bench...`:
 *
 *     node bench/gpu/build-payload.mjs
 *
 * It writes one ESM bundle per package the suites import by name into `.gpu/node_modules` (TF.js
 * core with every gradient, its WebGPU backend and layers, Myelin core and its WebGPU backend),
 * the `webgpu` package's loader, gzipped copies of its Dawn binary and of this Node, and the three
 * entry points (suite.mjs, probe.mjs, conformance.mjs). `.gpu/` and `.gl/` are git-ignored. On the
 * GPU machine (Vulkan through NVIDIA's driver; bench/README.md has the whole command):
 *
 *     gunzip -c .gpu/node.gz > /tmp/node && chmod +x /tmp/node
 *     gunzip -c .gpu/dawn.node.gz > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node
 *     cd .gpu && MYELIN_DAWN=vulkan /tmp/node suite.mjs
 */
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const bench = join(here, '..');
const root = join(bench, '..');
const out = join(root, '.gpu');
const modules = join(out, 'node_modules');
const require = createRequire(join(root, 'packages/backend-wasm/package.json'));
const { build } = await import(require.resolve('esbuild'));

// ESM bundles of CommonJS code still call require() for Node's built-ins.
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};
/** tfjs-layers imports this side-effect module of tfjs-core; the core bundle already runs it. */
const emptyGradients = {
  name: 'empty-gradients',
  setup(b) {
    b.onResolve({ filter: /register_all_gradients$/ }, () => ({ path: 'gradients', namespace: 'empty' }));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '' }));
  },
};
/** The testkit imports vitest's registration functions; the conformance entry never calls them. */
const noVitest = {
  name: 'no-vitest',
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: 'vitest', namespace: 'no-vitest' }));
    b.onLoad({ filter: /.*/, namespace: 'no-vitest' }, () => ({
      contents:
        'const no = () => {}; export const describe = no; export const it = Object.assign(no, { skip: no }); export const beforeAll = no; export const afterAll = no; export const expect = no;',
    }));
  },
};

rmSync(out, { recursive: true, force: true });
const packages = [
  ['@tensorflow/tfjs-core', [], "import '@tensorflow/tfjs-core/dist/register_all_gradients';"],
  ['@tensorflow/tfjs-backend-webgpu', ['@tensorflow/tfjs-core'], ''],
  ['@tensorflow/tfjs-layers', ['@tensorflow/tfjs-core'], ''],
  ['@myelin/core', [], ''],
  ['@myelin/backend-webgpu', ['@myelin/core', 'webgpu'], ''],
];
for (const [name, external, extra] of packages) {
  const dir = join(modules, name);
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents: `export * from '${name}';${extra}`, resolveDir: bench },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(dir, 'index.mjs'),
    external,
    mainFields: ['module', 'main'],
    banner,
    plugins: name === '@tensorflow/tfjs-layers' ? [emptyGradients] : [],
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.mjs' }));
}

const entries = [
  ['suite', []],
  ['probe', []],
  ['conformance', [noVitest]],
];
for (const [name, plugins] of entries) {
  await build({
    entryPoints: [join(here, `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(out, `${name}.mjs`),
    external: ['@myelin/core', '@myelin/backend-webgpu', 'webgpu', '@tensorflow/*'],
    alias: { '@myelin/backend-testkit': join(root, 'packages/backend-testkit/src/index.ts') },
    banner,
    plugins,
    logLevel: 'warning',
  });
}

const webgpu = dirname(createRequire(join(root, 'packages/backend-webgpu/package.json')).resolve('webgpu'));
mkdirSync(join(modules, 'webgpu/dist/linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json']) copyFileSync(join(webgpu, f), join(modules, 'webgpu', f));
const gzip = (from, to) => pipeline(createReadStream(from), createGzip({ level: 9 }), createWriteStream(to));
await gzip(join(webgpu, 'dist/linux-x64/dawn.node'), join(out, 'dawn.node.gz'));
await gzip(process.execPath, join(out, 'node.gz'));
console.log(`wrote ${out}`);
