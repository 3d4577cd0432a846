/**
 * `@myelin/backend-testkit/browser`: run a backend's test page in headless Chromium from a Node
 * test — bundle the page with esbuild, serve it (and the golden fixtures) from localhost, open it
 * in Debian's Chromium through playwright-core, and wait for the result it leaves on `window`.
 * Never downloads a browser: where Chromium is missing, `chromiumAvailable()` says so and the
 * caller skips.
 *
 * ```ts
 * const server = await serveTestPage({ entry: 'test/browser/page.ts', title: 'my backend', isolate: true });
 * const browser = await launchChromium();
 * const outcome = await runTestPage<MyResult>(browser.context, `${server.base}/?families=conv`);
 * ```
 *
 * The page reports through `window.__result` (done), `window.__error` (failed) or
 * `window.__unavailable` (cannot run here, e.g. no WebGPU adapter). esbuild and playwright-core
 * are optional peer dependencies: only this entry point needs them.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { fixturesDir } from './fixtures.js';
import { encodeFixtureFile, GENERATED_FAMILY, generatedFixtures } from './generated.js';

/** The Chromium binary: `$CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Whether Chromium is installed; warns (once per call) with the install command when it is not. */
export function chromiumAvailable(what = 'browser test'): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(
    `${what} skipped: ${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)`,
  );
  return false;
}

/**
 * The fixture families a page can fetch: the golden files (names without `.json`) and the
 * generated edge cases (`generated`), which the server encodes on the fly.
 */
export function fixtureFamilies(): string[] {
  return [
    ...readdirSync(fixturesDir())
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5)),
    GENERATED_FAMILY,
  ];
}

export interface TestPageOptions {
  /** The page's script (TypeScript or JavaScript), bundled for the browser. */
  entry: string;
  /** The document title. */
  title: string;
  /** Module specifiers to replace while bundling (e.g. Node-only imports with stubs). */
  alias?: Record<string, string>;
  /** Module specifiers to leave out of the bundle. */
  external?: string[];
  /**
   * Serve with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
   * require-corp` (a cross-origin isolated page: SharedArrayBuffer, threads), except under
   * `/plain/`, which serves the same files without them.
   */
  isolate?: boolean;
}

export interface PageServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  close(): void;
}

/** Bundle the page and serve `/` (the document), `/page.js` and `/fixtures/<family>.json` (the generated family too). */
export async function serveTestPage(options: TestPageOptions): Promise<PageServer> {
  const bundle = await build({
    entryPoints: [options.entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external: options.external ?? [],
    alias: options.alias ?? {},
  });
  const script = bundle.outputFiles[0]!.text;
  const html = `<!doctype html><meta charset="utf-8"><title>${options.title}</title><script type="module" src="/page.js"></script>`;
  const families = new Set(fixtureFamilies());
  let generated: string | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const plain = url.pathname.startsWith('/plain/');
    const path = plain ? url.pathname.slice('/plain'.length) : url.pathname;
    if (options.isolate && !plain) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (path === '/' || path === '/index.html') {
      res.setHeader('Content-Type', 'text/html');
      res.end(html);
    } else if (path === '/page.js') {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(script);
    } else if (path === `/fixtures/${GENERATED_FAMILY}.json`) {
      res.setHeader('Content-Type', 'application/json');
      generated ??= encodeFixtureFile(generatedFixtures());
      res.end(generated);
    } else if (path.startsWith('/fixtures/') && families.has(path.slice(10, -5))) {
      res.setHeader('Content-Type', 'application/json');
      res.end(readFileSync(join(fixturesDir(), path.slice(10))));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile (removed on close) and the flags that keep it off the
 * network; `webgpu` adds --enable-unsafe-webgpu (SwiftShader where there is no GPU), otherwise
 * the GPU is disabled.
 */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'myelin-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      options.webgpu ? '--enable-unsafe-webgpu' : '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a test page leaves on its global object. */
interface PageGlobals {
  __result?: unknown;
  __error?: string;
  __unavailable?: string;
}

/** What a test page ended with: its result, or why it could not run here. */
export type PageOutcome<T> = { result: T } | { unavailable: string };

/**
 * Open `url` in a new page of `context`, wait for the page to report, close it. A page error, an
 * uncaught exception or a timeout throws.
 */
export async function runTestPage<T>(
  context: BrowserContext,
  url: string,
  timeoutMs = 100_000,
): Promise<PageOutcome<T>> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    await page.waitForFunction(
      () => {
        const g = globalThis as PageGlobals;
        return g.__result !== undefined || g.__error !== undefined || g.__unavailable !== undefined;
      },
      null,
      { timeout: timeoutMs, polling: 200 },
    );
    const unavailable = await page.evaluate(() => (globalThis as PageGlobals).__unavailable);
    if (unavailable) return { unavailable };
    const error = await page.evaluate(() => (globalThis as PageGlobals).__error);
    if (error) throw new Error(`page failed: ${error}`);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return { result: (await page.evaluate(() => (globalThis as PageGlobals).__result)) as T };
  } finally {
    await page.close();
  }
}
