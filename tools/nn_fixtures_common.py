"""Shared machinery of the @myelin/nn fixture generator (see tools/gen_nn_fixtures.py).

A case says how to build the Myelin module or call the Myelin function (our class/function name,
our positional arguments and options), and carries what PyTorch computed for the equivalent torch
module: its state_dict (PyTorch names), the inputs, the outputs, seeded random cotangents (one per
float output) and the gradients of sum_j <out_j, cot_j> with respect to the float inputs and every
parameter (by state-dict name). Training-mode cases also carry the buffers after the forward pass
(`stateAfter`: BatchNorm's running statistics).

References inside `args`/`options`/`call`:
  {"$input": i}                            the i-th input tensor
  {"$module": "Name", "args": [...], "options": {...}}   a nested Myelin module (Transformer stacks)

Tolerances: the default comparison is rtol 1e-4 / atol 1e-5 for values, 1e-3 / 1e-4 for
gradients (our layers are compositions of core ops, so float32 rounding differs from PyTorch's
fused kernels). Each case is also run in float64; when float32 torch itself is further than a
quarter of that from float64, the case's tolerance is widened to 4x the observed error.
"""

from __future__ import annotations

import copy
import json
import zlib
from typing import Callable, Sequence

import torch

from fixtures_common import encode_tensor

F32 = torch.float32
I32 = torch.int32

VALUE_RTOL = 1e-4
VALUE_ATOL = 1e-5
GRAD_RTOL = 1e-3
GRAD_ATOL = 1e-4


def crc(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def I(i: int) -> dict:  # noqa: E743 - a reference to input i
    return {"$input": i}


def M(name: str, *args, **options) -> dict:
    """A nested Myelin module spec."""
    spec: dict = {"$module": name, "args": list(args)}
    if options:
        spec["options"] = options
    return spec


def round_(t: torch.Tensor, decimals: int = 4) -> torch.Tensor:
    return torch.round(t * 10**decimals) / 10**decimals


def _flat_outputs(out) -> list[torch.Tensor]:
    if out is None:
        return []
    if isinstance(out, torch.Tensor):
        return [out]
    res: list[torch.Tensor] = []
    for o in out:
        res.extend(_flat_outputs(o))
    return res


def _norm_dtype(t: torch.Tensor) -> torch.Tensor:
    if t.dtype in (torch.float64, torch.float16):
        return t.to(F32)
    if t.dtype == torch.int64:
        return t.to(I32)
    return t


def _to64(x):
    if isinstance(x, torch.Tensor) and x.dtype == F32:
        return x.to(torch.float64)
    return x


def _need(a32: torch.Tensor, a64: torch.Tensor, rtol: float, atol: float) -> float:
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


class NNFamily:
    """The cases of one fixture file."""

    def __init__(self, name: str):
        self.name = name
        self.cases: list[dict] = []
        self._names: set[str] = set()
        self.gen = torch.Generator().manual_seed(crc(name))

    # ---- seeded inputs, rounded to 3 decimals so the JSON stays small ----
    def randn(self, *shape: int, scale: float = 1.0) -> torch.Tensor:
        return round_(torch.randn(shape, generator=self.gen) * scale, 3)

    def uniform(self, lo: float, hi: float, *shape: int) -> torch.Tensor:
        return round_(torch.rand(shape, generator=self.gen) * (hi - lo) + lo, 3)

    def randint(self, lo: int, hi: int, *shape: int) -> torch.Tensor:
        return torch.randint(lo, hi, shape, generator=self.gen).to(I32)

    def _check_name(self, name: str) -> None:
        assert name not in self._names, f"duplicate case {name}"
        self._names.add(name)

    def _grads_and_tolerance(
        self,
        name: str,
        run: Callable[[list[torch.Tensor], bool], tuple[list[torch.Tensor], dict[str, torch.Tensor]]],
        inputs: list[torch.Tensor],
        mask: list[bool],
    ) -> dict:
        """run(inputs, f64) -> (outputs, named params that require grad) on fresh leaves."""
        leaves = [t.clone().requires_grad_(m) for t, m in zip(inputs, mask)]
        outs, params = run(leaves, False)
        outs = [_norm_dtype(o) for o in outs]
        float_outs = [o for o in outs if o.dtype == F32]
        cgen = torch.Generator().manual_seed(crc(name))
        cots = [round_(torch.randn(o.shape, generator=cgen), 3) for o in float_outs]
        diff = [(o, c) for o, c in zip(float_outs, cots) if o.requires_grad]
        targets = [leaves[i] for i, m in enumerate(mask) if m] + list(params.values())
        grads: list = [None] * len(inputs)
        pgrads: dict[str, torch.Tensor] = {}
        if diff and targets:
            gs = torch.autograd.grad([o for o, _ in diff], targets, [c for _, c in diff], allow_unused=True)
            k = 0
            for i, m in enumerate(mask):
                if m:
                    grads[i] = torch.zeros_like(inputs[i]) if gs[k] is None else gs[k]
                    k += 1
            for pname, p in params.items():
                pgrads[pname] = torch.zeros_like(p) if gs[k] is None else gs[k]
                k += 1
        else:
            cots = []
        record = {
            "inputs": [encode_tensor(t) for t in inputs],
            "outputs": [encode_tensor(o) for o in outs],
            "cotangents": [encode_tensor(c) for c in cots],
            "grads": [None if g is None else encode_tensor(g) for g in grads],
        }
        if pgrads:
            record["paramGrads"] = {k: encode_tensor(v) for k, v in pgrads.items()}

        # float64 rerun to widen tolerances of ill-conditioned cases.
        tol: dict = {}
        try:
            leaves64 = [_to64(t).clone().requires_grad_(m) for t, m in zip(inputs, mask)]
            outs64, params64 = run(leaves64, True)
        except Exception as e:  # noqa: BLE001
            print(f"  note: {name}: no float64 rerun ({e})")
            outs64 = None
        if outs64 is not None and len(outs64) == len(outs):
            worst = max([_need(a, b, VALUE_RTOL, VALUE_ATOL) for a, b in zip(outs, outs64) if a.dtype == F32] + [0.0])
            if worst > 0.25:
                tol["rtol"] = float(f"{VALUE_RTOL * 4 * worst:.2g}")
                tol["atol"] = float(f"{VALUE_ATOL * 4 * worst:.2g}")
            f64_outs = [o for o in outs64 if o.dtype == torch.float64 and o.requires_grad]
            t64 = [leaves64[i] for i, m in enumerate(mask) if m] + list(params64.values())
            if cots and len(f64_outs) == len(diff) and t64:
                gs64 = torch.autograd.grad(f64_outs, t64, [c.double() for c in cots], allow_unused=True)
                g32 = [grads[i] for i, m in enumerate(mask) if m] + list(pgrads.values())
                gworst = max([_need(a, b, GRAD_RTOL, GRAD_ATOL) for a, b in zip(g32, gs64) if b is not None] + [0.0])
                if gworst > 0.25:
                    tol["gradRtol"] = float(f"{GRAD_RTOL * 4 * gworst:.2g}")
                    tol["gradAtol"] = float(f"{GRAD_ATOL * 4 * gworst:.2g}")
        if tol:
            record["tolerance"] = tol
        return record

    def module_case(
        self,
        name: str,
        module: str,
        args: list,
        torch_module: torch.nn.Module,
        inputs: Sequence[torch.Tensor],
        *,
        options: dict | None = None,
        mode: str = "train",
        forward: Callable | None = None,
        call: dict | None = None,
        grad: bool | Sequence[bool] = True,
        round_state: int | None = 4,
        note: str | None = None,
    ) -> None:
        """A layer case. `forward(m, *inputs)` calls the torch module (default m(*inputs)); `call`
        says how the TS test calls ours (default: every input positionally)."""
        full = f"{module}/{name}"
        self._check_name(full)
        inputs = [t.detach().clone() for t in inputs]
        m = torch_module
        if round_state is not None:
            with torch.no_grad():
                for p in m.state_dict(keep_vars=True).values():
                    if p.dtype.is_floating_point:
                        p.copy_(round_(p, round_state))
        m.train(mode == "train")
        state = {k: encode_tensor(_norm_dtype(v)) for k, v in m.state_dict().items()}
        initial = copy.deepcopy(m)
        fwd = forward or (lambda mod, *xs: mod(*xs))
        mask = [grad] * len(inputs) if isinstance(grad, bool) else list(grad)
        mask = [mm and t.dtype == F32 for mm, t in zip(mask, inputs)]
        after: dict = {}

        def run(leaves, f64):
            mod = copy.deepcopy(initial)
            if f64:
                mod = mod.double()
            mod.train(mode == "train")
            outs = _flat_outputs(fwd(mod, *leaves))
            if not f64:
                after.update({k: v.detach().clone() for k, v in mod.state_dict().items()})
            return outs, dict(mod.named_parameters())

        record = {"name": full, "kind": "module", "module": module, "args": args}
        if options:
            record["options"] = options
        record["mode"] = mode
        record["state"] = state
        if call:
            record["call"] = call
        body = self._grads_and_tolerance(full, run, inputs, mask)
        record.update(body)
        if after:
            changed = {k: v for k, v in after.items() if not torch.equal(v, initial.state_dict()[k])}
            if changed:
                record["stateAfter"] = {k: encode_tensor(_norm_dtype(v)) for k, v in changed.items()}
        if note:
            record["note"] = note
        self.cases.append(record)

    def fn_case(
        self,
        name: str,
        fn: str,
        inputs: Sequence[torch.Tensor],
        torch_fn: Callable,
        *,
        call: dict | None = None,
        cls: str | None = None,
        grad: bool | Sequence[bool] = True,
        note: str | None = None,
    ) -> None:
        """A function case (losses): `torch_fn(*inputs)`; `call` = {"args": [...], "options": {...}}
        for ours; `cls` names the module class whose constructor takes the options."""
        full = f"{fn}/{name}"
        self._check_name(full)
        inputs = [t.detach().clone() for t in inputs]
        mask = [grad] * len(inputs) if isinstance(grad, bool) else list(grad)
        mask = [mm and t.dtype == F32 for mm, t in zip(mask, inputs)]

        def run(leaves, f64):
            return _flat_outputs(torch_fn(*leaves)), {}

        record = {"name": full, "kind": "function", "fn": fn}
        if cls:
            record["cls"] = cls
        record["call"] = call or {"args": [I(i) for i in range(len(inputs))]}
        record.update(self._grads_and_tolerance(full, run, inputs, mask))
        if note:
            record["note"] = note
        self.cases.append(record)

    def dump(self, path: str) -> int:
        head = {"generator": "tools/gen_nn_fixtures.py", "torch": torch.__version__, "family": self.name}
        lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in self.cases]
        body = json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n"
        with open(path, "w") as f:
            f.write(body)
        return len(body)
