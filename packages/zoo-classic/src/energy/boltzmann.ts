import {
  concat,
  eye,
  Generator,
  keep,
  Module,
  noGrad,
  ones,
  rand,
  type Seed,
  scope,
  type Tensor,
  tensor,
  Variable,
  where,
} from '@myelin/core';

/**
 * A (general) Boltzmann machine (Ackley, Hinton & Sejnowski 1985): binary units s ∈ {0, 1}ⁿ, the
 * first `visible` of them visible and the rest hidden, fully connected by symmetric weights
 * `weight` `[n, n]` with a zero diagonal, and biases `bias` `[n]`. The energy is
 * E(s) = −½ sᵀWs − bᵀs and p(s) ∝ e^{−E(s)}; unit i is on with probability σ(Σⱼ wᵢⱼ sⱼ + bᵢ) given
 * the others. Learning follows the log-likelihood gradient
 *
 *   ∂ log p(v) / ∂wᵢⱼ = ⟨sᵢ sⱼ⟩_clamped − ⟨sᵢ sⱼ⟩_free,
 *
 * both terms estimated by Gibbs sampling (the clamped phase with the visible units fixed to the
 * data; the free phase from persistent chains). Every step is a batched tensor op over chains.
 *
 * @example
 * const bm = new BoltzmannMachine({ visible: 4, hidden: 2, seed: 1 });
 * const g = bm.gradient(data, { chains, sweeps: 5, seed: 2 }); // { weight, bias, chains }
 */
export class BoltzmannMachine extends Module {
  weight: Variable;
  bias: Variable;
  readonly visible: number;
  readonly hidden: number;

  constructor(options: { visible: number; hidden?: number; seed?: Seed; initStd?: number }) {
    super();
    const hidden = options.hidden ?? 0;
    if (!Number.isInteger(options.visible) || options.visible < 1)
      throw new RangeError(`BoltzmannMachine: visible must be an integer ≥ 1, got ${options.visible}`);
    if (!Number.isInteger(hidden) || hidden < 0)
      throw new RangeError(`BoltzmannMachine: hidden must be an integer ≥ 0, got ${hidden}`);
    this.visible = options.visible;
    this.hidden = hidden;
    const n = this.units;
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const std = options.initStd ?? 0.01;
    const raw = gen.normal(n * n, 0, std);
    const w = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        w[i * n + j] = raw[i * n + j]!;
        w[j * n + i] = raw[i * n + j]!;
      }
    const wt = tensor(w, { shape: [n, n] });
    const bt = tensor(new Float32Array(n), { shape: [n] });
    this.weight = new Variable(wt);
    this.bias = new Variable(bt);
    wt.dispose();
    bt.dispose();
  }

  get units(): number {
    return this.visible + this.hidden;
  }

  private checkStates(what: string, s: Tensor, width: number): void {
    if (s.rank !== 2 || s.shape[1] !== width || s.shape[0] === 0)
      throw new RangeError(`${what}: expected [B ≥ 1, ${width}] states, got shape [${s.shape.join(',')}]`);
  }

  /** E(s) = −½ sᵀWs − bᵀs of full states `[B, n]` → `[B]`. */
  energy(s: Tensor): Tensor {
    this.checkStates('BoltzmannMachine.energy', s, this.units);
    return noGrad(() =>
      scope(() =>
        s
          .matmul(this.weight)
          .mul(s)
          .sum(1)
          .mul(-0.5)
          .sub(s.matmul(this.bias.reshape([this.units, 1])).reshape([s.shape[0]!])),
      ),
    );
  }

  /**
   * `sweeps` Gibbs sweeps over the units `from` … n−1 (in order) of states `[B, n]`; units below
   * `from` stay clamped. Returns the new states (the caller owns them).
   */
  gibbs(states: Tensor, options: { sweeps: number; from?: number; seed?: Seed }): Tensor {
    this.checkStates('BoltzmannMachine.gibbs', states, this.units);
    const from = options.from ?? 0;
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const n = this.units;
    let s = keep(states.clone());
    const basis = keep(eye(n));
    try {
      for (let sweep = 0; sweep < options.sweeps; sweep++)
        for (let i = from; i < n; i++) {
          const next = noGrad(() =>
            scope(() => {
              const field = s.matmul(this.weight.slice(null, [i, i + 1])).add(this.bias.slice([i, i + 1])); // [B, 1]
              const on = where(rand([s.shape[0]!, 1], { seed: gen }).less(field.sigmoid()), 1, 0);
              const e = basis.slice([i, i + 1]);
              return s.add(on.sub(s.slice(null, [i, i + 1])).mul(e));
            }),
          );
          s.dispose();
          s = keep(next);
        }
      return s;
    } finally {
      basis.dispose();
    }
  }

  /**
   * The Gibbs estimate of the gradient of the mean negative log-likelihood of visible data
   * `[B, visible]`: clamped statistics from the data with the hidden units sampled (`sweeps` sweeps
   * from `clampedHidden` or zeros), free statistics from `chains` `[C, n]` after `sweeps` sweeps.
   * Returns the gradients (diagonal zero) and the advanced chains; the caller owns all three.
   */
  gradient(
    data: Tensor,
    options: { chains: Tensor; sweeps?: number; seed?: Seed },
  ): { weight: Tensor; bias: Tensor; chains: Tensor } {
    this.checkStates('BoltzmannMachine.gradient', data, this.visible);
    this.checkStates('BoltzmannMachine.gradient (chains)', options.chains, this.units);
    const sweeps = options.sweeps ?? 1;
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const b = data.shape[0]!;
    const start = noGrad(() =>
      scope(() =>
        this.hidden
          ? concat([data, tensor(new Float32Array(b * this.hidden), { shape: [b, this.hidden] })], 1)
          : data.clone(),
      ),
    );
    const clamped = this.hidden ? this.gibbs(start, { sweeps, from: this.visible, seed: gen }) : start;
    if (clamped !== start) start.dispose();
    const free = this.gibbs(options.chains, { sweeps, seed: gen });
    const out = noGrad(() =>
      scope(() => {
        const offDiagonal = ones([this.units, this.units]).sub(eye(this.units));
        const pos = clamped.matmul(clamped, { transposeA: true }).div(b);
        const neg = free.matmul(free, { transposeA: true }).div(free.shape[0]!);
        return {
          weight: neg.sub(pos).mul(offDiagonal),
          bias: free.mean(0).sub(clamped.mean(0)),
        };
      }),
    );
    clamped.dispose();
    return { ...out, chains: free };
  }

  /** One gradient-descent step: W ← W − lr·g.weight, b ← b − lr·g.bias (g from `gradient`). */
  descend(g: { weight: Tensor; bias: Tensor }, lr: number): void {
    if (!(lr > 0)) throw new RangeError(`BoltzmannMachine.descend: lr must be > 0, got ${lr}`);
    const [w, b] = noGrad(() =>
      scope(() => [this.weight.sub(g.weight.mul(lr)), this.bias.sub(g.bias.mul(lr))]),
    );
    this.weight.assign(w!);
    this.bias.assign(b!);
    w!.dispose();
    b!.dispose();
  }

  /**
   * The exact log-probability of each visible row `[B, visible]`, by enumerating all 2ⁿ states
   * (n ≤ 20): log Σ_h e^{−E(v,h)} − log Z.
   */
  exactLogProb(v: Tensor): Float64Array {
    this.checkStates('BoltzmannMachine.exactLogProb', v, this.visible);
    const n = this.units;
    if (n > 20)
      throw new RangeError(`BoltzmannMachine.exactLogProb: ${n} units is too many to enumerate (at most 20)`);
    const w = this.weight.dataSync() as Float32Array;
    const bias = this.bias.dataSync() as Float32Array;
    const negE = (s: Uint8Array) => {
      let e = 0;
      for (let i = 0; i < n; i++) {
        if (!s[i]) continue;
        e += bias[i]!;
        for (let j = i + 1; j < n; j++) if (s[j]) e += w[i * n + j]!;
      }
      return e;
    };
    const s = new Uint8Array(n);
    const all: number[] = [];
    const byVisible = new Map<number, number[]>();
    for (let code = 0; code < 2 ** n; code++) {
      for (let i = 0; i < n; i++) s[i] = (code >> i) & 1;
      const x = negE(s);
      all.push(x);
      const key = code & ((1 << this.visible) - 1);
      let list = byVisible.get(key);
      if (!list) byVisible.set(key, (list = []));
      list.push(x);
    }
    const lse = (xs: number[]) => {
      const m = Math.max(...xs);
      return m + Math.log(xs.reduce((acc, x) => acc + Math.exp(x - m), 0));
    };
    const logZ = lse(all);
    const rows = v.dataSync();
    const out = new Float64Array(v.shape[0]!);
    for (let r = 0; r < out.length; r++) {
      let key = 0;
      for (let i = 0; i < this.visible; i++) {
        const x = Number(rows[r * this.visible + i]);
        if (x !== 0 && x !== 1)
          throw new RangeError(`BoltzmannMachine.exactLogProb: visible values must be 0 or 1, got ${x}`);
        key |= x << i;
      }
      out[r] = lse(byVisible.get(key)!) - logZ;
    }
    return out;
  }
}
