/**
 * The testkit's golden fixture cases on the webgpu backend without vitest (a GPU machine has no
 * npm): every case with contiguous, permuted and strided operands, through `checkCase`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { checkCase, DEFAULT_TOLERANCE, parseFixtureFile } from '@myelin/backend-testkit';
import { webgpuBackend } from '@myelin/backend-webgpu';
import { memory, use } from '@myelin/core';
import { CONFORMANCE_SKIPS } from '../../packages/backend-webgpu/test/skips.js';

const dir = process.env.FIXTURES ?? '../packages/backend-testkit/fixtures';
const vulkan = process.env.MYELIN_DAWN === 'vulkan';
const backend = await webgpuBackend(vulkan ? { dawnFlags: [], compatibility: false } : {});
await use(backend);
const before = memory().handles;
const t0 = performance.now();
let passed = 0;
let skipped = 0;
const failures: string[] = [];
for (const layout of ['contiguous', 'permuted', 'sliced'] as const) {
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const file = parseFixtureFile(readFileSync(`${dir}/${f}`, 'utf8'), f.slice(0, -5));
    for (const c of file.cases) {
      if (CONFORMANCE_SKIPS.includes(c.name)) {
        skipped++;
        continue;
      }
      const minRank = layout === 'permuted' ? 2 : 1;
      if (layout !== 'contiguous' && !c.inputs.some((t) => t.shape.length >= minRank)) continue;
      const tol = { ...DEFAULT_TOLERANCE };
      for (const key of Object.keys(c.tolerance ?? {}) as (keyof typeof tol)[]) {
        tol[key] = Math.max(tol[key], c.tolerance![key]!);
      }
      try {
        await checkCase(c, tol, layout);
        passed++;
      } catch (e) {
        failures.push(`${layout} ${c.name}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `conformance on ${backend.adapterInfo}: ${passed} checks passed, ${failures.length} failed, ${skipped} skipped; ` +
    `handles left ${memory().handles - before}; ${secs} s`,
);
for (const f of failures.slice(0, 30)) console.log(`  FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
