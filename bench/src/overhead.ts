/**
 * The overhead row (issue #19): what one op costs when the kernel does almost nothing. A chain of
 * 1,000 ops on [4] tensors (`y = add(y, x)` and friends), each chain inside one `scope()`, on the
 * cpu and wasm backends; the figure is µs per op (median chain time / 1,000). Refactors of core's
 * op path (tables, scopes, autograd recording) must not make it worse.
 *
 *     node bench/dist/index.js overhead [--min-time=ms]
 *
 * Rows: the function form (`add(y, x)`), the method form (`y.add(x)`), a unary op (`relu(y)`), and
 * `add` while recording for autograd (x requires grad, so each op makes a tape node).
 */

import { cpuBackend } from '@myelin/backend-cpu';
import { wasmBackend } from '@myelin/backend-wasm';
import * as core from '@myelin/core';
import { measure } from './harness.js';

const CHAIN = 1000;

export interface OverheadRow {
  backend: string;
  chain: string;
  usPerOp: number;
  minUsPerOp: number;
  reps: number;
}

type Chain = { name: string; run: (x: core.Tensor) => core.Tensor };

const CHAINS: Chain[] = [
  {
    name: 'add(y, x)',
    run: (x) => {
      let y = x;
      for (let i = 0; i < CHAIN; i++) y = core.add(y, x);
      return y;
    },
  },
  {
    name: 'y.add(x)',
    run: (x) => {
      let y = x;
      for (let i = 0; i < CHAIN; i++) y = y.add(x);
      return y;
    },
  },
  {
    name: 'relu(y)',
    run: (x) => {
      let y = x;
      for (let i = 0; i < CHAIN; i++) y = core.relu(y);
      return y;
    },
  },
];

export async function runOverheadBench(options: { minTimeMs: number }): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  const backends: [string, () => Promise<core.Backend>][] = [
    ['cpu', async () => cpuBackend()],
    ['wasm', async () => (await wasmBackend({ threads: 1 })) as unknown as core.Backend],
  ];
  for (const [name, make] of backends) {
    await core.use(await make());
    const x = core.tensor([0.5, -1, 2, -0.25]);
    const xg = core.tensor([0.5, -1, 2, -0.25]);
    xg.requiresGrad = true;
    const chains: Chain[] = [...CHAINS, { name: 'add(y, x), recording', run: (CHAINS[0] as Chain).run }];
    for (const c of chains) {
      const input = c.name.endsWith('recording') ? xg : x;
      const t = await measure(
        () =>
          core.scope(() => {
            c.run(input).dataSync();
          }),
        { minTimeMs: options.minTimeMs, minReps: 5 },
      );
      rows.push({
        backend: name,
        chain: c.name,
        usPerOp: (t.medianMs * 1000) / CHAIN,
        minUsPerOp: (t.minMs * 1000) / CHAIN,
        reps: t.reps,
      });
    }
    x.dispose();
    xg.dispose();
    if (core.memory().tensors !== 0)
      throw new Error(`bench overhead: ${core.memory().tensors} tensors leaked`);
  }
  console.log(`per-op overhead: chains of ${CHAIN} ops on [4] float32 tensors, one scope per chain\n`);
  console.log('backend  chain                     µs/op (median)  µs/op (min)  reps');
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(8)} ${r.chain.padEnd(25)} ${r.usPerOp.toFixed(2).padStart(14)}  ${r.minUsPerOp.toFixed(2).padStart(11)}  ${String(r.reps).padStart(4)}`,
    );
  }
  return rows;
}
