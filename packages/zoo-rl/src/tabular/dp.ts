import type { TabularModel } from './toytext.js';

/**
 * Dynamic programming on a known finite MDP (Sutton & Barto, ch. 4): the exact references the
 * sampling agents are checked against. A state reached by a `terminated` transition contributes
 * no future value.
 */

/** A stochastic policy, `pi[s * nA + a]`. */
export type TabularPolicy = Float64Array;

function checkGamma(fn: string, gamma: number): void {
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`${fn}: gamma must lie in [0, 1], got ${gamma}`);
}

/** Q(s, a) = Σ p · (r + γ·V(s′)·[not terminated]) from `V`. */
export function qFromV(model: TabularModel, v: Float64Array, gamma: number): Float64Array {
  const q = new Float64Array(model.nS * model.nA);
  for (let s = 0; s < model.nS; s++)
    for (let a = 0; a < model.nA; a++) {
      let x = 0;
      for (const [p, next, r, done] of model.P[s]![a]!) x += p * (r + (done ? 0 : gamma * v[next]!));
      q[s * model.nA + a] = x;
    }
  return q;
}

/** Iterative policy evaluation (S&B §4.1, in place) until the largest change is below `theta`. */
export function policyEvaluation(
  model: TabularModel,
  pi: TabularPolicy,
  options: { gamma?: number; theta?: number; maxSweeps?: number } = {},
): Float64Array {
  const gamma = options.gamma ?? 1;
  checkGamma('policyEvaluation', gamma);
  if (pi.length !== model.nS * model.nA)
    throw new RangeError(
      `policyEvaluation: the policy has ${pi.length} entries, expected nS·nA = ${model.nS * model.nA}`,
    );
  const theta = options.theta ?? 1e-10;
  const v = new Float64Array(model.nS);
  for (let sweep = 0; sweep < (options.maxSweeps ?? 100_000); sweep++) {
    let delta = 0;
    for (let s = 0; s < model.nS; s++) {
      let x = 0;
      for (let a = 0; a < model.nA; a++) {
        const w = pi[s * model.nA + a]!;
        if (w === 0) continue;
        for (const [p, next, r, done] of model.P[s]![a]!) x += w * p * (r + (done ? 0 : gamma * v[next]!));
      }
      delta = Math.max(delta, Math.abs(x - v[s]!));
      v[s] = x;
    }
    if (delta < theta) return v;
  }
  return v;
}

/** The greedy (deterministic) policy of `q`; ties go to the lowest action. */
export function greedyPolicy(model: TabularModel, q: Float64Array): TabularPolicy {
  const pi = new Float64Array(model.nS * model.nA);
  for (let s = 0; s < model.nS; s++) {
    let best = 0;
    for (let a = 1; a < model.nA; a++) if (q[s * model.nA + a]! > q[s * model.nA + best]! + 1e-12) best = a;
    pi[s * model.nA + best] = 1;
  }
  return pi;
}

/** The uniform random policy. */
export function uniformPolicy(model: TabularModel): TabularPolicy {
  return new Float64Array(model.nS * model.nA).fill(1 / model.nA);
}

/** Value iteration (S&B §4.4): V*, Q* and a greedy optimal policy. */
export function valueIteration(
  model: TabularModel,
  options: { gamma?: number; theta?: number; maxSweeps?: number } = {},
): { v: Float64Array; q: Float64Array; policy: TabularPolicy; sweeps: number } {
  const gamma = options.gamma ?? 1;
  checkGamma('valueIteration', gamma);
  const theta = options.theta ?? 1e-10;
  const v = new Float64Array(model.nS);
  let sweeps = 0;
  for (; sweeps < (options.maxSweeps ?? 100_000); ) {
    sweeps++;
    let delta = 0;
    for (let s = 0; s < model.nS; s++) {
      let best = -Infinity;
      for (let a = 0; a < model.nA; a++) {
        let x = 0;
        for (const [p, next, r, done] of model.P[s]![a]!) x += p * (r + (done ? 0 : gamma * v[next]!));
        if (x > best) best = x;
      }
      delta = Math.max(delta, Math.abs(best - v[s]!));
      v[s] = best;
    }
    if (delta < theta) break;
  }
  const q = qFromV(model, v, gamma);
  return { v, q, policy: greedyPolicy(model, q), sweeps };
}

/** Policy iteration (S&B §4.3): evaluate, improve greedily, until the policy is stable. */
export function policyIteration(
  model: TabularModel,
  options: { gamma?: number; theta?: number; maxIterations?: number } = {},
): { v: Float64Array; q: Float64Array; policy: TabularPolicy; iterations: number } {
  const gamma = options.gamma ?? 1;
  checkGamma('policyIteration', gamma);
  let pi = uniformPolicy(model);
  for (let it = 1; it <= (options.maxIterations ?? 1000); it++) {
    const v = policyEvaluation(model, pi, { gamma, theta: options.theta });
    const q = qFromV(model, v, gamma);
    const next = greedyPolicy(model, q);
    // Stable when the new greedy action is already optimal under the old values.
    let stable = true;
    for (let s = 0; s < model.nS && stable; s++) {
      let qOld = 0;
      let qNew = 0;
      for (let a = 0; a < model.nA; a++) {
        qOld += pi[s * model.nA + a]! * q[s * model.nA + a]!;
        qNew += next[s * model.nA + a]! * q[s * model.nA + a]!;
      }
      if (qNew > qOld + 1e-9) stable = false;
    }
    pi = next;
    if (stable) return { v, q, policy: pi, iterations: it };
  }
  const v = policyEvaluation(model, pi, { gamma, theta: options.theta });
  return { v, q: qFromV(model, v, gamma), policy: pi, iterations: options.maxIterations ?? 1000 };
}
