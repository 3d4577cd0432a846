#!/usr/bin/python3
"""Golden fixtures for the issue-21 optimizers of @myelin/optim; torch.optim (PyTorch 1.13) is the oracle.

Run from the repository root:

    /usr/bin/python3 tools/gen_optim21_fixtures.py

It rewrites packages/optim/fixtures/optim21.json:

- optimizers  RAdam, Rprop, ASGD and SparseAdam on the problem of tools/gen_optim_fixtures.py (same X,
              Y, C, W, b; loss mean((X@W + b - Y)^2) + mean(tanh(X@W + b) * C)), 10 steps each (RAdam's
              rectification switches on after a few steps), with the parameters after every step and,
              for ASGD, the averaged parameters `ax`. SparseAdam is fed the same gradients with some
              rows zeroed, as sparse COO tensors holding only the non-zero rows.
- schedulers  CyclicLR (triangular, triangular2, exp_range, asymmetric up/down, per-group lists) on an
              SGD optimizer with momentum, 30 steps: each group's lr and momentum after construction
              and after every step; SWALR (cos and linear annealing) likewise.
- swa         AveragedModel's running mean of a parameter sequence (torch.optim.swa_utils).
"""

from __future__ import annotations

import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_optim_fixtures import enc, f32, f64, make_problem, problem_loss, torch_kwargs, write  # noqa: E402

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
STEPS = 10

OPTIMIZERS = {"RAdam": torch.optim.RAdam, "Rprop": torch.optim.Rprop, "ASGD": torch.optim.ASGD}
GROUPS = [{"params": [0]}, {"params": [1], "lr": 0.03}]
CASES = [
    ("RAdam", "defaults", {}, None),
    ("RAdam", "lr, beta2 0.9 (rectified from step 6)", {"lr": 0.02, "betas": [0.8, 0.9]}, None),
    ("RAdam", "eps, weight decay", {"lr": 0.01, "betas": [0.9, 0.95], "eps": 1e-4, "weightDecay": 0.1}, None),
    ("RAdam", "param groups", {"lr": 0.01, "betas": [0.9, 0.9]}, [{"params": [0]}, {"params": [1], "lr": 0.03, "weightDecay": 0.05}]),
    ("Rprop", "defaults", {}, None),
    ("Rprop", "etas, step sizes", {"lr": 0.05, "etas": [0.3, 1.5], "stepSizes": [0.01, 0.08]}, None),
    ("Rprop", "maximize", {"lr": 0.01, "maximize": True}, None),
    ("Rprop", "param groups", {"lr": 0.02}, [{"params": [0]}, {"params": [1], "lr": 0.1, "etas": [0.4, 1.1]}]),
    ("ASGD", "defaults", {}, None),
    ("ASGD", "averaging from step 3, lambd, alpha", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 3}, None),
    ("ASGD", "weight decay, maximize", {"lr": 0.05, "weightDecay": 0.1, "t0": 0, "maximize": True}, None),
    ("ASGD", "param groups", {"lr": 0.05, "t0": 2}, [{"params": [0]}, {"params": [1], "lr": 0.2, "lambd": 0.05, "t0": 5}]),
]


def build(params: list, name: str, defaults: dict, groups: list | None, cls):
    if groups is None:
        return cls(params, **torch_kwargs(defaults))
    tg = []
    for g in groups:
        over = {k: v for k, v in g.items() if k != "params"}
        tg.append({"params": [params[i] for i in g["params"]], **torch_kwargs(over)})
    return cls(tg, **torch_kwargs(defaults))


def run_case(P: dict, name: str, defaults: dict, groups: list | None) -> list:
    W = P["W"].clone().requires_grad_(True)
    b = P["b"].clone().requires_grad_(True)
    opt = build([W, b], name, defaults, groups, OPTIMIZERS[name])
    steps = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = problem_loss(P, W, b)
        loss.backward()
        opt.step()
        step = {"loss": f32(loss.item()), "params": [enc(W), enc(b)]}
        if name == "ASGD":
            step["ax"] = [enc(opt.state[W]["ax"]), enc(opt.state[b]["ax"])]
        steps.append(step)
    return steps


# SparseAdam: W's gradient keeps only some rows at each step (the rows a batch touched); b is dense
# but its zero entries are absent too. The mask per step is fixed below.
SPARSE_ROWS = [[0, 2], [1], [0, 1, 2], [2], [0], [0, 2], [1, 2], [0, 1, 2], [1], [0, 2]]
SPARSE_CASES = [
    ("defaults", {}, None),
    ("lr, betas, eps", {"lr": 0.02, "betas": [0.8, 0.95], "eps": 1e-6}, None),
    ("param groups", {"lr": 0.01}, GROUPS),
]


def run_sparse(P: dict, defaults: dict, groups: list | None) -> list:
    # SparseAdam needs sparse gradients: parameters are leaves whose .grad we set by hand from the
    # dense gradient of the problem, rows outside the step's mask removed.
    W = P["W"].clone().requires_grad_(True)
    b = P["b"].clone().requires_grad_(True)
    opt = build([W, b], "SparseAdam", defaults, groups, torch.optim.SparseAdam)
    steps = []
    for t in range(STEPS):
        loss = problem_loss(P, W, b)
        gW, gb = torch.autograd.grad(loss, [W, b])
        rows = SPARSE_ROWS[t]
        mW = torch.zeros_like(gW)
        mW[rows] = 1
        gW = gW * mW
        keep_b = [i for i in range(gb.shape[0]) if (i + t) % 3 != 0]
        mb = torch.zeros_like(gb)
        mb[keep_b] = 1
        gb = gb * mb
        W.grad = torch.sparse_coo_tensor(torch.tensor([rows]), gW[rows], gW.shape)
        b.grad = torch.sparse_coo_tensor(torch.tensor([keep_b]), gb[keep_b], gb.shape)
        opt.step()
        steps.append({"loss": f32(loss.item()), "grads": [enc(gW), enc(gb)], "params": [enc(W), enc(b)]})
    return steps


def gen_optimizers(P: dict) -> list:
    cases = []
    for name, label, defaults, groups in CASES:
        case = {"optimizer": name, "name": f"{name} {label}", "options": defaults, "steps": run_case(P, name, defaults, groups)}
        if groups is not None:
            case["groups"] = groups
        cases.append(case)
    for label, defaults, groups in SPARSE_CASES:
        case = {"optimizer": "SparseAdam", "name": f"SparseAdam {label}", "options": defaults, "steps": run_sparse(P, defaults, groups)}
        if groups is not None:
            case["groups"] = groups
        cases.append(case)
    return cases


# ------------------------------------------------------------------------------------------------
# schedules
# ------------------------------------------------------------------------------------------------

S = torch.optim.lr_scheduler
SCHED_STEPS = 30
SCHED_CASES = [
    ("CyclicLR triangular", "CyclicLR", {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 4}),
    ("CyclicLR triangular2, step down 6", "CyclicLR", {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 3, "stepSizeDown": 6, "mode": "triangular2"}),
    ("CyclicLR exp_range", "CyclicLR", {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 5, "mode": "exp_range", "gamma": 0.95}),
    ("CyclicLR per-group, momentum bounds", "CyclicLR", {"baseLr": [0.01, 0.02], "maxLr": [0.1, 0.05], "stepSizeUp": 4, "baseMomentum": [0.7, 0.8], "maxMomentum": [0.95, 0.9]}),
    ("CyclicLR no momentum cycling", "CyclicLR", {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 2, "cycleMomentum": False}),
    ("SWALR cos", "SWALR", {"swaLr": 0.02, "annealEpochs": 5}),
    ("SWALR linear, per group", "SWALR", {"swaLr": [0.02, 0.005], "annealEpochs": 8, "annealStrategy": "linear"}),
    ("SWALR no annealing", "SWALR", {"swaLr": 0.03, "annealEpochs": 0}),
]


def sched_kwargs(opts: dict) -> dict:
    out = torch_kwargs(opts)
    return {k: (list(v) if isinstance(v, list) else v) for k, v in out.items()}


def gen_schedulers() -> list:
    cases = []
    for label, kind, opts in SCHED_CASES:
        p1 = torch.zeros(2, requires_grad=True)
        p2 = torch.zeros(3, requires_grad=True)
        opt = torch.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.05}], lr=0.1, momentum=0.9)
        sched = (S.CyclicLR if kind == "CyclicLR" else torch.optim.swa_utils.SWALR)(opt, **sched_kwargs(opts))
        lrs = [[f64(g["lr"]) for g in opt.param_groups]]
        moms = [[f64(g["momentum"]) for g in opt.param_groups]]
        for _ in range(SCHED_STEPS):
            opt.step()
            sched.step()
            lrs.append([f64(g["lr"]) for g in opt.param_groups])
            moms.append([f64(g["momentum"]) for g in opt.param_groups])
        cases.append({"name": label, "type": kind, "options": opts, "lrs": lrs, "momenta": moms})
    return cases


def gen_swa() -> dict:
    gen = torch.Generator().manual_seed(21)
    net = torch.nn.Linear(3, 2)
    with torch.no_grad():
        net.weight.copy_(torch.round(torch.randn(2, 3, generator=gen) * 1000) / 1000)
        net.bias.copy_(torch.round(torch.randn(2, generator=gen) * 1000) / 1000)
    swa = torch.optim.swa_utils.AveragedModel(net)
    seq = []
    for _ in range(5):
        with torch.no_grad():
            net.weight.add_(torch.round(torch.randn(2, 3, generator=gen) * 1000) / 1000)
            net.bias.add_(torch.round(torch.randn(2, generator=gen) * 1000) / 1000)
        swa.update_parameters(net)
        seq.append({
            "params": [enc(net.weight), enc(net.bias)],
            "averaged": [enc(swa.module.weight), enc(swa.module.bias)],
            "nAveraged": int(swa.n_averaged.item()),
        })
    return {"steps": seq}


if __name__ == "__main__":
    P = make_problem()
    payload = {
        "note": "issue-21 optimizers vs torch 1.13; problem as optimizers.json",
        "problem": {k: enc(v) for k, v in P.items()},
        "cases": gen_optimizers(P),
        "schedulers": gen_schedulers(),
        "swa": gen_swa(),
    }
    write("optim21.json", payload)
