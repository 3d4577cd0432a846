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
 * The WebGPU backend in headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser)
 * with --enable-unsafe-webgpu, which gives SwiftShader's software Vulkan adapter on a GPU-less
 * machine. test/browser/page.ts is bundled with esbuild and served from a localhost server started
 * here; it runs every golden fixture case (contiguous operands) of the testkit.
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
  adapter: string;
  passed: number;
  skipped: number;
  failed: number;
  failures: string[];
  handlesLeft: number;
  ms: number;
}

describe.skipIf(!hasChromium)('webgpu backend in headless Chromium (SwiftShader)', () => {
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
      external: ['webgpu'],
      alias: { vitest: stubs, fs: stubs, path: stubs, url: stubs },
    });
    const script = bundle.outputFiles[0]!.text;
    const html =
      '<!doctype html><meta charset="utf-8"><title>webgpu backend</title><script type="module" src="/page.js"></script>';
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
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
        '--enable-unsafe-webgpu',
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

  it('passes the golden fixture cases (contiguous operands) on navigator.gpu', async (ctx) => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${base}/?families=${families.join(',')}`);
      await page.waitForFunction(
        () =>
          window.__result !== undefined || window.__error !== undefined || window.__unavailable !== undefined,
        null,
        {
          timeout: 150_000,
          polling: 250,
        },
      );
      const unavailable = await page.evaluate(() => window.__unavailable);
      if (unavailable) {
        console.warn(`browser webgpu test skipped: Chromium offers no WebGPU adapter (${unavailable})`);
        ctx.skip();
      }
      const error = await page.evaluate(() => window.__error);
      if (error) throw new Error(`page failed: ${error}`);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      const r = (await page.evaluate(() => window.__result))!;
      console.log(
        `chromium (${r.adapter}): ${r.passed} cases passed, ${r.skipped} skipped (sync reads), ${r.failed} failed in ${r.ms.toFixed(0)} ms`,
      );
      expect(r.failures).toEqual([]);
      expect(r.passed).toBeGreaterThan(500);
      expect(r.handlesLeft).toBe(0);
    } finally {
      await page.close();
    }
  }, 180_000);
});

declare global {
  interface Window {
    __result?: BrowserResult;
    __error?: string;
    __unavailable?: string;
  }
}
