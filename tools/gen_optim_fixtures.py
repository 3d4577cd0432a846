#!/usr/bin/python3
"""Golden fixtures for @myelin/optim: torch.optim (PyTorch 1.13) is the oracle.

Run from the repository root:

    /usr/bin/python3 tools/gen_optim_fixtures.py

It rewrites packages/optim/fixtures/*.json:

- optimizers.json  a fixed problem (two parameters W [3,4] and b [4], data X, Y, C) whose loss is
                   mean((X@W + b - Y)^2) + mean(tanh(X@W + b) * C), so the gradients change as the
                   parameters move; for each optimizer and several option sets (param groups,
                   weight decay on and off, ...) the parameters after each of 5 steps.
- lbfgs.json       L-BFGS on the (extended) Rosenbrock function and on a small least-squares
                   problem: the parameters and the returned loss after each step.
- schedulers.json  the learning rates (and cycled momenta) after construction and after each of 30
                   scheduler steps, for each schedule and option set; ReduceLROnPlateau is fed a
                   fixed metric sequence.
- clip.json        clip_grad_norm_ / clip_grad_value_: the total norm and the clipped gradients.

Options are written in Myelin's camelCase form (what the TypeScript test passes to the
constructor); `torch_kwargs` below translates them. Everything runs in float32 with fixed seeds, so
the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "packages", "optim", "fixtures")
STEPS = 5


# ------------------------------------------------------------------------------------------------
# encoding
# ------------------------------------------------------------------------------------------------


def f32(v: float) -> float | int | str:
    """Shortest decimal that round-trips the float32 value."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    v32 = np.float32(v)
    if float(v32).is_integer() and abs(v32) < 2**24:
        return int(v32)
    return float(repr(v32))


def f64(v: float) -> float | int | str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def enc(t: torch.Tensor) -> dict:
    t = t.detach().to(torch.float32)
    return {"shape": list(t.shape), "data": [f32(x) for x in t.reshape(-1).tolist()]}


def camel_to_snake(name: str) -> str:
    out = []
    for ch in name:
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


RENAMES = {"T0": "T_0", "Tmult": "T_mult", "Tmax": "T_max", "minLr": "min_lr", "lineSearchFn": "line_search_fn"}


def torch_kwargs(opts: dict) -> dict:
    out = {}
    for k, v in opts.items():
        key = RENAMES.get(k, camel_to_snake(k))
        out[key] = tuple(v) if k == "betas" else v
    return out


def write(name: str, payload: dict) -> None:
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as fh:
        json.dump(payload, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


def rounded(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    x = torch.randn(shape, generator=gen) * scale
    return torch.round(x * 1000) / 1000


# ------------------------------------------------------------------------------------------------
# first-order optimizers
# ------------------------------------------------------------------------------------------------


def make_problem() -> dict:
    gen = torch.Generator().manual_seed(1234)
    return {
        "X": rounded(gen, 6, 3),
        "Y": rounded(gen, 6, 4),
        "C": rounded(gen, 6, 4),
        "W": rounded(gen, 3, 4, scale=0.5),
        "b": rounded(gen, 4, scale=0.5),
    }


def problem_loss(P: dict, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    z = P["X"] @ W + b
    return ((z - P["Y"]) ** 2).mean() + (torch.tanh(z) * P["C"]).mean()


OPTIMIZERS = {
    "SGD": torch.optim.SGD,
    "Adagrad": torch.optim.Adagrad,
    "RMSprop": torch.optim.RMSprop,
    "Adadelta": torch.optim.Adadelta,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "Adamax": torch.optim.Adamax,
    "NAdam": torch.optim.NAdam,
}

# (optimizer, case name, defaults, groups or None). A group is {"params": [indices], **overrides};
# index 0 is W, 1 is b.
GROUPS = [{"params": [0]}, {"params": [1], "lr": 0.03, "weightDecay": 0.05}]
OPTIMIZER_CASES = [
    ("SGD", "plain", {"lr": 0.1}, None),
    ("SGD", "momentum", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD", "momentum, dampening, weight decay", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weightDecay": 0.01}, None),
    ("SGD", "nesterov, weight decay", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weightDecay": 0.02}, None),
    ("SGD", "maximize", {"lr": 0.02, "momentum": 0.5, "maximize": True}, None),
    ("SGD", "param groups", {"lr": 0.1, "momentum": 0.9}, [{"params": [0]}, {"params": [1], "lr": 0.01, "momentum": 0.5, "nesterov": True}]),
    ("Adagrad", "defaults", {}, None),
    ("Adagrad", "lr decay, weight decay, initial accumulator", {"lr": 0.1, "lrDecay": 0.05, "weightDecay": 0.1, "initialAccumulatorValue": 0.2}, None),
    ("Adagrad", "eps, maximize", {"lr": 0.05, "eps": 1e-3, "maximize": True}, None),
    ("Adagrad", "param groups", {"lr": 0.1}, GROUPS),
    ("RMSprop", "defaults", {}, None),
    ("RMSprop", "centered", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", "momentum", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", "centered, momentum, alpha, weight decay", {"lr": 0.005, "alpha": 0.9, "centered": True, "momentum": 0.5, "weightDecay": 0.1, "eps": 1e-6}, None),
    ("RMSprop", "maximize", {"lr": 0.01, "maximize": True}, None),
    ("RMSprop", "param groups", {"lr": 0.01}, [{"params": [0]}, {"params": [1], "lr": 0.02, "centered": True, "momentum": 0.3}]),
    ("Adadelta", "defaults", {}, None),
    ("Adadelta", "rho, eps, weight decay", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weightDecay": 0.1}, None),
    ("Adadelta", "maximize", {"lr": 2.0, "maximize": True}, None),
    ("Adadelta", "param groups", {"lr": 1.0}, GROUPS),
    ("Adam", "lr 0.01", {"lr": 0.01}, None),
    ("Adam", "amsgrad", {"lr": 0.02, "amsgrad": True}, None),
    ("Adam", "betas, eps, weight decay", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weightDecay": 0.1}, None),
    ("Adam", "amsgrad, weight decay, maximize", {"lr": 0.01, "amsgrad": True, "weightDecay": 0.05, "maximize": True}, None),
    ("Adam", "param groups", {"lr": 0.01}, [{"params": [0]}, {"params": [1], "lr": 0.05, "amsgrad": True, "betas": [0.5, 0.9]}]),
    ("AdamW", "defaults", {}, None),
    ("AdamW", "lr, weight decay 0.1", {"lr": 0.02, "weightDecay": 0.1}, None),
    ("AdamW", "amsgrad, no weight decay", {"lr": 0.02, "amsgrad": True, "weightDecay": 0}, None),
    ("AdamW", "param groups", {"lr": 0.01, "weightDecay": 0.2}, GROUPS),
    ("Adamax", "defaults", {}, None),
    ("Adamax", "betas, eps, weight decay", {"lr": 0.02, "betas": [0.7, 0.95], "eps": 1e-4, "weightDecay": 0.1}, None),
    ("Adamax", "maximize", {"lr": 0.01, "maximize": True}, None),
    ("Adamax", "param groups", {"lr": 0.01}, GROUPS),
    ("NAdam", "defaults", {}, None),
    ("NAdam", "momentum decay, weight decay", {"lr": 0.01, "momentumDecay": 0.02, "weightDecay": 0.1}, None),
    ("NAdam", "betas, eps", {"lr": 0.02, "betas": [0.8, 0.9], "eps": 1e-4}, None),
    ("NAdam", "param groups", {"lr": 0.01}, GROUPS),
]


def run_optimizer(P: dict, name: str, defaults: dict, groups: list | None) -> list:
    W = P["W"].clone().requires_grad_(True)
    b = P["b"].clone().requires_grad_(True)
    params = [W, b]
    cls = OPTIMIZERS[name]
    if groups is None:
        opt = cls(params, **torch_kwargs(defaults))
    else:
        tg = []
        for g in groups:
            over = {k: v for k, v in g.items() if k != "params"}
            tg.append({"params": [params[i] for i in g["params"]], **torch_kwargs(over)})
        opt = cls(tg, **torch_kwargs(defaults))
    steps = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = problem_loss(P, W, b)
        loss.backward()
        opt.step()
        steps.append({"loss": f32(loss.item()), "params": [enc(W), enc(b)]})
    return steps


def gen_optimizers() -> int:
    P = make_problem()
    cases = []
    for name, label, defaults, groups in OPTIMIZER_CASES:
        steps = run_optimizer(P, name, defaults, groups)
        case = {"optimizer": name, "name": f"{name} {label}", "options": defaults, "steps": steps}
        if groups is not None:
            case["groups"] = groups
        cases.append(case)
    write(
        "optimizers.json",
        {
            "note": "loss(W, b) = mean((X@W + b - Y)^2) + mean(tanh(X@W + b) * C); params after each step",
            "problem": {k: enc(v) for k, v in P.items()},
            "cases": cases,
        },
    )
    return len(cases)


# ------------------------------------------------------------------------------------------------
# L-BFGS
# ------------------------------------------------------------------------------------------------


def rosenbrock(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    x = torch.cat([a, b])
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def make_lstsq() -> dict:
    gen = torch.Generator().manual_seed(77)
    return {"A": rounded(gen, 8, 4), "y": rounded(gen, 8), "x0": rounded(gen, 4, scale=0.3), "c0": rounded(gen, 1, scale=0.3)}


def lstsq_loss(Q: dict, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    return ((Q["A"] @ x + c - Q["y"]) ** 2).mean()


# Trajectory cases stop short of float32's noise floor: once successive losses differ by an ulp,
# the line search's choices follow rounding (ours and torch's kernels round differently), so
# trajectories are compared only while the loss still moves. Convergence is checked separately
# against float64 solutions (CONVERGED_CASES).
LBFGS_CASES = [
    ("rosenbrock", "rosenbrock strong_wolfe maxIter 5", {"lr": 1, "maxIter": 5, "historySize": 10, "lineSearchFn": "strong_wolfe"}, 4),
    ("rosenbrock", "rosenbrock strong_wolfe maxIter 8", {"maxIter": 8, "lineSearchFn": "strong_wolfe"}, 2),
    ("rosenbrock", "rosenbrock fixed step", {"lr": 0.02, "maxIter": 4, "historySize": 3}, 3),
    ("lstsq", "least squares strong_wolfe maxIter 4", {"maxIter": 4, "lineSearchFn": "strong_wolfe", "historySize": 3}, 3),
    ("lstsq", "least squares fixed step", {"lr": 0.5, "maxIter": 6, "historySize": 2}, 3),
]

# Run to convergence: the answer is compared with torch's float64 run of the same optimizer.
CONVERGED_CASES = [
    ("rosenbrock", "rosenbrock strong_wolfe defaults, 3 steps", {"lineSearchFn": "strong_wolfe"}, 3),
    ("lstsq", "least squares strong_wolfe defaults, 2 steps", {"lineSearchFn": "strong_wolfe"}, 2),
]


def gen_lbfgs() -> int:
    Q = make_lstsq()
    rosen0 = [torch.tensor([-1.5, 2.0]), torch.tensor([0.5, -0.5])]
    cases = []
    for problem, label, opts, nsteps in LBFGS_CASES:
        if problem == "rosenbrock":
            params = [t.clone().requires_grad_(True) for t in rosen0]
            fn = lambda: rosenbrock(*params)  # noqa: E731
        else:
            params = [Q["x0"].clone().requires_grad_(True), Q["c0"].clone().requires_grad_(True)]
            fn = lambda: lstsq_loss(Q, *params)  # noqa: E731
        opt = torch.optim.LBFGS(params, **torch_kwargs(opts))
        evals = [0]

        def closure():
            opt.zero_grad(set_to_none=True)
            loss = fn()
            loss.backward()
            evals[0] += 1
            return loss

        steps = []
        for _ in range(nsteps):
            loss = opt.step(closure)
            st = opt.state[params[0]]
            steps.append(
                {
                    "loss": f32(float(loss)),
                    "params": [enc(p) for p in params],
                    "funcEvals": st["func_evals"],
                    "nIter": st["n_iter"],
                }
            )
        cases.append({"name": f"LBFGS {label}", "problem": problem, "options": opts, "initial": [enc(p) for p in (rosen0 if problem == "rosenbrock" else [Q["x0"], Q["c0"]])], "steps": steps})
    converged = []
    for problem, label, opts, nsteps in CONVERGED_CASES:
        D = torch.float64
        if problem == "rosenbrock":
            params = [t.clone().to(D).requires_grad_(True) for t in rosen0]
            fn = lambda: rosenbrock(*params)  # noqa: E731
        else:
            Q64 = {k: v.to(D) for k, v in Q.items()}
            params = [Q64["x0"].clone().requires_grad_(True), Q64["c0"].clone().requires_grad_(True)]
            fn = lambda: lstsq_loss(Q64, *params)  # noqa: E731
        opt = torch.optim.LBFGS(params, **torch_kwargs(opts))

        def closure64():
            opt.zero_grad(set_to_none=True)
            loss = fn()
            loss.backward()
            return loss

        for _ in range(nsteps):
            opt.step(closure64)
        with torch.no_grad():
            final = float(fn())
        converged.append({"name": f"LBFGS {label}", "problem": problem, "options": opts, "steps": nsteps, "loss": final, "params": [enc(p) for p in params]})
    write(
        "lbfgs.json",
        {
            "converged": converged,
            "note": "rosenbrock(a, b): x = cat(a, b), sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2); lstsq(x, c) = mean((A@x + c - y)^2)",
            "lstsq": {k: enc(v) for k, v in Q.items()},
            "cases": cases,
        },
    )
    return len(cases) + len(converged)


# ------------------------------------------------------------------------------------------------
# LR schedules
# ------------------------------------------------------------------------------------------------

SCHED_STEPS = 30
S = torch.optim.lr_scheduler


def sched_optimizer(kind: str):
    p1 = torch.zeros(2, requires_grad=True)
    p2 = torch.zeros(3, requires_grad=True)
    groups = [{"params": [p1]}, {"params": [p2], "lr": 0.05}]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def build_scheduler(opt, spec: dict):
    t = spec["type"]
    o = torch_kwargs(spec.get("options", {}))
    if t == "StepLR":
        return S.StepLR(opt, **o)
    if t == "MultiStepLR":
        return S.MultiStepLR(opt, **o)
    if t == "ExponentialLR":
        return S.ExponentialLR(opt, **o)
    if t == "PolynomialLR":
        return S.PolynomialLR(opt, **o)
    if t == "CosineAnnealingLR":
        return S.CosineAnnealingLR(opt, **o)
    if t == "CosineAnnealingWarmRestarts":
        return S.CosineAnnealingWarmRestarts(opt, **o)
    if t == "LinearLR":
        return S.LinearLR(opt, **o)
    if t == "ConstantLR":
        return S.ConstantLR(opt, **o)
    if t == "LambdaLR":
        # the TypeScript test uses the same named lambdas
        return S.LambdaLR(opt, lr_lambda=LAMBDAS[spec["lambda"]])
    if t == "MultiplicativeLR":
        return S.MultiplicativeLR(opt, lr_lambda=LAMBDAS[spec["lambda"]])
    if t == "OneCycleLR":
        return S.OneCycleLR(opt, **o)
    if t == "SequentialLR":
        subs = [build_scheduler(opt, s) for s in spec["schedulers"]]
        return S.SequentialLR(opt, subs, milestones=spec["milestones"])
    if t == "ChainedScheduler":
        subs = [build_scheduler(opt, s) for s in spec["schedulers"]]
        return S.ChainedScheduler(subs)
    if t == "InverseTimeDecay":
        # Keras' tf.keras.optimizers.schedules.InverseTimeDecay as a chainable-free closed form:
        # lr_t = initial_lr / (1 + decay_rate * t / decay_steps), t floored to decay_steps multiples
        # when staircase. Computed here from Keras' formula (torch has no such class).
        return InverseTime(opt, **o)
    raise ValueError(t)


class InverseTime:
    def __init__(self, opt, decay_steps, decay_rate, staircase=False):
        self.opt = opt
        self.base = [g["lr"] for g in opt.param_groups]
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.t = 0
        self._apply()

    def _apply(self):
        p = self.t / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        for g, b in zip(self.opt.param_groups, self.base):
            g["lr"] = b / (1 + self.decay_rate * p)

    def step(self):
        self.t += 1
        self._apply()

    def get_last_lr(self):
        return [g["lr"] for g in self.opt.param_groups]


LAMBDAS = {
    "pow095": lambda e: 0.95**e,
    "halving5": lambda e: 0.5 ** (e // 5),
    "mul09": lambda e: 0.9,
}

SCHEDULER_CASES = [
    ("StepLR step 7 gamma 0.5", {"type": "StepLR", "options": {"stepSize": 7, "gamma": 0.5}}),
    ("StepLR step 3 default gamma", {"type": "StepLR", "options": {"stepSize": 3}}),
    ("MultiStepLR with repeated milestone", {"type": "MultiStepLR", "options": {"milestones": [5, 12, 12, 20], "gamma": 0.3}}),
    ("ExponentialLR gamma 0.9", {"type": "ExponentialLR", "options": {"gamma": 0.9}}),
    ("PolynomialLR defaults", {"type": "PolynomialLR", "options": {}}),
    ("PolynomialLR total 20 power 2", {"type": "PolynomialLR", "options": {"totalIters": 20, "power": 2.0}}),
    ("CosineAnnealingLR Tmax 10 etaMin 0.001", {"type": "CosineAnnealingLR", "options": {"Tmax": 10, "etaMin": 0.001}}),
    ("CosineAnnealingLR Tmax 7", {"type": "CosineAnnealingLR", "options": {"Tmax": 7}}),
    ("CosineAnnealingWarmRestarts T0 5 Tmult 2 etaMin 0.01", {"type": "CosineAnnealingWarmRestarts", "options": {"T0": 5, "Tmult": 2, "etaMin": 0.01}}),
    ("CosineAnnealingWarmRestarts T0 7", {"type": "CosineAnnealingWarmRestarts", "options": {"T0": 7}}),
    ("LinearLR warmup 0.25 to 1 over 8", {"type": "LinearLR", "options": {"startFactor": 0.25, "endFactor": 1.0, "totalIters": 8}}),
    ("LinearLR decay 1 to 0.1 over 10", {"type": "LinearLR", "options": {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 10}}),
    ("LinearLR defaults", {"type": "LinearLR", "options": {}}),
    ("ConstantLR factor 0.5 for 4", {"type": "ConstantLR", "options": {"factor": 0.5, "totalIters": 4}}),
    ("LambdaLR 0.95^epoch", {"type": "LambdaLR", "lambda": "pow095"}),
    ("MultiplicativeLR 0.9", {"type": "MultiplicativeLR", "lambda": "mul09"}),
    ("InverseTimeDecay rate 0.5 steps 4", {"type": "InverseTimeDecay", "options": {"decaySteps": 4, "decayRate": 0.5}}),
    ("InverseTimeDecay staircase", {"type": "InverseTimeDecay", "options": {"decaySteps": 5, "decayRate": 1.0, "staircase": True}}),
    ("OneCycleLR cos (SGD momentum)", {"type": "OneCycleLR", "options": {"maxLr": [1.0, 0.5], "totalSteps": 30}}),
    ("OneCycleLR linear three-phase (Adam betas)", {"type": "OneCycleLR", "optimizer": "adam", "options": {"maxLr": 0.4, "totalSteps": 32, "pctStart": 0.25, "annealStrategy": "linear", "threePhase": True, "divFactor": 10.0, "finalDivFactor": 100.0, "baseMomentum": 0.8, "maxMomentum": 0.9}}),
    ("OneCycleLR epochs x stepsPerEpoch, no momentum cycling", {"type": "OneCycleLR", "options": {"maxLr": 0.3, "epochs": 6, "stepsPerEpoch": 6, "cycleMomentum": False, "pctStart": 0.4}}),
    ("SequentialLR warmup then exponential", {"type": "SequentialLR", "milestones": [5], "schedulers": [{"type": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 5}}, {"type": "ExponentialLR", "options": {"gamma": 0.9}}]}),
    ("SequentialLR constant, cosine, step", {"type": "SequentialLR", "milestones": [4, 15], "schedulers": [{"type": "ConstantLR", "options": {"factor": 0.5, "totalIters": 3}}, {"type": "CosineAnnealingLR", "options": {"Tmax": 10}}, {"type": "StepLR", "options": {"stepSize": 3, "gamma": 0.5}}]}),
    ("ChainedScheduler constant and exponential", {"type": "ChainedScheduler", "schedulers": [{"type": "ConstantLR", "options": {"factor": 0.1, "totalIters": 4}}, {"type": "ExponentialLR", "options": {"gamma": 0.9}}]}),
    ("ChainedScheduler linear warmup and step", {"type": "ChainedScheduler", "schedulers": [{"type": "LinearLR", "options": {"startFactor": 0.2, "totalIters": 6}}, {"type": "StepLR", "options": {"stepSize": 10, "gamma": 0.5}}]}),
]

PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.85, 0.85, 0.86, 0.85, 0.84999, 0.7, 0.71, 0.72, 0.73, 0.74,
                   0.69, 0.70, 0.70, 0.70, 0.70, 0.70, 0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58]

PLATEAU_CASES = [
    ("ReduceLROnPlateau min rel patience 2 factor 0.5", {"patience": 2, "factor": 0.5}, PLATEAU_METRICS),
    ("ReduceLROnPlateau min abs threshold 0.02 cooldown 2 patience 1 minLr per group", {"patience": 1, "factor": 0.3, "thresholdMode": "abs", "threshold": 0.02, "cooldown": 2, "minLr": [0.005, 0.004]}, PLATEAU_METRICS),
    ("ReduceLROnPlateau max rel patience 0 eps 0.01", {"mode": "max", "patience": 0, "factor": 0.5, "eps": 0.01, "minLr": 0.001}, [-m for m in PLATEAU_METRICS]),
    ("ReduceLROnPlateau defaults", {}, PLATEAU_METRICS),
]


def momenta(opt) -> list:
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return out


def gen_schedulers() -> int:
    cases = []
    for label, spec in SCHEDULER_CASES:
        opt = sched_optimizer(spec.get("optimizer", "sgd"))
        sched = build_scheduler(opt, spec)
        lrs = [[f64(v) for v in sched.get_last_lr()]]
        moms = [momenta(opt)]
        for _ in range(SCHED_STEPS):
            opt.step()
            sched.step()
            lrs.append([f64(v) for v in sched.get_last_lr()])
            moms.append(momenta(opt))
        case = {"name": label, "optimizer": spec.get("optimizer", "sgd"), "spec": spec, "lrs": lrs}
        if spec["type"] == "OneCycleLR":
            case["momenta"] = moms
        cases.append(case)
    for label, opts, metrics in PLATEAU_CASES:
        opt = sched_optimizer("sgd")
        sched = S.ReduceLROnPlateau(opt, **torch_kwargs(opts))
        lrs = [[g["lr"] for g in opt.param_groups]]
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append([f64(v) for v in sched._last_lr])
        cases.append({"name": label, "optimizer": "sgd", "spec": {"type": "ReduceLROnPlateau", "options": opts}, "metrics": metrics, "lrs": lrs})
    write(
        "schedulers.json",
        {
            "note": "optimizer: SGD(lr=0.1, momentum=0.9) or Adam(lr=0.1) with two groups (the second with lr 0.05); lrs[0] after construction, lrs[i] after the i-th step",
            "cases": cases,
        },
    )
    return len(cases)


# ------------------------------------------------------------------------------------------------
# clipping
# ------------------------------------------------------------------------------------------------


def gen_clip() -> int:
    gen = torch.Generator().manual_seed(5)
    grads = [rounded(gen, 3, 4), rounded(gen, 5), rounded(gen, 2, 2, scale=3.0)]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (2.0, "inf"), (1.5, 3.0), (0.1, 0.5)]:
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        nt = math.inf if norm_type == "inf" else norm_type
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=nt)
        cases.append(
            {
                "name": f"clipGradNorm maxNorm {max_norm} normType {norm_type}",
                "kind": "norm",
                "maxNorm": max_norm,
                "normType": norm_type,
                "totalNorm": f32(float(total)),
                "grads": [enc(p.grad) for p in ps],
            }
        )
    for clip in [0.5, 2.0]:
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        torch.nn.utils.clip_grad_value_(ps, clip)
        cases.append({"name": f"clipGradValue {clip}", "kind": "value", "clipValue": clip, "grads": [enc(p.grad) for p in ps]})
    write("clip.json", {"inputs": [enc(g) for g in grads], "cases": cases})
    return len(cases)


if __name__ == "__main__":
    counts = {
        "optimizers": gen_optimizers(),
        "lbfgs": gen_lbfgs(),
        "schedulers": gen_schedulers(),
        "clip": gen_clip(),
    }
    print("cases:", counts)
