import {
  eye,
  fmtShape,
  Generator,
  keep,
  Module,
  noGrad,
  ones,
  type Seed,
  scope,
  type Tensor,
  tensor,
  Variable,
  where,
  zeros,
} from '@myelin/core';

/**
 * How a Hopfield network turns patterns into weights.
 * - `hebbian`: W = (1/N) Σ_μ ξ^μ ξ^μᵀ (Hopfield 1982; Hertz, Krogh & Palmer 1991, eq. 2.9). Stores
 *   about 0.138·N random patterns, far fewer correlated ones (digits share their background).
 * - `storkey`: Storkey's (1997) incremental rule, local and Hebbian-like, with a larger capacity.
 * - `pseudo-inverse`: the projection rule W = Ξᵀ(ΞΞᵀ)⁻¹Ξ (Personnaz, Guyon & Dreyfus 1986): every
 *   linearly independent pattern is a fixed point, correlated or not.
 * Every rule gives a symmetric W with a zero diagonal, so asynchronous updates never raise the energy.
 */
export type HopfieldRule = 'hebbian' | 'storkey' | 'pseudo-inverse';

/** How `Hopfield.recall` updates the units. */
export interface RecallOptions {
  /**
   * `async` (default): one unit at a time in a random order per sweep (the energy never rises);
   * `sync`: every unit at once from the previous state (Little's dynamics; may end in a 2-cycle).
   */
  mode?: 'async' | 'sync';
  /** Sweeps (async: N single-unit updates each) or synchronous steps at most (default 20). */
  maxSweeps?: number;
  /** Seeds the update order of asynchronous sweeps. */
  seed?: Seed;
  /**
   * Snapshot the states this many times per asynchronous sweep (after every ⌈N/k⌉ updates; sync:
   * after each step), for recall sequences. 0 (default): no snapshots.
   */
  snapshotsPerSweep?: number;
  /** Only the first this many states go into snapshots (default all). */
  snapshotRows?: number;
  /** Called after each single-unit update (async) or step (sync) with the current states: for tests. */
  onUpdate?: (states: Tensor) => void;
}

/** What `Hopfield.recall` returns; the caller owns every tensor. */
export interface RecallResult {
  /** The final states, `[B, N]` of ±1. */
  states: Tensor;
  /** Sweeps (or synchronous steps) run, the last one included; fewer than `maxSweeps` means converged. */
  sweeps: number;
  /** Whether a sweep (or step) left every state unchanged. */
  converged: boolean;
  /** The snapshots asked for by `snapshotsPerSweep`, the initial states first. */
  snapshots: Tensor[];
}

/** The ±1 patterns as a host copy, checked: `[P, N]`, every value exactly −1 or +1. */
function checkBipolar(what: string, x: Tensor, size?: number): Float32Array {
  if (x.rank !== 2 || x.shape[0]! < 1 || x.shape[1]! < 2) {
    throw new RangeError(
      `${what}: expected a [count ≥ 1, units ≥ 2] tensor of ±1, got shape ${fmtShape(x.shape)}`,
    );
  }
  if (size !== undefined && x.shape[1] !== size) {
    throw new RangeError(
      `${what}: the network has ${size} units but the states have ${x.shape[1]} (shape ${fmtShape(x.shape)})`,
    );
  }
  const v = Float32Array.from(x.dataSync() as ArrayLike<number>);
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 1 && v[i] !== -1)
      throw new RangeError(`${what}: every value must be −1 or +1, got ${v[i]} at flat index ${i}`);
  }
  return v;
}

/** The inverse of a small symmetric positive-definite matrix (Gauss–Jordan with partial pivoting, on the host). */
function invertSmall(what: string, a: Float64Array, n: number): Float64Array {
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j]!;
    m[i * 2 * n + n + i] = 1;
  }
  const w = 2 * n;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * w + c]!) > Math.abs(m[p * w + c]!)) p = r;
    const pivot = m[p * w + c]!;
    if (Math.abs(pivot) < 1e-9 * n)
      throw new RangeError(`${what}: the patterns are linearly dependent (their Gram matrix is singular)`);
    if (p !== c)
      for (let j = 0; j < w; j++) {
        const t = m[c * w + j]!;
        m[c * w + j] = m[p * w + j]!;
        m[p * w + j] = t;
      }
    for (let j = 0; j < w; j++) m[c * w + j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * w + c]!;
      if (f !== 0) for (let j = 0; j < w; j++) m[r * w + j]! -= f * m[c * w + j]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inv[i * n + j] = m[i * w + n + j]!;
  return inv;
}

/**
 * A Hopfield network of N ±1 units: symmetric weights `weight` `[N, N]` with a zero diagonal and
 * thresholds folded into `bias` `[N]` (zero for the storage rules here). A unit's local field is
 * hᵢ = Σⱼ wᵢⱼ sⱼ + bᵢ and its update sᵢ ← +1 if hᵢ ≥ 0 else −1. The energy
 * E(s) = −½ sᵀWs − bᵀs never rises under asynchronous updates (Hopfield 1982).
 *
 * @example
 * const net = Hopfield.store(patterns, { rule: 'hebbian' }); // patterns [P, N] of ±1
 * const { states } = net.recall(noisy, { seed: 1 });
 */
export class Hopfield extends Module {
  weight: Variable;
  bias: Variable;
  readonly size: number;

  /** An empty network (zero weights) of `size` units; fill it with `Hopfield.store`. */
  constructor(size: number) {
    super();
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`Hopfield: size must be an integer ≥ 2, got ${size}`);
    this.size = size;
    const w = zeros([size, size]);
    const b = zeros([size]);
    this.weight = new Variable(w);
    this.bias = new Variable(b);
    w.dispose();
    b.dispose();
  }

  /**
   * A network storing `patterns` (`[P, N]`, each value −1 or +1) by `rule` (default `hebbian`).
   *
   * @throws RangeError naming the problem: a wrong shape, a value other than ±1, or (pseudo-inverse)
   *   linearly dependent patterns
   */
  static store(patterns: Tensor, options: { rule?: HopfieldRule } = {}): Hopfield {
    const rule = options.rule ?? 'hebbian';
    if (rule !== 'hebbian' && rule !== 'storkey' && rule !== 'pseudo-inverse')
      throw new RangeError(`Hopfield.store: rule must be hebbian, storkey or pseudo-inverse, got '${rule}'`);
    const host = checkBipolar('Hopfield.store', patterns);
    const [p, n] = patterns.shape as [number, number];
    const net = new Hopfield(n);
    const w = noGrad(() =>
      scope(() => {
        const xi = tensor(host, { shape: [p, n] });
        const offDiagonal = ones([n, n]).sub(eye(n));
        let full: Tensor;
        if (rule === 'hebbian') {
          full = xi.matmul(xi, { transposeA: true }).div(n);
        } else if (rule === 'pseudo-inverse') {
          const gram = Float64Array.from(xi.matmul(xi, { transposeB: true }).dataSync() as ArrayLike<number>);
          const inv = tensor(Float32Array.from(invertSmall('Hopfield.store (pseudo-inverse)', gram, p)), {
            shape: [p, p],
          });
          full = xi.matmul(inv.matmul(xi), { transposeA: true });
        } else {
          // Storkey (1997): w ← w + (1/N)(ξᵢξⱼ − ξᵢhⱼᵢ − hᵢⱼξⱼ), hᵢⱼ = Σ_{k≠i,j} wᵢₖξₖ; with a zero
          // diagonal hᵢⱼ = hᵢ − wᵢⱼξⱼ, hᵢ the local field of the new pattern.
          full = zeros([n, n]);
          for (let mu = 0; mu < p; mu++) {
            const x = xi.slice([mu, mu + 1]); // [1, N]
            const h = x.matmul(full, { transposeB: true }); // [1, N]: hᵢ
            const hij = h.transpose().sub(full.mul(x)); // [N, N]: hᵢ − wᵢⱼξⱼ
            const outer = x.transpose().matmul(x);
            const update = outer.sub(x.transpose().mul(hij.transpose())).sub(hij.mul(x));
            full = full.add(update.div(n)).mul(offDiagonal);
          }
        }
        return full.mul(offDiagonal);
      }),
    );
    net.weight.assign(w);
    w.dispose();
    return net;
  }

  /** Local fields h = sWᵀ + b of states `[B, N]`. */
  field(states: Tensor): Tensor {
    this.checkStates('Hopfield.field', states);
    return states.matmul(this.weight, { transposeB: true }).add(this.bias);
  }

  /** E(s) = −½ sᵀWs − bᵀs of each state: `[B, N]` → `[B]`. */
  energy(states: Tensor): Tensor {
    this.checkStates('Hopfield.energy', states);
    return noGrad(() =>
      scope(() => {
        const quad = states.matmul(this.weight).mul(states).sum(1).mul(-0.5);
        return quad.sub(states.matmul(this.bias.reshape([this.size, 1])).reshape([states.shape[0]!]));
      }),
    );
  }

  /**
   * Run the dynamics from `states` (`[B, N]` of ±1) until no unit changes in a whole sweep (or
   * synchronous step), or `maxSweeps` ran out.
   */
  recall(states: Tensor, options: RecallOptions = {}): RecallResult {
    checkBipolar('Hopfield.recall', states, this.size);
    const maxSweeps = options.maxSweeps ?? 20;
    if (!Number.isInteger(maxSweeps) || maxSweeps < 1)
      throw new RangeError(`Hopfield.recall: maxSweeps must be an integer ≥ 1, got ${maxSweeps}`);
    const per = options.snapshotsPerSweep ?? 0;
    if (!Number.isInteger(per) || per < 0)
      throw new RangeError(`Hopfield.recall: snapshotsPerSweep must be an integer ≥ 0, got ${per}`);
    const rows = Math.min(options.snapshotRows ?? states.shape[0]!, states.shape[0]!);
    const snapshots: Tensor[] = [];
    const snap = (s: Tensor) => {
      if (per > 0) snapshots.push(keep(s.slice([0, rows])));
    };
    return noGrad(() =>
      options.mode === 'sync'
        ? this.recallSync(states, maxSweeps, snap, snapshots, options)
        : this.recallAsync(states, maxSweeps, per, snap, snapshots, options),
    );
  }

  private recallSync(
    start: Tensor,
    maxSweeps: number,
    snap: (s: Tensor) => void,
    snapshots: Tensor[],
    options: RecallOptions,
  ): RecallResult {
    let s = keep(start.clone());
    snap(s);
    for (let step = 1; step <= maxSweeps; step++) {
      const next = keep(scope(() => where(this.field(s).greaterEqual(0), 1, -1)));
      const changed = scope(() => next.notEqual(s).any().item()) as unknown as boolean;
      s.dispose();
      s = next;
      snap(s);
      options.onUpdate?.(s);
      if (!changed) return { states: s, sweeps: step, converged: true, snapshots };
    }
    return { states: s, sweeps: maxSweeps, converged: false, snapshots };
  }

  private recallAsync(
    start: Tensor,
    maxSweeps: number,
    per: number,
    snap: (s: Tensor) => void,
    snapshots: Tensor[],
    options: RecallOptions,
  ): RecallResult {
    const n = this.size;
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const every = per > 0 ? Math.ceil(n / per) : 0;
    // The local fields are kept up to date as units flip: hⱼ += Δsᵢ·wᵢⱼ (W is symmetric).
    let s = keep(start.clone());
    let h = keep(scope(() => this.field(s)));
    const units = keep(eye(n));
    snap(s);
    try {
      for (let sweep = 1; sweep <= maxSweeps; sweep++) {
        const order = gen.permutation(n);
        const atStart = keep(s.clone());
        for (let k = 0; k < n; k++) {
          const i = order[k]!;
          const [ns, nh] = scope(() => {
            const delta = where(h.slice(null, [i, i + 1]).greaterEqual(0), 1, -1).sub(
              s.slice(null, [i, i + 1]),
            ); // 0 or ±2
            return [
              s.add(delta.mul(units.slice([i, i + 1]))),
              h.add(delta.mul(this.weight.slice([i, i + 1]))),
            ] as const;
          });
          s.dispose();
          h.dispose();
          s = keep(ns);
          h = keep(nh);
          options.onUpdate?.(s);
          if (every > 0 && ((k + 1) % every === 0 || k === n - 1)) snap(s);
        }
        // One read per sweep: did any unit of any state change?
        const changed = scope(() => s.notEqual(atStart).any().item());
        atStart.dispose();
        if (!changed) return { states: s, sweeps: sweep, converged: true, snapshots };
      }
      return { states: s, sweeps: maxSweeps, converged: false, snapshots };
    } finally {
      h.dispose();
      units.dispose();
    }
  }

  private checkStates(what: string, states: Tensor): void {
    if (states.rank !== 2 || states.shape[1] !== this.size)
      throw new RangeError(`${what}: expected states [B, ${this.size}], got shape ${fmtShape(states.shape)}`);
  }
}

/**
 * `count` copies of each pattern with exactly `round(flip·N)` units flipped, chosen at random:
 * `[P·count, N]`, pattern-major (rows 0..count−1 are copies of pattern 0).
 */
export function corruptPatterns(
  patterns: Tensor,
  options: { flip: number; count: number; seed?: Seed },
): Tensor {
  const host = checkBipolar('corruptPatterns', patterns);
  const { flip, count } = options;
  if (!(flip >= 0 && flip <= 1)) throw new RangeError(`corruptPatterns: flip must be in [0, 1], got ${flip}`);
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`corruptPatterns: count must be an integer ≥ 1, got ${count}`);
  const [p, n] = patterns.shape as [number, number];
  const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
  const flips = Math.round(flip * n);
  const out = new Float32Array(p * count * n);
  for (let mu = 0; mu < p; mu++) {
    for (let c = 0; c < count; c++) {
      const row = (mu * count + c) * n;
      out.set(host.subarray(mu * n, (mu + 1) * n), row);
      const order = gen.permutation(n);
      for (let k = 0; k < flips; k++) out[row + order[k]!]! *= -1;
    }
  }
  return tensor(out, { shape: [p * count, n] });
}

/**
 * Storage capacity measured: for each pattern count P, store P random ±1 patterns of `size` units
 * (`trials` times) and count the bits that one synchronous update from a stored pattern would flip
 * (`bitErrorRate`), and the patterns that are exact fixed points (`stableFraction`). For the
 * Hebbian rule the bit error rate is close to Φ(−√((N−1)/(P−1))) (Hertz, Krogh & Palmer, §2.2).
 */
export function hopfieldCapacity(options: {
  size: number;
  counts: readonly number[];
  trials?: number;
  rule?: HopfieldRule;
  seed?: Seed;
}): { patterns: number; bitErrorRate: number; stableFraction: number }[] {
  const { size, counts } = options;
  const trials = options.trials ?? 1;
  if (!Number.isInteger(size) || size < 2)
    throw new RangeError(`hopfieldCapacity: size must be an integer ≥ 2, got ${size}`);
  if (!Number.isInteger(trials) || trials < 1)
    throw new RangeError(`hopfieldCapacity: trials must be an integer ≥ 1, got ${trials}`);
  const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
  return counts.map((p) => {
    if (!Number.isInteger(p) || p < 1)
      throw new RangeError(`hopfieldCapacity: pattern counts must be integers ≥ 1, got ${p}`);
    let errors = 0;
    let stable = 0;
    for (let t = 0; t < trials; t++) {
      const bits = gen.bernoulli(0.5, p * size);
      const xi = tensor(
        Float32Array.from(bits, (b) => (b ? 1 : -1)),
        { shape: [p, size] },
      );
      const net = Hopfield.store(xi, { rule: options.rule });
      const wrong = noGrad(() =>
        scope(() => where(net.field(xi).greaterEqual(0), 1, -1).notEqual(xi).cast('float32')),
      );
      const perRow = wrong.sum(1);
      const rows = perRow.dataSync();
      for (const r of rows) {
        errors += Number(r);
        if (Number(r) === 0) stable++;
      }
      for (const x of [xi, wrong, perRow]) x.dispose();
      net.dispose();
    }
    return { patterns: p, bitErrorRate: errors / (p * size * trials), stableFraction: stable / (p * trials) };
  });
}
