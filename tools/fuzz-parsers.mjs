#!/usr/bin/env node
// The long run of the parser fuzzing (issue 18): seeded cases for each parser (safetensors, IDX
// raw, IDX gzipped, CSV) against the built packages, each parser in a worker thread watched for
// hangs. Prints, per parser: cases, valid results, clean errors, raw crashes, hangs, slow cases,
// cases over the allocation cap, the slowest case, the largest per-case memory growth and the
// process's peak RSS. Exits 1 if any case crashed, hung or passed the cap.
//
//   node tools/fuzz-parsers.mjs --cases 100000 [--seed 18] [--parsers csv,idx-raw] [--hang-ms 10000]
//
// Build first (`pnpm --filter @myelin/core --filter @myelin/data build`). A failing case replays
// alone: `caseRng(seed, i)` in tools/fuzz-kit.mjs makes it, so `--from i --cases 1` reruns it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runFuzz, targets } from './fuzz-kit.mjs';

const root = new URL('..', import.meta.url);

async function loadTargets(dir) {
  const core = await import(new URL('packages/core/dist/index.js', root).href);
  const data = await import(new URL('packages/data/dist/node.js', root).href);
  const tmpFile = (bytes) => {
    const p = join(dir, 'case');
    writeFileSync(p, bytes);
    return p;
  };
  return targets({
    decodeSafetensors: core.decodeSafetensors,
    entryToTypedArray: core.entryToTypedArray,
    SafetensorsError: core.SafetensorsError,
    parseIdx: data.parseIdx,
    decodeIdx: data.decodeIdx,
    readIdx: data.readIdx,
    readIdxSync: data.readIdxSync,
    IdxError: data.IdxError,
    parseCsv: data.parseCsv,
    CsvError: data.CsvError,
    tmpFile,
  });
}

if (!isMainThread) {
  // Worker: run cases [from, to) of one parser, publishing the current case index for the watchdog.
  const { parser, seed, from, to, slowMs, progress } = workerData;
  const dir = mkdtempSync(join(tmpdir(), 'myelin-fuzz-'));
  try {
    const target = (await loadTargets(dir)).find((t) => t.name === parser);
    const stats = await runFuzz(target, {
      seed,
      from,
      to,
      slowMs,
      onCase: (i) => Atomics.store(progress, 0, i),
    });
    parentPort.postMessage(stats);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : dflt;
  };
  const cases = Number(opt('cases', '100000'));
  const from = Number(opt('from', '0'));
  const seed = Number(opt('seed', '18'));
  const hangMs = Number(opt('hang-ms', '10000'));
  const slowMs = Number(opt('slow-ms', '2000'));
  const names = opt('parsers', 'safetensors,idx-raw,idx-gzip,csv').split(',');

  /** Run one stretch of cases in a worker; resolves with its stats, or with the case that hung. */
  function stretch(parser, start, peak) {
    const progress = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(progress, 0, start);
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { parser, seed, from: start, to: from + cases, slowMs, progress },
    });
    return new Promise((resolve, reject) => {
      let last = -1;
      let since = Date.now();
      const timer = setInterval(() => {
        peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
        const now = Atomics.load(progress, 0);
        if (now !== last) {
          last = now;
          since = Date.now();
        } else if (Date.now() - since > hangMs) {
          clearInterval(timer);
          worker.terminate();
          resolve({ hung: now });
        }
      }, 100);
      worker.once('message', (stats) => {
        clearInterval(timer);
        resolve({ stats });
      });
      worker.once('error', (e) => {
        clearInterval(timer);
        reject(e);
      });
    });
  }

  const rows = [];
  let bad = false;
  for (const parser of names) {
    const t0 = Date.now();
    const peak = { rss: 0 };
    const total = {
      cases: 0,
      valid: 0,
      clean: 0,
      crashes: 0,
      hangs: 0,
      slow: 0,
      overCap: 0,
      maxCaseMs: 0,
      maxGrowthBytes: 0,
    };
    const examples = [];
    let start = from;
    while (start < from + cases) {
      const r = await stretch(parser, start, peak);
      if (r.hung !== undefined) {
        total.cases++;
        total.hangs++;
        examples.push({ what: 'hang', case: r.hung, message: `no progress for ${hangMs} ms` });
        start = r.hung + 1;
        continue;
      }
      const s = r.stats;
      for (const k of ['cases', 'valid', 'clean', 'crashes', 'slow', 'overCap']) total[k] += s[k];
      total.maxCaseMs = Math.max(total.maxCaseMs, s.maxCaseMs);
      total.maxGrowthBytes = Math.max(total.maxGrowthBytes, s.maxGrowthBytes);
      examples.push(...s.examples);
      break;
    }
    const row = {
      parser,
      cases: total.cases,
      valid: total.valid,
      'clean errors': total.clean,
      'raw crashes': total.crashes,
      hangs: total.hangs,
      [`slow (>${slowMs} ms)`]: total.slow,
      'over cap': total.overCap,
      'max case ms': Math.round(total.maxCaseMs),
      'max growth MiB': +(total.maxGrowthBytes / 2 ** 20).toFixed(1),
      'peak RSS MiB': Math.round(peak.rss / 2 ** 20),
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    rows.push(row);
    console.error(`${parser}: ${JSON.stringify(row)}`);
    for (const e of examples.slice(0, 10)) console.error(`  ${JSON.stringify(e)}`);
    if (total.crashes || total.hangs || total.overCap) bad = true;
  }
  console.log(`seed ${seed}, cases ${from}..${from + cases - 1} per parser, hang bound ${hangMs} ms`);
  console.table(rows);
  process.exitCode = bad ? 1 : 0;
}
