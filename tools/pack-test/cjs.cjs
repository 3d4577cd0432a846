// From CommonJS: requires every entry point of the installed tarballs that has a `require`
// condition (the testkit is ESM only, like vitest), then trains the MLP on wasm and cpu.
'use strict';
const core = require('@myelin/core');
require('@myelin/backend-cpu');
require('@myelin/backend-wasm');
const nn = require('@myelin/nn');
const optim = require('@myelin/optim');
const { loadEntryPoints } = require('./entry-points.cjs');
const { trainMlp } = require('./mlp.cjs');

(async () => {
  const { loaded, skipped } = await loadEntryPoints(process.cwd(), 'require', (spec) => require(spec));
  console.log(`cjs required ${loaded.length} entry points: ${loaded.join(', ')}`);
  if (skipped.length > 0) console.log(`cjs skipped ${skipped.join(', ')}`);
  for (const backend of ['wasm', 'cpu']) {
    const r = await trainMlp({ core, nn, optim, backend });
    console.log(`cjs ${JSON.stringify(r)}`);
  }
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
