// The browser entry, bundled by esbuild: trains the MLP on wasm with core + backend-wasm + nn + optim
// from the installed tarballs, and reports through window.__result (or window.__error).
import * as core from '@myelin/core';
import '@myelin/backend-wasm';
import * as nn from '@myelin/nn';
import * as optim from '@myelin/optim';
import mlp from './mlp.cjs';

mlp.trainMlp({ core, nn, optim, backend: 'wasm' }).then(
  (r) => {
    window.__result = r;
  },
  (e) => {
    window.__error = String(e?.stack ?? e);
  },
);
