"""Shared machinery of the golden-fixture generator (see tools/gen_fixtures.py).

A family module builds cases with `Family.case(...)`: it hands over the input tensors and a torch
function written with our argument semantics; this module runs it in float32, draws seeded random
cotangents, takes the vector-Jacobian products with torch.autograd, measures how far float32 torch
is from a float64 run (to widen the tolerance of ill-conditioned cases), marks cases fit for the
finite-difference gradient check, and serialises everything to JSON.
"""

from __future__ import annotations

import json
import math
import zlib
from typing import Callable, Sequence

import numpy as np
import torch

F32 = torch.float32
I32 = torch.int32
BOOL = torch.bool

# Default tolerances of the TypeScript comparison (keep in sync with packages/backend-testkit/src/compare.ts).
VALUE_RTOL = 1e-5
VALUE_ATOL = 1e-5
GRAD_RTOL = 1e-4
GRAD_ATOL = 1e-4

# Finite-difference check (keep in sync with packages/backend-testkit/src/gradcheck.ts).
FD_REL_STEP = 1e-2
FD_MAX_ELEMENTS = 48
# The generator marks the first cases of each op that pass the check in torch itself.
FD_CASES_PER_OP = 2


def _seed(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def dtype_name(t: torch.Tensor) -> str:
    if t.dtype == torch.bool:
        return "bool"
    if t.dtype.is_floating_point:
        return "float32"
    return "int32"


def _encode_float(v: float) -> float | str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v.is_integer() and abs(v) < 2**53 and not (v == 0 and math.copysign(1.0, v) < 0):
        return int(v)
    # Shortest decimal that round-trips the float32 value: keeps the files small and exact.
    return float(repr(np.float32(v)))


def encode_tensor(t: torch.Tensor) -> dict:
    t = t.detach()
    dt = dtype_name(t)
    flat = t.reshape(-1)
    if dt == "bool":
        data = [bool(v) for v in flat.tolist()]
    elif dt == "int32":
        data = [int(v) for v in flat.tolist()]
    else:
        data = [_encode_float(v) for v in flat.to(F32).tolist()]
    return {"shape": list(t.shape), "dtype": dt, "data": data}


def encode_args(args: dict) -> dict:
    def enc(v):
        if isinstance(v, float) and not math.isfinite(v):
            return _encode_float(v)
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            return {k: enc(x) for k, x in v.items()}
        return v

    return {k: enc(v) for k, v in args.items()}


def _as_tuple(out) -> tuple:
    if isinstance(out, torch.Tensor):
        return (out,)
    return tuple(out)


def _finite(t: torch.Tensor) -> bool:
    return bool(torch.isfinite(t).all()) if t.dtype.is_floating_point else True


class Family:
    """The cases of one fixture file (one op family)."""

    def __init__(self, name: str):
        self.name = name
        self.cases: list[dict] = []
        self._names: set[str] = set()
        self.gen = torch.Generator().manual_seed(_seed(name))
        self._fd_count: dict[str, int] = {}

    # ---- input helpers (seeded; values rounded to 3 decimals so the JSON stays small) ----
    def randn(self, *shape: int, scale: float = 1.0, decimals: int = 3) -> torch.Tensor:
        x = torch.randn(shape, generator=self.gen) * scale
        return torch.round(x * 10**decimals) / 10**decimals

    def uniform(self, lo: float, hi: float, *shape: int, decimals: int = 3) -> torch.Tensor:
        x = torch.rand(shape, generator=self.gen) * (hi - lo) + lo
        return torch.round(x * 10**decimals) / 10**decimals

    def randint(self, lo: int, hi: int, *shape: int) -> torch.Tensor:
        return torch.randint(lo, hi, shape, generator=self.gen).to(I32)

    def randbool(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self.gen) < 0.5

    def perm(self, n: int) -> torch.Tensor:
        return torch.randperm(n, generator=self.gen)

    # ---- the case itself ----
    def case(
        self,
        name: str,
        op: str,
        inputs: Sequence[torch.Tensor],
        fn: Callable[..., torch.Tensor | Sequence[torch.Tensor]],
        args: dict | None = None,
        grad: bool | Sequence[bool] = True,
        gradcheck: bool | None = None,
        note: str | None = None,
        check_f64: bool = True,
    ) -> None:
        """Record one case.

        fn: receives the inputs (float ones as leaves that require grad) and returns the op's
            output(s), written with torch so that it means what OUR op means for `args`.
        grad: differentiate w.r.t. the float inputs (True), none (False) or a per-input mask.
        gradcheck: None = let the generator decide whether the finite-difference check applies,
            False = never (discontinuous or ill-conditioned at these points).
        """
        full = f"{op}/{name}"
        assert full not in self._names, f"duplicate case name {full}"
        self._names.add(full)
        args = dict(args or {})
        inputs = [t.detach().clone() for t in inputs]
        for t in inputs:
            assert t.dtype in (F32, I32, BOOL), (full, t.dtype)

        mask = [grad] * len(inputs) if isinstance(grad, bool) else list(grad)
        assert len(mask) == len(inputs), full
        mask = [m and t.dtype == F32 for m, t in zip(mask, inputs)]

        leaves = [t.clone().requires_grad_(m) for t, m in zip(inputs, mask)]
        outs = _as_tuple(fn(*leaves))
        outs = tuple(_normalise_dtype(o) for o in outs)
        float_outs = [o for o in outs if o.dtype == F32]

        cgen = torch.Generator().manual_seed(_seed(full))
        cots = [torch.round(torch.randn(o.shape, generator=cgen) * 1000) / 1000 for o in float_outs]

        grads: list[torch.Tensor | None] = [None] * len(inputs)
        diff_idx = [i for i, m in enumerate(mask) if m]
        diff_outs = [(o, c) for o, c in zip(float_outs, cots) if o.requires_grad]
        if diff_idx and diff_outs:
            gs = torch.autograd.grad(
                [o for o, _ in diff_outs],
                [leaves[i] for i in diff_idx],
                [c for _, c in diff_outs],
                allow_unused=True,
            )
            for i, g in zip(diff_idx, gs):
                grads[i] = torch.zeros_like(inputs[i]) if g is None else g.detach()
        else:
            diff_idx = []

        if not diff_idx:
            cots = []  # nothing to differentiate: no cotangents are stored
        record = {
            "name": full,
            "op": op,
            "inputs": [encode_tensor(t) for t in inputs],
            "args": encode_args(args),
            "outputs": [encode_tensor(o) for o in outs],
            "cotangents": [encode_tensor(c) for c in cots],
            "grads": [None if g is None else encode_tensor(g) for g in grads],
        }
        tags = _tags(op, inputs, outs)
        if tags:
            record["tags"] = tags
        if note:
            record["note"] = note

        if check_f64:
            tol = _tolerance_from_f64(fn, inputs, mask, outs, grads, cots)
            if tol:
                record["tolerance"] = tol

        if diff_idx and gradcheck is not False and (gradcheck or self._fd_count.get(op, 0) < FD_CASES_PER_OP):
            small = sum(inputs[i].numel() for i in diff_idx) <= FD_MAX_ELEMENTS
            finite = all(_finite(t) for t in inputs) and all(_finite(o) for o in outs)
            ok, checked, total = fd_check(fn, inputs, diff_idx, grads, cots) if small and finite else (False, 0, 1)
            if ok and checked * 2 >= total:
                record["gradcheck"] = True
                self._fd_count[op] = self._fd_count.get(op, 0) + 1
            elif gradcheck:
                print(f"warning: {full}: not fit for the finite-difference check ({checked}/{total} points judged)")
        self.cases.append(record)

    def dump(self, path: str) -> int:
        head = {"generator": "tools/gen_fixtures.py", "torch": torch.__version__, "family": self.name}
        lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in self.cases]
        body = json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n"
        with open(path, "w") as f:
            f.write(body)
        return len(body)


def _normalise_dtype(o: torch.Tensor) -> torch.Tensor:
    if o.dtype == torch.bool or o.dtype == F32:
        return o
    if o.dtype.is_floating_point:
        return o.to(F32)
    assert o.numel() == 0 or int(o.to(torch.int64).abs().max()) < 2**31, "int output out of int32 range"
    return o.to(I32)


# Integer/bool operands that are the op's nature rather than a dtype edge case.
INDEX_OPERANDS = {
    "gather": {1}, "take": {1}, "indexSelect": {1}, "scatter": {1}, "scatterAdd": {1}, "oneHot": {0},
    "embedding": {0}, "maskedFill": {1}, "where": {0},
}  # fmt: skip


def _tags(op: str, inputs: Sequence[torch.Tensor], outs: Sequence[torch.Tensor]) -> list[str]:
    """Edge-case tags: `scalar` (a 0-d input), `empty` (a 0-size input or output) and `dtype` (an
    int32/bool operand going through promotion or an int/bool kernel)."""
    tags = []
    if any(t.dim() == 0 for t in inputs) or (not inputs and any(o.dim() == 0 for o in outs)):
        tags.append("scalar")
    if any(t.numel() == 0 for t in list(inputs) + list(outs)):
        tags.append("empty")
    skip = INDEX_OPERANDS.get(op, set())
    if any(t.dtype != F32 for i, t in enumerate(inputs) if i not in skip):
        tags.append("dtype")
    return tags


def _to64(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float64) if t.dtype == F32 else t


def _tolerance_from_f64(fn, inputs, mask, outs32, grads32, cots) -> dict | None:
    """Run the case in float64; if float32 torch itself is further from it than a quarter of the
    default tolerance, widen this case's tolerance to 4x the observed float32 error."""
    try:
        leaves = [_to64(t).clone().requires_grad_(m) for t, m in zip(inputs, mask)]
        with torch.autograd.set_grad_enabled(True):
            outs64 = _as_tuple(fn(*leaves))
    except Exception:
        return None
    if len(outs64) != len(outs32):
        return None
    tol: dict = {}

    def need(a32: torch.Tensor, a64: torch.Tensor, rtol: float, atol: float) -> float:
        a32 = a32.detach().to(torch.float64)
        a64 = a64.detach().to(torch.float64)
        if a32.shape != a64.shape or a32.numel() == 0:
            return 0.0
        both = torch.isfinite(a32) & torch.isfinite(a64)
        if not both.any():
            return 0.0
        err = (a32 - a64).abs()[both]
        bound = atol + rtol * a64.abs()[both]
        return float((err / bound).max())

    worst = 0.0
    for o32, o64 in zip(outs32, outs64):
        if o32.dtype == F32 and o64.dtype.is_floating_point:
            worst = max(worst, need(o32, o64, VALUE_RTOL, VALUE_ATOL))
    if worst > 0.25:
        s = 4 * worst
        tol["rtol"] = float(f"{VALUE_RTOL * s:.2g}")
        tol["atol"] = float(f"{VALUE_ATOL * s:.2g}")

    diff_idx = [i for i, m in enumerate(mask) if m and grads32[i] is not None]
    f64_outs = [o for o in outs64 if o.dtype.is_floating_point and o.requires_grad]
    if diff_idx and len(f64_outs) == len(cots):
        try:
            gs = torch.autograd.grad(
                f64_outs, [leaves[i] for i in diff_idx], [c.to(torch.float64) for c in cots], allow_unused=True
            )
        except Exception:
            gs = None
        if gs is not None:
            gworst = 0.0
            for i, g in zip(diff_idx, gs):
                if g is not None:
                    gworst = max(gworst, need(grads32[i], g, GRAD_RTOL, GRAD_ATOL))
            if gworst > 0.25:
                s = 4 * gworst
                tol["gradRtol"] = float(f"{GRAD_RTOL * s:.2g}")
                tol["gradAtol"] = float(f"{GRAD_ATOL * s:.2g}")
    return tol or None


# ---- finite differences, the same algorithm as packages/backend-testkit/src/gradcheck.ts ----


def fd_objective(outs: Sequence[torch.Tensor], cots: Sequence[torch.Tensor]) -> tuple[float, float]:
    """(sum_j <out_j, cot_j>, sum_j <|out_j|, |cot_j|>) accumulated in float64 from the float32 outputs."""
    floats = [o.detach().double() for o in outs if o.dtype == F32]
    f = sum(float((o * c.double()).sum()) for o, c in zip(floats, cots))
    fabs = sum(float((o.abs() * c.double().abs()).sum()) for o, c in zip(floats, cots))
    return f, fabs


def fd_check(fn, inputs, diff_idx, grads, cots) -> tuple[bool, int, int]:
    """Central differences in float32 with step 1e-2*max(1,|x|). A point is skipped when the two
    one-sided slopes disagree (a kink, a tie or a jump within the step). Returns (ok, checked, total)."""

    def objective(xs):
        with torch.no_grad():
            return fd_objective([_normalise_dtype(o) for o in _as_tuple(fn(*xs))], cots)

    base = [t.clone() for t in inputs]
    f0, fabs = objective(base)
    ok, checked, total = True, 0, 0
    for i in diff_idx:
        g = grads[i].reshape(-1).double()
        gscale = float(g.abs().max()) if g.numel() else 0.0
        flat = base[i].reshape(-1)
        for j in range(flat.numel()):
            total += 1
            x0 = float(flat[j])
            h = FD_REL_STEP * max(1.0, abs(x0))
            xp = float(np.float32(x0 + h))
            xm = float(np.float32(x0 - h))
            flat[j] = xp
            fp, _ = objective(base)
            flat[j] = xm
            fm, _ = objective(base)
            flat[j] = x0
            verdict = fd_verdict(f0, fp, fm, xp - x0, x0 - xm, fabs, float(g[j]), gscale)
            if verdict is None:
                continue
            checked += 1
            ok = ok and verdict
    return ok, checked, total


def fd_verdict(f0, fp, fm, hp, hm, fabs, g, gscale) -> bool | None:
    """None when the point is not smooth enough to judge; else whether fd agrees with g within 2e-2
    relative (plus float32 rounding noise of the objective and 1e-3 of the largest gradient)."""
    sp = (fp - f0) / hp
    sm = (f0 - fm) / hm
    fd = (fp - fm) / (hp + hm)
    noise = 1e-6 * fabs / min(hp, hm) + 1e-3 * gscale + 1e-5
    if not all(math.isfinite(v) for v in (sp, sm, fd)):
        return None
    if abs(sp - sm) > 0.1 * max(abs(sp), abs(sm)) + noise:
        return None
    return abs(fd - g) <= 2e-2 * max(abs(fd), abs(g)) + noise
