/**
 * The playground's end-to-end test: build the site when it is missing or older than its sources,
 * serve it with `vite preview` (COOP/COEP and the CSP as headers), and drive Debian's Chromium
 * through playwright-core (no downloaded browser):
 *
 * 1. the page loads cross-origin isolated, with no CSP violation, page error or console error;
 * 2. LeNet-5 trains on real MNIST (4,000 training digits, one epoch, 1,000 test digits) on the wasm
 *    backend with 2 threads; the loss chart updates during the run and the test accuracy ends
 *    above ACCURACY (and above the first batch's running accuracy);
 * 3. a screenshot of the finished run is saved: to the path after `--screenshot` (the `screenshot`
 *    script writes docs/playground.png, the README's picture), else to $TMPDIR/myelin-playground.png;
 * 4. a "1" and a "7" drawn with synthesised mouse strokes are classified as 1 and 7;
 * 5. a second run (all 60,000 digits) is stopped mid-way: the page says so, the chart stops
 *    growing and the worker still answers.
 *
 * Exits non-zero with a message naming the failed step; prints the time of each step.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** The test accuracy the short run must exceed (it reaches ~0.93; chance is 0.1). */
const ACCURACY = 0.85;
const RUN_TIMEOUT_MS = 180_000;

const t0 = performance.now();
let last = t0;
function step(what) {
  const now = performance.now();
  console.log(
    `e2e: ${what} (${((now - last) / 1000).toFixed(1)} s; ${((now - t0) / 1000).toFixed(1)} s in all)`,
  );
  last = now;
}
class Failure extends Error {}
function check(ok, message) {
  if (!ok) throw new Failure(message);
}

function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else newest = Math.max(newest, st.mtimeMs);
    }
  };
  walk(join(APP, 'src'));
  for (const f of ['index.html', 'vite.config.ts']) newest = Math.max(newest, statSync(join(APP, f)).mtimeMs);
  return newest;
}

async function main() {
  check(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM} (apt-get install -y chromium)`);
  const built = join(APP, 'dist', 'index.html');
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource()) {
    await build({ root: APP, logLevel: 'warn' });
    step('built the site (vite build)');
  }
  const server = await preview({
    root: APP,
    logLevel: 'warn',
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
  });
  const { port } = server.httpServer.address();
  const base = `http://127.0.0.1:${port}/`;
  const profile = mkdtempSync(join(tmpdir(), 'myelin-playground-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
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
  step(`preview server at ${base}, Chromium started`);
  try {
    await run(context, base);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await server.close();
  }
}

/** A "1": one slightly slanted downstroke (points on the 280×280 pad). */
const ONE = [
  [150, 40],
  [140, 240],
];
/** A "7": the top bar, then the diagonal down to the left. */
const SEVEN = [
  [70, 50],
  [210, 50],
  [125, 245],
];

/** Press, move in small steps through `points` (canvas pixels of the 280×280 pad), release. */
async function stroke(page, box, points) {
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (let i = 1; i < points.length; i++) await page.mouse.move(...at(points[i]), { steps: 12 });
  await page.mouse.up();
}

async function drawAndPredict(page, strokes) {
  await page.click('#clear');
  const box = await page.locator('#digit-canvas').boundingBox();
  check(box, 'the drawing canvas has no box (not visible)');
  for (const s of strokes) await stroke(page, box, s);
  await page.click('#predict');
  await page.waitForFunction(() => document.querySelector('#prediction')?.dataset.digit !== undefined, null, {
    timeout: 20_000,
  });
  return page.$eval('#prediction', (e) => ({
    digit: Number(e.dataset.digit),
    probability: Number(e.dataset.probability),
  }));
}

async function startRun(page, options) {
  await page.selectOption('#recipe', 'lenet5-mnist');
  await page.check('#backend-wasm');
  await page.fill('#threads', '2');
  for (const [name, value] of Object.entries(options)) await page.fill(`#opt-${name}`, String(value));
  await page.click('#start');
  await page.waitForFunction(() => document.body.dataset.state === 'running', null, { timeout: 5_000 });
}

async function run(context, base) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (process.env.E2E_DEBUG) console.log(`[page] ${m.text()}`);
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (process.env.E2E_DEBUG) console.log(`[worker] ${m.text()}`);
      if (m.type() === 'error') problems.push(`worker: ${m.text()}`);
    }),
  );
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const list = (globalThis.__cspViolations ??= []);
      list.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
    });
  });
  const noProblems = async (when) => {
    const csp = await page.evaluate(() => globalThis.__cspViolations ?? []);
    check(csp.length === 0, `${when}: Content-Security-Policy violations: ${csp.join('; ')}`);
    check(problems.length === 0, `${when}: ${problems.join('; ')}`);
  };

  // 1. Load.
  await page.goto(base);
  await page.waitForFunction(() => ['ready', 'failed'].includes(document.body.dataset.state), null, {
    timeout: 60_000,
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  check(state === 'ready', `the page did not get ready: ${await page.textContent('#status')}`);
  check(
    await page.evaluate(() => globalThis.crossOriginIsolated === true),
    'the page is not cross-origin isolated (COOP/COEP headers missing)',
  );
  const csp =
    (await page.evaluate(() => fetch(location.href).then((r) => r.headers.get('content-security-policy')))) ??
    '';
  check(!csp.includes("'unsafe-eval'") && csp.includes('script-src'), `unexpected CSP header: ${csp}`);
  const recipeCount = await page.$$eval('#recipe option', (o) => o.length);
  const enabled = await page.$$eval('#recipe option:not([disabled])', (o) => o.map((x) => x.value));
  check(enabled.includes('lenet5-mnist'), `lenet5-mnist is not offered (enabled: ${enabled.join(', ')})`);
  step(`page ready, cross-origin isolated; ${recipeCount} recipes listed, ${enabled.length} runnable here`);
  await noProblems('loading');

  // 2. Train LeNet-5 on 4,000 MNIST digits on wasm with 2 threads.
  const runStart = performance.now();
  await startRun(page, { epochs: 1, batchSize: 32, lr: 0.002, limit: 4000, testLimit: 1000, samples: 32 });
  await page.waitForFunction(
    () => Number(document.querySelector('#loss-chart')?.dataset.points ?? 0) > 0,
    null,
    {
      timeout: 60_000,
    },
  );
  const midState = await page.evaluate(() => document.body.dataset.state);
  check(midState === 'running', `the loss chart first updated in state '${midState}', not during the run`);
  step('the loss chart updates during the run');
  await page.waitForFunction(() => document.body.dataset.state !== 'running', null, {
    timeout: RUN_TIMEOUT_MS,
  });
  const outcome = await page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.querySelector('#status')?.textContent,
    backend: document.body.dataset.backend,
    threads: document.body.dataset.threads,
    accuracy: Number(document.querySelector('dd[data-metric="test accuracy"]')?.dataset.value),
    first: Number(document.querySelector('#acc-chart')?.dataset.first),
    points: Number(document.querySelector('#loss-chart')?.dataset.points),
    samples: document.querySelectorAll('.output-samples canvas').length,
  }));
  check(outcome.state === 'done', `the run did not finish: ${outcome.status}`);
  check(outcome.backend === 'wasm', `the run used backend '${outcome.backend}', not wasm`);
  check(outcome.threads === '2', `the wasm backend ran ${outcome.threads} threads, not 2`);
  check(
    outcome.points === 125,
    `the loss chart has ${outcome.points} batch points, expected 125 (4,000 / 32)`,
  );
  check(
    outcome.accuracy > ACCURACY,
    `test accuracy ${outcome.accuracy} is not above ${ACCURACY} after one epoch on 4,000 digits`,
  );
  check(
    outcome.accuracy > outcome.first,
    `accuracy did not rise: first batch ${outcome.first}, test ${outcome.accuracy}`,
  );
  check(outcome.samples === 1, 'the test predictions grid (a samples event) was not drawn');
  step(
    `trained LeNet-5 on wasm (2 threads) in ${((performance.now() - runStart) / 1000).toFixed(1)} s: ` +
      `test accuracy ${outcome.accuracy.toFixed(4)} (first batch ${outcome.first.toFixed(3)}); ${outcome.status}`,
  );
  await noProblems('training');

  // 4. Draw a 1 and a 7 (before the screenshot, so it shows a prediction).
  const one = await drawAndPredict(page, [ONE]);
  check(one.digit === 1, `a drawn 1 was classified as ${one.digit} (p ${one.probability})`);
  const seven = await drawAndPredict(page, [SEVEN]);
  check(seven.digit === 7, `a drawn 7 was classified as ${seven.digit} (p ${seven.probability})`);
  step(`drawn digits classified: 1 (p ${one.probability.toFixed(3)}), 7 (p ${seven.probability.toFixed(3)})`);

  // 3. Screenshot of the finished run.
  {
    const at = process.argv.indexOf('--screenshot');
    const path =
      at >= 0 && process.argv[at + 1]
        ? resolve(APP, process.argv[at + 1])
        : join(tmpdir(), 'myelin-playground.png');
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: false });
    step(`screenshot: ${path} (${Math.round(statSync(path).size / 1024)} KiB)`);
  }

  // 5. Stop a second run mid-way.
  await startRun(page, { epochs: 1, batchSize: 32, lr: 0.002, limit: 0, testLimit: 1000, samples: 32 });
  await page.waitForFunction(
    () => Number(document.querySelector('#loss-chart')?.dataset.points ?? 0) >= 10,
    null,
    {
      timeout: 60_000,
    },
  );
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 20_000 });
  const stopped = await page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.querySelector('#status')?.textContent ?? '',
    points: Number(document.querySelector('#loss-chart')?.dataset.points),
  }));
  check(stopped.state === 'stopped', `stopping gave state '${stopped.state}': ${stopped.status}`);
  check(stopped.points < 1875, `the stopped run went on to ${stopped.points} of 1,875 batches`);
  await page.waitForTimeout(1500);
  const later = await page.evaluate(() => Number(document.querySelector('#loss-chart')?.dataset.points));
  check(later === stopped.points, `the chart kept growing after stop: ${stopped.points} → ${later}`);
  const again = await drawAndPredict(page, [ONE]);
  check(again.digit === 1, `after the stopped run the kept model classified a 1 as ${again.digit}`);
  step(`stopped the second run after ${stopped.points} of 1,875 batches; the worker still answers`);
  await noProblems('stopping');
}

main().then(
  () => {
    step('passed');
    process.exit(0);
  },
  (e) => {
    console.error(`e2e: FAILED: ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
    process.exit(1);
  },
);
