/*
 * The browser side of test/browser.test.ts: bundled by esbuild into one script, loaded by a page
 * served with (or without) COOP/COEP headers. It runs every golden fixture case of the testkit
 * through `checkCase` on the wasm backend and leaves a summary in `window.__result`.
 */
import { checkCase, DEFAULT_TOLERANCE, type FixtureFile, parseFixtureFile } from '@myelin/backend-testkit';
import { conv2d, memory, scope, tensor, use } from '@myelin/core';
import { wasmBackend } from '../../src/index.js';

interface BrowserResult {
  isolated: boolean;
  threads: number;
  relaxedSimd: boolean;
  passed: number;
  failed: number;
  failures: string[];
  handlesLeft: number;
  /** Largest error of products big enough to be split over the threads, against naive loops. */
  bigError: number;
  ms: number;
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A 129×257·257×131 matmul and a 4×8×20×20 ⊛ 16×8×3×3 convolution against plain loops. */
function bigProducts(): number {
  let worst = 0;
  const [m, k, n] = [129, 257, 131];
  const a = values(m * k, 1);
  const b = values(k * n, 2);
  const got = tensor(a, { shape: [m, k] })
    .matmul(tensor(b, { shape: [k, n] }))
    .dataSync();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      worst = Math.max(worst, Math.abs(got[i * n + j]! - s));
    }
  }
  const [N, C, H, W, O] = [4, 8, 20, 20, 16];
  const x = values(N * C * H * W, 3);
  const w = values(O * C * 9, 4);
  const y = conv2d(tensor(x, { shape: [N, C, H, W] }), tensor(w, { shape: [O, C, 3, 3] }), {
    padding: 1,
  }).dataSync();
  for (let q = 0; q < N; q++) {
    for (let o = 0; o < O; o++) {
      for (let h = 0; h < H; h++) {
        for (let v = 0; v < W; v++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < 3; i++) {
              for (let j = 0; j < 3; j++) {
                const ih = h + i - 1;
                const iw = v + j - 1;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                  s += x[((q * C + c) * H + ih) * W + iw]! * w[((o * C + c) * 3 + i) * 3 + j]!;
                }
              }
            }
          }
          worst = Math.max(worst, Math.abs(y[((q * O + o) * H + h) * W + v]! - s));
        }
      }
    }
  }
  return worst;
}

declare global {
  interface Window {
    __result?: BrowserResult;
    __error?: string;
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
  const relaxed = params.get('relaxed');
  const backend = await use(
    wasmBackend({
      threads: Number(params.get('threads') ?? 2),
      ...(relaxed === null ? {} : { relaxedSimd: relaxed === '1' }),
    }),
  );
  const before = memory().handles;
  let passed = 0;
  const failures: string[] = [];
  for (const file of files) {
    for (const c of file.cases) {
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
  const bigError = scope(() => bigProducts());
  window.__result = {
    isolated: globalThis.crossOriginIsolated === true,
    threads: (backend as unknown as { threads: number }).threads,
    relaxedSimd: (backend as unknown as { relaxedSimd: boolean }).relaxedSimd,
    passed,
    failed: failures.length,
    failures: failures.slice(0, 10),
    handlesLeft: memory().handles - before,
    bigError,
    ms: performance.now() - t0,
  };
}

main().catch((e: unknown) => {
  window.__error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
});
