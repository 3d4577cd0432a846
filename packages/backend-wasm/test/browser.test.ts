import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Chromium,
  chromiumAvailable,
  fixtureFamilies,
  launchChromium,
  type PageServer,
  runTestPage,
  serveTestPage,
} from '@myelin/backend-testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The wasm backend in headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser),
 * through the testkit's browser harness: test/browser/page.ts is bundled and served from
 * localhost. With COOP/COEP headers the page is cross-origin isolated, so the backend runs
 * threaded on Web Workers over shared memory (the main thread spin-waits, as browsers forbid
 * Atomics.wait there); under /plain/ it is served without them and falls back to one thread.
 * Every golden fixture case of the testkit runs.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const hasChromium = chromiumAvailable();

interface BrowserResult {
  isolated: boolean;
  threads: number;
  relaxedSimd: boolean;
  passed: number;
  failed: number;
  failures: string[];
  handlesLeft: number;
  bigError: number;
  ms: number;
}

describe.skipIf(!hasChromium)('wasm backend in headless Chromium', () => {
  let server: PageServer;
  let browser: Chromium;
  const families = fixtureFamilies();

  beforeAll(async () => {
    const stubs = join(here, 'browser', 'stubs.ts');
    server = await serveTestPage({
      entry: join(here, 'browser', 'page.ts'),
      title: 'wasm backend',
      alias: { vitest: stubs, fs: stubs, path: stubs, url: stubs },
      isolate: true,
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function runPage(path: string): Promise<BrowserResult> {
    const outcome = await runTestPage<BrowserResult>(browser.context, `${server.base}${path}`);
    if (!('result' in outcome)) throw new Error(`page could not run: ${outcome.unavailable}`);
    return outcome.result;
  }

  it('passes every golden fixture case threaded on Web Workers in a cross-origin isolated page', async () => {
    const r = await runPage(`/?threads=2&families=${families.join(',')}`);
    expect(r.failures).toEqual([]);
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(2);
    // Chromium has relaxed SIMD: the default is the build with fused multiply-adds.
    expect(r.relaxedSimd).toBe(true);
    expect(r.failed).toBe(0);
    expect(r.passed).toBeGreaterThan(1000);
    expect(r.handlesLeft).toBe(0);
    expect(r.bigError).toBeLessThan(1e-3);
    console.log(
      `chromium, isolated, ${r.threads} threads, relaxed SIMD: ${r.passed} cases passed in ${r.ms.toFixed(0)} ms`,
    );
  }, 120_000);

  it('falls back to one thread without cross-origin isolation and still computes correctly', async () => {
    const r = await runPage(`/plain/?threads=2&relaxed=0&families=conv,linalg,nn`);
    expect(r.failures).toEqual([]);
    expect(r.isolated).toBe(false);
    expect(r.threads).toBe(1);
    expect(r.relaxedSimd).toBe(false);
    expect(r.passed).toBeGreaterThan(100);
    expect(r.bigError).toBeLessThan(1e-3);
  }, 120_000);
});
