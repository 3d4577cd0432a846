/*
 * The browser side of test/browser.test.ts: bundled by esbuild into one script and served from a
 * localhost server. It runs the testkit's golden fixture cases (contiguous operands) through
 * `checkCase` on the WebGPU backend over `navigator.gpu` and leaves a summary in `window.__result`.
 */
import { checkCase, DEFAULT_TOLERANCE, type FixtureFile, parseFixtureFile } from '@myelin/backend-testkit';
import { memory, use } from '@myelin/core';
import { webgpuBackend } from '../../src/index.js';
import { CONFORMANCE_SKIPS } from '../skips.js';

interface BrowserResult {
  adapter: string;
  passed: number;
  skipped: number;
  failed: number;
  failures: string[];
  handlesLeft: number;
  ms: number;
}

declare global {
  interface Window {
    __result?: BrowserResult;
    __error?: string;
    __unavailable?: string;
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const params = new URLSearchParams(location.search);
  const families = (params.get('families') ?? '').split(',').filter(Boolean);
  const files: FixtureFile[] = [];
  for (const family of families) {
    const res = await fetch(`/fixtures/${family}.json`);
    files.push(parseFixtureFile(await res.text(), family));
  }
  let backend: Awaited<ReturnType<typeof webgpuBackend>>;
  try {
    backend = await webgpuBackend();
  } catch (e) {
    // No WebGPU in this browser: reported as a skip by the test, with the reason.
    window.__unavailable = (e as Error).message;
    return;
  }
  await use(backend);
  const before = memory().handles;
  let passed = 0;
  let skipped = 0;
  const failures: string[] = [];
  for (const file of files) {
    for (const c of file.cases) {
      if (CONFORMANCE_SKIPS.includes(c.name)) {
        skipped++;
        continue;
      }
      const tol = { ...DEFAULT_TOLERANCE };
      for (const key of Object.keys(c.tolerance ?? {}) as (keyof typeof tol)[]) {
        tol[key] = Math.max(tol[key], c.tolerance![key]!);
      }
      try {
        await checkCase(c, tol, 'contiguous');
        passed++;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  }
  window.__result = {
    adapter: backend.adapterInfo,
    passed,
    skipped,
    failed: failures.length,
    failures: failures.slice(0, 20),
    handlesLeft: memory().handles - before,
    ms: performance.now() - t0,
  };
}

main().catch((e: unknown) => {
  window.__error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
});
