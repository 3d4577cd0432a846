/**
 * Finite-difference gradient check, the same algorithm as `fd_check` in tools/fixtures_common.py
 * (which only marks a case `gradcheck` when it passes there, in torch).
 *
 * For the objective F(x) = Σ_j ⟨f(x)_j, cot_j⟩ (accumulated in float64 from the float32 outputs), each
 * element x0 of a differentiated input is moved to fround(x0 ± h) with h = 1e-2·max(1, |x0|); the
 * central difference is compared with the vjp within 2e-2 relative plus the float32 rounding noise
 * of F. A point is skipped (not judged) when the two one-sided slopes disagree by more than 10%: a
 * kink (relu at 0, abs at 0), a tie (max, sort) or a jump (floor) lies within the step.
 */

export const FD_REL_STEP = 1e-2;

/** (F, Σ |out·cot|): the second term scales the rounding noise of F. */
export function fdObjective(
  outs: readonly ArrayLike<number>[],
  cots: readonly ArrayLike<number>[],
): [number, number] {
  let f = 0;
  let fabs = 0;
  outs.forEach((o, k) => {
    const c = cots[k]!;
    for (let i = 0; i < o.length; i++) {
      const p = o[i]! * c[i]!;
      f += p;
      fabs += Math.abs(p);
    }
  });
  return [f, fabs];
}

export interface FdPoint {
  /** Central difference (fp − fm) / (hp + hm). */
  fd: number;
  /** null: not smooth enough to judge; else whether fd agrees with the vjp gradient. */
  ok: boolean | null;
}

/**
 * Judge one point. f0, fp, fm: the objective at x0, x0 + hp and x0 − hm; fabs: Σ|out·cot| at x0;
 * g: the vjp gradient there; gscale: the largest |gradient| of that input.
 */
export function fdVerdict(
  f0: number,
  fp: number,
  fm: number,
  hp: number,
  hm: number,
  fabs: number,
  g: number,
  gscale: number,
): FdPoint {
  const sp = (fp - f0) / hp;
  const sm = (f0 - fm) / hm;
  const fd = (fp - fm) / (hp + hm);
  const noise = (1e-6 * fabs) / Math.min(hp, hm) + 1e-3 * gscale + 1e-5;
  if (![sp, sm, fd].every(Number.isFinite)) return { fd, ok: null };
  if (Math.abs(sp - sm) > 0.1 * Math.max(Math.abs(sp), Math.abs(sm)) + noise) return { fd, ok: null };
  return { fd, ok: Math.abs(fd - g) <= 2e-2 * Math.max(Math.abs(fd), Math.abs(g)) + noise };
}

/** The perturbed values fround(x0 ± h) and the actual steps taken. */
export function fdSteps(x0: number): { xp: number; xm: number; hp: number; hm: number } {
  const h = FD_REL_STEP * Math.max(1, Math.abs(x0));
  const xp = Math.fround(x0 + h);
  const xm = Math.fround(x0 - h);
  return { xp, xm, hp: xp - x0, hm: x0 - xm };
}
