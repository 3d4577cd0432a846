#!/usr/bin/env node
/*
 * The wasm suite of the bench (src/libs/myelin-wasm.ts: Myelin's wasm backend against TF.js's) in
 * headless Chromium, where both can run on 2 threads. In Node, @tensorflow/tfjs-backend-wasm 4.22
 * never runs threaded (its multithread check is hard-wired off there), so only a browser gives
 * a threaded comparison.
 *
 *     node bench/browser/run.mjs [--min-time=ms] [--filter=substring] [--threads=n]
 *     pnpm --filter @myelin/bench bench:browser -- --filter=matmul
 *
 * browser/page.ts is bundled with esbuild (code splitting: the packages the suite imports by
 * computed specifier become entry points of their own, mapped by an import map, and share
 * one copy of TF.js core and Myelin core with the page), served from 127.0.0.1 with COOP/COEP
 * headers (cross-origin isolation: SharedArrayBuffer and threaded wasm on Web Workers) together
 * with TF.js's .wasm binaries, and opened in Debian's /usr/bin/chromium (never a downloaded
 * browser) through playwright-core. The page checks that both libraries run threaded, runs the
 * suite, and its table (printed by the suite) is forwarded here; the report is written to
 * bench/results/browser-wasm.json. A benchmark, not a test: no timing is asserted.
 *
 * Myelin is taken from the built packages (dist/), as in the Node bench: build them first
 * (`pnpm turbo run build --filter=@myelin/bench...`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const benchDir = fileURLToPath(new URL('..', import.meta.url));
const here = join(benchDir, 'browser');
const require = createRequire(join(benchDir, 'package.json'));

/** esbuild is not a dependency of the bench: take the one of @myelin/backend-wasm (or tsup's). */
async function loadEsbuild() {
  const from = [join(benchDir, '../packages/backend-wasm/package.json'), require.resolve('tsup')];
  for (const f of from) {
    try {
      return await import(createRequire(f).resolve('esbuild'));
    } catch {}
  }
  throw new Error('esbuild not found (run pnpm install)');
}

function parseArgs(argv) {
  const opts = { minTime: 500, filter: '', threads: 2 };
  for (const a of argv) {
    if (a === '--') continue; // what `pnpm run … -- args` may pass on
    const [k, v = ''] = a.replace(/^--/, '').split(/=(.*)/s);
    if (k === 'min-time') opts.minTime = Number(v);
    else if (k === 'filter') opts.filter = v;
    else if (k === 'threads') opts.threads = Number(v);
    else if (k === 'help' || k === 'h') {
      console.log('usage: node bench/browser/run.mjs [--min-time=ms] [--filter=substring] [--threads=n]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.minTime > 0) || !(opts.threads >= 1)) throw new Error('bad --min-time or --threads');
  return opts;
}

/** Packages the suite imports by a computed specifier, resolved in the page by its import map. */
const MAPPED = {
  '@myelin/backend-wasm': 'myelin-backend-wasm',
  '@tensorflow/tfjs-backend-wasm': 'tfjs-backend-wasm',
  '@tensorflow/tfjs-layers': 'tfjs-layers',
};

async function bundle() {
  const { build } = await loadEsbuild();
  const mapped = Object.entries(MAPPED);
  const result = await build({
    absWorkingDir: benchDir,
    entryPoints: [
      { in: join(here, 'page.ts'), out: 'page' },
      ...mapped.map(([spec, out]) => ({ in: `virtual:${spec}`, out })),
    ],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/js',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'virtual-entries',
        setup(b) {
          b.onResolve({ filter: /^virtual:/ }, (args) => ({
            path: args.path.slice(8),
            namespace: 'virtual',
          }));
          b.onLoad({ filter: /.*/, namespace: 'virtual' }, (args) => ({
            contents: `export * from '${args.path}';`,
            resolveDir: benchDir,
            loader: 'js',
          }));
        },
      },
    ],
  });
  const files = new Map(result.outputFiles.map((f) => [f.path, f.contents]));
  const imports = Object.fromEntries(mapped.map(([spec, out]) => [spec, `/js/${out}.js`]));
  const html = [
    '<!doctype html><meta charset="utf-8"><title>wasm bench</title>',
    `<script type="importmap">${JSON.stringify({ imports })}</script>`,
    '<script type="module" src="/js/page.js"></script>',
  ].join('\n');
  return { files, html };
}

function serve({ files, html }) {
  const wasmDir = join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..');
  const wasmFiles = [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ];
  const served = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    served.push(path);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cache-Control', 'no-store');
    if (path === '/' || path === '/index.html') {
      res.setHeader('Content-Type', 'text/html');
      res.end(html);
    } else if (files.has(path)) {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(files.get(path));
    } else if (path.startsWith('/tfjs-wasm/') && wasmFiles.includes(path.slice(11))) {
      res.setHeader('Content-Type', 'application/wasm');
      res.end(readFileSync(join(wasmDir, path.slice(11))));
    } else if (path === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, served, port: server.address().port })),
  );
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  const load = { before: loadavg() };
  const { server, served, port } = await serve(await bundle());
  const profile = mkdtempSync(join(tmpdir(), 'myelin-bench-chromium-'));
  let context;
  try {
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
    // TF.js caps its thread pool at half of navigator.hardwareConcurrency (tfjs-backend-wasm's
    // backend.cc: min(threads, cores / 2)), so on a 2-core machine setThreadsCount(2) gives 1
    // thread. Where the machine reports fewer than 2 × threads, the page is told 2 × threads, which
    // only lifts that cap: both libraries still get the threads they are asked for, on the real cores.
    const realConcurrency = cpus().length;
    const reportedConcurrency = Math.max(realConcurrency, 2 * opts.threads);
    if (reportedConcurrency !== realConcurrency) {
      await context.addInitScript((n) => {
        Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {
          get: () => n,
          configurable: true,
        });
      }, reportedConcurrency);
    }
    const page = context.pages()[0] ?? (await context.newPage());
    const done = new Promise((resolve) => page.exposeFunction('__benchDone', resolve));
    const crashed = new Promise((_, reject) => {
      page.on('crash', () => reject(new Error('page crashed')));
      page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`)));
    });
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' || msg.type() === 'warning') console.error(`[page ${msg.type()}] ${text}`);
      else console.log(text);
    });
    console.log(
      `wasm suite in ${CHROMIUM}, ${opts.threads} threads asked of each, --min-time=${opts.minTime}`,
    );
    const query = new URLSearchParams({
      threads: String(opts.threads),
      minTime: String(opts.minTime),
      filter: opts.filter,
    });
    await page.goto(`http://127.0.0.1:${port}/?${query}`);
    const report = await Promise.race([done, crashed]);
    if (report.error) throw new Error(`page failed: ${report.error}`);
    load.after = loadavg();
    const threadedWasm = served.includes('/tfjs-wasm/tfjs-backend-wasm-threaded-simd.wasm');
    if (!threadedWasm) throw new Error('TF.js never fetched its threaded-SIMD binary');
    console.log(
      `\nthreads: myelin ${report.myelin.threads} (relaxed SIMD ${report.myelin.relaxedSimd}, ` +
        `${report.myelin.poolJobs} pool jobs in the suite, ` +
        `${report.myelin.probeJobs} in a 512² matmul probe), ` +
        `tfjs ${report.tfjs.threads} (multithread ${report.tfjs.multithread}, simd ${report.tfjs.simd}, ` +
        `${report.tfjs.pthreads} pthread worker, ` +
        `threaded-simd binary served); ${(report.ms / 1000).toFixed(0)} s; ` +
        `load average ${load.before.map((v) => v.toFixed(2)).join(' ')} → ${load.after.map((v) => v.toFixed(2)).join(' ')}`,
    );
    const out = join(benchDir, 'results', 'browser-wasm.json');
    mkdirSync(join(benchDir, 'results'), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          command: process.argv.slice(1).join(' '),
          browser: { executable: CHROMIUM, version: context.browser()?.version() ?? null },
          machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: realConcurrency, node: process.version },
          hardwareConcurrencyOverride: reportedConcurrency !== realConcurrency ? reportedConcurrency : null,
          loadAverage: load,
          tfjsWasmBinariesServed: served.filter((p) => p.startsWith('/tfjs-wasm/')),
          ...report,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`report: ${out}`);
  } finally {
    await context?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
