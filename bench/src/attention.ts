/**
 * The attention rows (issue 11): one forward + backward of scaled dot-product attention — B·H =
 * 8·4 = 32 sequences of L = S = 256 (and 1,024) tokens with D = 64 features, the gradient of
 * Σ out ⊙ R with respect to q, k and v — on Myelin's wasm backend with the fused `Attention` /
 * `AttentionGrad` kernels, on the same backend without them (core's decomposition: matmul,
 * softmax, matmul, storing the B·L·S scores), and beside PyTorch on the CPU with the same threads
 * (1.13 has no F.scaled_dot_product_attention: its formula, softmax(q·kᵀ/√D)·v, in float32).
 *
 *     node bench/dist/index.js attention [--min-time=ms] [--threads=2] [--lengths=256,1024] [--no-torch]
 *
 * Each length runs twice: plain, and causal (where the fused kernels skip the key blocks above the
 * diagonal and the decomposition computes and masks them). *
 * Every run reads dq, dk and dv back to the host. The two Myelin paths take turns in rounds (the
 * first one a warm-up), so a change in the machine's load hits both. The three start from the same values, so their
 * Σ dq must agree: the check that they compute the same thing.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomValues, timing } from './harness.js';

export interface AttentionBenchOptions {
  minTimeMs: number;
  threads: number;
  lengths: number[];
  torch: boolean;
}

export function attentionOptions(argv: readonly string[]): AttentionBenchOptions {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return {
    minTimeMs: Number(get('min-time') ?? 1500),
    threads: Number(get('threads') ?? 2),
    lengths: (get('lengths') ?? '256,1024').split(',').map(Number),
    torch: !argv.includes('--no-torch'),
  };
}

const BATCH = 8;
const HEADS = 4;
const D = 64;

export interface AttentionRow {
  length: number;
  /** Causal (query i sees keys j ≤ i): the fused kernels skip the key blocks above the diagonal. */
  causal: boolean;
  path: string;
  medianMs?: number;
  minMs?: number;
  /** Median CPU time of the process (user + system, all threads) per run: what a run costs when
   * other work shares the machine and wall time mostly measures waiting. */
  cpuMs?: number;
  reps?: number;
  /** Σ dq, for the agreement check. */
  check?: number;
  error?: string;
}

interface Values {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  r: Float32Array;
}

function values(L: number): Values {
  const n = BATCH * HEADS * L * D;
  return { q: randomValues(n, 71), k: randomValues(n, 72), v: randomValues(n, 73), r: randomValues(n, 74) };
}

async function myelinRows(
  L: number,
  causal: boolean,
  vals: Values,
  o: AttentionBenchOptions,
): Promise<AttentionRow[]> {
  const core = await import('@myelin/core');
  const { wasmBackend } = await import('@myelin/backend-wasm');
  const fused = await wasmBackend({ threads: o.threads });
  // The same backend without the fused kernels: core's decomposition runs instead.
  const plain = await wasmBackend({ threads: o.threads });
  const kernels = { ...plain.kernels } as Record<string, unknown>;
  delete kernels.Attention;
  delete kernels.AttentionGrad;
  Object.defineProperty(plain, 'kernels', { value: kernels });
  const shape = [BATCH, HEADS, L, D];
  const paths = [
    { path: `myelin wasm ${o.threads}t fused`, backend: fused },
    { path: `myelin wasm ${o.threads}t decomposed`, backend: plain },
  ].map((p) => ({
    ...p,
    times: [] as number[],
    cpu: [] as number[],
    check: undefined as number | undefined,
    error: undefined as string | undefined,
  }));
  const inputs = new Map<object, import('@myelin/core').Tensor[]>();
  for (const p of paths) {
    await core.use(p.backend);
    inputs.set(
      p,
      [vals.q, vals.k, vals.v, vals.r].map((x) => core.keep(core.tensor(x, { shape }))),
    );
  }
  const step = (p: (typeof paths)[number]) =>
    core.scope(() => {
      const [q, k, v, r] = inputs.get(p)!;
      const grads = core.grad(
        (a, b, c) => core.sum(core.mul(core.scaledDotProductAttention(a, b, c, { causal }), r!)),
        [0, 1, 2],
      )(q!, k!, v!) as import('@myelin/core').Tensor[];
      const host = grads.map((g) => g.dataSync());
      let total = 0;
      for (const x of host[0]!) total += x;
      return total;
    });
  // Rounds: each path once per round, in turn, so a change in the machine's load hits both.
  const start = performance.now();
  for (
    let round = 0;
    round < 3 || (performance.now() - start < o.minTimeMs * paths.length && round < 50);
    round++
  ) {
    for (const p of paths) {
      if (p.error) continue;
      await core.use(p.backend);
      try {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const check = step(p);
        const dt = performance.now() - t0;
        const dc = process.cpuUsage(c0);
        if (round === 0) {
          p.check = check; // the first run warms up
        } else {
          p.times.push(dt);
          p.cpu.push((dc.user + dc.system) / 1000);
        }
      } catch (e) {
        p.error = e instanceof Error ? e.message : String(e);
      }
    }
  }
  for (const p of paths) {
    await core.use(p.backend);
    for (const t of inputs.get(p)!) t.dispose();
  }
  fused.dispose();
  plain.dispose();
  return paths.map((p) => {
    if (p.error || p.times.length === 0)
      return { length: L, causal, path: p.path, error: p.error ?? 'no run' };
    const t = timing(p.times);
    const cpuMs = timing(p.cpu).medianMs;
    return {
      length: L,
      causal,
      path: p.path,
      medianMs: t.medianMs,
      minMs: t.minMs,
      cpuMs,
      reps: t.reps,
      check: p.check,
    };
  });
}

const TORCH_SCRIPT = `
import json, sys, time, math
import numpy as np
import torch
L, threads, min_time, folder, causal = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000, sys.argv[4], sys.argv[5] == '1'
torch.set_num_threads(threads)
shape = (${BATCH}, ${HEADS}, L, ${D})
t = lambda name: torch.from_numpy(np.fromfile(f'{folder}/{name}.f32', dtype=np.float32).reshape(shape))
q0, k0, v0, r = t('q'), t('k'), t('v'), t('r')
def step():
    q, k, v = (x.clone().requires_grad_(True) for x in (q0, k0, v0))
    s = q @ k.transpose(-2, -1) / math.sqrt(${D})
    if causal:
        s = s.masked_fill(~torch.ones(L, L, dtype=torch.bool).tril(), float('-inf'))
    out = torch.softmax(s, dim=-1) @ v
    dq, dk, dv = torch.autograd.grad((out * r).sum(), (q, k, v))
    return float(dq.sum())
check = step()
times, cpu, total = [], [], 0.0
while len(times) < 3 or total < min_time:
    t0, c0 = time.perf_counter(), time.process_time(); step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    times.append(dt * 1000); cpu.append(dc * 1000); total += dt
med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
print(json.dumps({'medianMs': med(times), 'minMs': min(times), 'cpuMs': med(cpu), 'reps': len(times), 'check': check, 'torch': torch.__version__}))
`;

function torchRow(L: number, causal: boolean, vals: Values, o: AttentionBenchOptions): AttentionRow {
  const path = `pytorch cpu ${o.threads}t`;
  const folder = mkdtempSync(join(tmpdir(), 'myelin-attention-'));
  try {
    for (const [name, x] of Object.entries(vals))
      writeFileSync(join(folder, `${name}.f32`), x as Float32Array);
    const script = join(folder, 'bench.py');
    writeFileSync(script, TORCH_SCRIPT);
    const res = spawnSync(
      '/usr/bin/python3',
      [script, String(L), String(o.threads), String(o.minTimeMs), folder, causal ? '1' : '0'],
      {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: String(o.threads) },
      },
    );
    if (res.status !== 0)
      return { length: L, causal, path, error: (res.stderr || res.error?.message || 'failed').trim() };
    const r = JSON.parse(res.stdout.trim().split('\n').pop()!) as AttentionRow & { torch: string };
    return {
      length: L,
      causal,
      path: `pytorch ${r.torch} cpu ${o.threads}t`,
      medianMs: r.medianMs,
      minMs: r.minMs,
      cpuMs: r.cpuMs,
      reps: r.reps,
      check: r.check,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const fmtMs = (ms: number | undefined) =>
  ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);

/** Run every row, print the table with ratios to the fused kernels, return the rows. */
export async function runAttentionBench(o: AttentionBenchOptions): Promise<AttentionRow[]> {
  const all: AttentionRow[] = [];
  console.log(
    `attention forward + backward, B·H = ${BATCH}·${HEADS}, D = ${D}, L = S; medians of wall and process CPU time`,
  );
  for (const L of o.lengths)
    for (const causal of [false, true]) {
      const vals = values(L);
      const rows = await myelinRows(L, causal, vals, o);
      if (o.torch) rows.push(torchRow(L, causal, vals, o));
      const base = rows[0];
      const ref = base?.check;
      const ratio = (x: number | undefined, b: number | undefined) =>
        x !== undefined && b !== undefined ? `${(x / b).toFixed(2)}×` : '';
      for (const r of rows) {
        const agree =
          ref !== undefined && r.check !== undefined && Math.abs(r.check - ref) > 1e-2 * (1 + Math.abs(ref))
            ? `  Σdq ${r.check.toFixed(4)} DISAGREES with ${ref.toFixed(4)}`
            : '';
        const what = r.error
          ? `error: ${r.error.split('\n').pop()}`
          : `wall ${fmtMs(r.medianMs)} ms (${ratio(r.medianMs, base?.medianMs)})  cpu ${fmtMs(r.cpuMs)} ms (${ratio(r.cpuMs, base?.cpuMs)}) vs fused${agree}`;
        const shape = `L = S = ${String(L).padStart(5)}${causal ? ' causal' : '       '}`;
        console.log(`  ${shape}  ${r.path.padEnd(34)} ${what}`);
      }
      all.push(...rows);
    }
  return all;
}
