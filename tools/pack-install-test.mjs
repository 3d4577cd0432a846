#!/usr/bin/env node
/**
 * Packs every public package, installs the tarballs into a scratch project in a temporary folder
 * with plain npm (their external dependencies come from the npm registry), and trains a small MLP
 * (tools/pack-test/mlp.cjs) from the installed packages three ways, each asserting that the loss
 * falls:
 *
 * 1. ES modules (`esm.mjs`, `import`), on wasm and cpu;
 * 2. CommonJS (`cjs.cjs`, `require`), on wasm and cpu;
 * 3. a browser page: `browser.mjs` bundled by esbuild (core + backend-wasm + nn + optim), served
 *    cross-origin isolated and run in Debian's Chromium through playwright-core.
 *
 *     node tools/pack-install-test.mjs [--keep] [--chromium=/usr/bin/chromium]   # after `pnpm build`
 *
 * --keep leaves the scratch project in place.
 *
 * esbuild and playwright-core come from the workspace (backend-wasm's devDependencies), not from
 * the scratch project. Prints the time of each step and the total.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packAll, publicPackages, ROOT } from './pack-test/pack.mjs';

const CHROMIUM =
  process.argv.find((a) => a.startsWith('--chromium='))?.slice('--chromium='.length) ?? '/usr/bin/chromium';
const HERE = join(ROOT, 'tools', 'pack-test');
const keep = process.argv.includes('--keep');

const t0 = performance.now();
let last = t0;
function step(what) {
  const now = performance.now();
  console.log(
    `pack-install: ${what} (${((now - last) / 1000).toFixed(1)} s; ${((now - t0) / 1000).toFixed(1)} s in all)`,
  );
  last = now;
}

/** Run `node file` in the scratch project; print its output; throw with it when it fails. */
function runNode(cwd, file) {
  try {
    const out = execFileSync(process.execPath, [file], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.stdout.write(out);
    return out;
  } catch (e) {
    throw new Error(`pack-install: node ${file} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

async function browser(scratch) {
  if (!existsSync(CHROMIUM))
    throw new Error(`pack-install: Chromium is missing at ${CHROMIUM} (apt-get install -y chromium)`);
  const fromWorkspace = createRequire(join(ROOT, 'packages', 'backend-wasm', 'package.json'));
  const { build } = fromWorkspace('esbuild');
  const { chromium } = fromWorkspace('playwright-core');
  const bundle = await build({
    entryPoints: [join(scratch, 'browser.mjs')],
    absWorkingDir: scratch,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0].text;
  step(`bundled browser.mjs with esbuild (${(script.length / 1024).toFixed(0)} KiB minified)`);
  const html =
    '<!doctype html><meta charset="utf-8"><title>pack-install</title><script type="module" src="/app.js"></script>';
  const server = createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (req.url === '/') {
      res.setHeader('Content-Type', 'text/html');
      res.end(html);
    } else if (req.url === '/app.js') {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(script);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = mkdtempSync(join(tmpdir(), 'myelin-pack-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(
      () => globalThis.__result !== undefined || globalThis.__error !== undefined,
      null,
      {
        timeout: 120_000,
        polling: 200,
      },
    );
    const { result, error, isolated } = await page.evaluate(() => ({
      result: globalThis.__result,
      error: globalThis.__error,
      isolated: globalThis.crossOriginIsolated,
    }));
    if (error || errors.length)
      throw new Error(`pack-install: the browser page failed: ${error ?? errors.join('; ')}`);
    console.log(`browser ${JSON.stringify({ ...result, crossOriginIsolated: isolated })}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    server.close();
  }
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'myelin-pack-install-'));
  try {
    const packages = publicPackages();
    const tarballs = packAll(join(scratch, 'tarballs'), packages);
    step(`packed ${tarballs.length} public packages`);
    writeFileSync(
      join(scratch, 'package.json'),
      `${JSON.stringify({ name: 'myelin-pack-install-test', version: '0.0.0', private: true }, null, 2)}\n`,
    );
    for (const f of ['mlp.cjs', 'entry-points.cjs', 'esm.mjs', 'cjs.cjs', 'browser.mjs'])
      copyFileSync(join(HERE, f), join(scratch, f));
    try {
      execFileSync(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          ...tarballs.map((t) => `./tarballs/${basename(t)}`),
        ],
        { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      throw new Error(
        `pack-install: npm install of the tarballs failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
      );
    }
    // One copy of core, where every package that registers into it finds it.
    const cores = execFileSync('npm', ['ls', '@myelin/core', '--all', '--parseable'], {
      cwd: scratch,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    if (cores.length !== 1)
      throw new Error(
        `pack-install: expected one @myelin/core, npm installed ${cores.length}: ${cores.join(', ')}`,
      );
    step('npm install of the tarballs (one @myelin/core)');
    runNode(scratch, 'esm.mjs');
    step('trained from ESM (wasm, cpu)');
    runNode(scratch, 'cjs.cjs');
    step('trained from CommonJS (wasm, cpu)');
    await browser(scratch);
    step('trained in Chromium from the esbuild bundle (wasm)');
  } finally {
    if (keep) console.log(`pack-install: scratch project kept at ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  console.log(
    `pack-install: passed in ${((performance.now() - t0) / 1000).toFixed(1)} s (scratch project removed)`,
  );
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
