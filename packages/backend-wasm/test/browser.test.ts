import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturesDir } from '@myelin/backend-testkit';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The wasm backend in headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser):
 * test/browser/page.ts is bundled with esbuild and served from a localhost server started here.
 * With COOP/COEP headers the page is cross-origin isolated, so the backend runs threaded on Web
 * Workers over shared memory (the main thread spin-waits, as browsers forbid Atomics.wait there);
 * without them it falls back to one thread. Every golden fixture case of the testkit runs.
 */

const CHROMIUM = '/usr/bin/chromium';
const here = fileURLToPath(new URL('.', import.meta.url));
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `browser test skipped: ${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)`,
  );
}

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
  let server: Server;
  let base = '';
  let context: BrowserContext;
  let profile = '';
  const families = readdirSync(fixturesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));

  beforeAll(async () => {
    const stubs = join(here, 'browser', 'stubs.ts');
    const bundle = await build({
      entryPoints: [join(here, 'browser', 'page.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      alias: { vitest: stubs, fs: stubs, path: stubs, url: stubs },
    });
    const script = bundle.outputFiles[0]!.text;
    const html =
      '<!doctype html><meta charset="utf-8"><title>wasm backend</title><script type="module" src="/page.js"></script>';
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Pages under /plain/ are served without the isolation headers.
      const isolated = !url.pathname.startsWith('/plain/');
      const path = url.pathname.replace(/^\/plain/, '');
      if (isolated) {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      }
      if (path === '/' || path === '/index.html') {
        res.setHeader('Content-Type', 'text/html');
        res.end(html);
      } else if (path === '/page.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(script);
      } else if (path.startsWith('/fixtures/') && families.includes(path.slice(10, -5))) {
        res.setHeader('Content-Type', 'application/json');
        res.end(readFileSync(join(fixturesDir(), path.slice(10))));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'myelin-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function runPage(path: string): Promise<BrowserResult> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => window.__result !== undefined || window.__error !== undefined, null, {
        timeout: 100_000,
        polling: 200,
      });
      const error = await page.evaluate(() => window.__error);
      if (error) throw new Error(`page failed: ${error}`);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      return (await page.evaluate(() => window.__result))!;
    } finally {
      await page.close();
    }
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

declare global {
  interface Window {
    __result?: BrowserResult;
    __error?: string;
  }
}
