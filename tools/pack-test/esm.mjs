// From ES modules: imports every entry point of the installed tarballs, then trains the MLP on the
// wasm and cpu backends.
import * as core from '@myelin/core';
import '@myelin/backend-cpu';
import '@myelin/backend-wasm';
import * as nn from '@myelin/nn';
import * as optim from '@myelin/optim';
import entries from './entry-points.cjs';
import mlp from './mlp.cjs';

const { loaded, skipped } = await entries.loadEntryPoints(process.cwd(), 'import', (spec) => import(spec));
console.log(`esm imported ${loaded.length} entry points: ${loaded.join(', ')}`);
if (skipped.length > 0) console.log(`esm skipped ${skipped.join(', ')}`);
for (const backend of ['wasm', 'cpu']) {
  const r = await mlp.trainMlp({ core, nn, optim, backend });
  console.log(`esm ${JSON.stringify(r)}`);
}
process.exit(0);
