"""Initializer statistics (random values cannot match across generators, their distributions can).

init.json holds:
  gains         torch.nn.init.calculate_gain for every nonlinearity
  fans          _calculate_fan_in_and_fan_out for a few shapes
  initializers  for each of our initializers with its options: the equivalent torch.nn.init call's
                sample statistics (mean, std, min, max over a large tensor) and the closed form
                (`bound` of a uniform or `std` of a normal, the support of a truncated normal)
  layers        each layer's default initialisation in PyTorch: per parameter/buffer (state-dict
                name), the sample mean, std, min, max and size
"""

from __future__ import annotations

import json
import math
import os

import torch
import torch.nn as tnn
import torch.nn.init as tinit


def stats(t: torch.Tensor) -> dict:
    t = t.detach().double().reshape(-1)
    return {
        "mean": float(t.mean()),
        "std": float(t.std(unbiased=False)) if t.numel() > 1 else 0.0,
        "min": float(t.min()),
        "max": float(t.max()),
        "size": t.numel(),
    }


def trunc_std(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and std of N(mean, std²) truncated to [a, b]."""
    al, be = (a - mean) / std, (b - mean) / std
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = cdf(be) - cdf(al)
    m = (phi(al) - phi(be)) / z
    v = 1 + (al * phi(al) - be * phi(be)) / z - m * m
    return mean + std * m, std * math.sqrt(v)


def fans(shape):
    t = torch.empty(shape)
    return tinit._calculate_fan_in_and_fan_out(t)


def initializers() -> list[dict]:
    out = []
    def add(name, shape, options, torch_fn, expected):
        t = torch.empty(shape)
        torch.manual_seed(len(out) + 100)
        torch_fn(t)
        out.append({"init": name, "shape": list(shape), "options": options, "torch": stats(t), "expected": expected})

    big = (256, 128)
    conv = (32, 16, 3, 3)
    add("uniform", big, {"a": -0.5, "b": 1.5}, lambda t: tinit.uniform_(t, -0.5, 1.5), {"kind": "uniform", "low": -0.5, "high": 1.5})
    add("normal", big, {"mean": 0.3, "std": 2}, lambda t: tinit.normal_(t, 0.3, 2.0), {"kind": "normal", "mean": 0.3, "std": 2.0})
    add("constant", (3, 4), {"value": 0.7}, lambda t: tinit.constant_(t, 0.7), {"kind": "constant", "value": 0.7})
    for shape in (big, conv):
        fi, fo = fans(shape)
        add("xavierUniform", shape, {}, tinit.xavier_uniform_, {"kind": "uniform", "low": -math.sqrt(6 / (fi + fo)), "high": math.sqrt(6 / (fi + fo))})
        gain = tinit.calculate_gain("relu")
        add("xavierNormal", shape, {"gain": gain}, lambda t, gain=gain: tinit.xavier_normal_(t, gain=gain), {"kind": "normal", "mean": 0, "std": gain * math.sqrt(2 / (fi + fo))})
        add("kaimingUniform", shape, {}, tinit.kaiming_uniform_, {"kind": "uniform", "low": -math.sqrt(6 / fi), "high": math.sqrt(6 / fi)})
        b = math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(fi)
        add("kaimingUniform", shape, {"a": math.sqrt(5)}, lambda t: tinit.kaiming_uniform_(t, a=math.sqrt(5)), {"kind": "uniform", "low": -b, "high": b})
        add("kaimingUniform", shape, {"mode": "fanOut", "nonlinearity": "relu"}, lambda t: tinit.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), {"kind": "uniform", "low": -math.sqrt(6 / fo), "high": math.sqrt(6 / fo)})
        add("kaimingNormal", shape, {"mode": "fanOut", "nonlinearity": "relu"}, lambda t: tinit.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), {"kind": "normal", "mean": 0, "std": math.sqrt(2 / fo)})
        s = math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(fi)
        add("kaimingNormal", shape, {"a": 0.2, "nonlinearity": "leakyRelu"}, lambda t: tinit.kaiming_normal_(t, a=0.2, nonlinearity="leaky_relu"), {"kind": "normal", "mean": 0, "std": s})
        add("kaimingNormal", shape, {"nonlinearity": "tanh"}, lambda t: tinit.kaiming_normal_(t, nonlinearity="tanh"), {"kind": "normal", "mean": 0, "std": (5 / 3) / math.sqrt(fi)})
        # LeCun: torch spells it as kaiming with the linear gain.
        add("lecunUniform", shape, {}, lambda t: tinit.kaiming_uniform_(t, nonlinearity="linear"), {"kind": "uniform", "low": -math.sqrt(3 / fi), "high": math.sqrt(3 / fi)})
        add("lecunNormal", shape, {}, lambda t: tinit.kaiming_normal_(t, nonlinearity="linear"), {"kind": "normal", "mean": 0, "std": 1 / math.sqrt(fi)})
    m, sd = trunc_std(0, 1, -2, 2)
    add("truncatedNormal", big, {}, tinit.trunc_normal_, {"kind": "truncated", "low": -2, "high": 2, "mean": m, "std": sd})
    m, sd = trunc_std(0.1, 0.02, 0.06, 0.14)
    add("truncatedNormal", big, {"mean": 0.1, "std": 0.02, "a": 0.06, "b": 0.14}, lambda t: tinit.trunc_normal_(t, 0.1, 0.02, 0.06, 0.14), {"kind": "truncated", "low": 0.06, "high": 0.14, "mean": m, "std": sd})
    m, sd = trunc_std(1, 0.5, 0, 2.5)
    add("truncatedNormal", big, {"mean": 1, "std": 0.5, "a": 0, "b": 2.5}, lambda t: tinit.trunc_normal_(t, 1, 0.5, 0, 2.5), {"kind": "truncated", "low": 0, "high": 2.5, "mean": m, "std": sd})
    for shape, gain in (((40, 60), 1.0), ((60, 40), 2.0), ((8, 4, 3, 3), 1.0)):
        rows = shape[0]
        cols = math.prod(shape) // rows
        # Every entry of a Haar-orthogonal matrix with orthonormal min(rows, cols) lines has variance gain²/max(rows, cols).
        add("orthogonal", shape, {"gain": gain}, lambda t, gain=gain: tinit.orthogonal_(t, gain), {"kind": "orthogonal", "gain": gain, "std": gain / math.sqrt(max(rows, cols))})
    return out


def layer_defaults() -> list[dict]:
    torch.manual_seed(11)
    specs = [
        ("Linear", [300, 200], {}, tnn.Linear(300, 200)),
        ("Linear", [40, 500], {}, tnn.Linear(40, 500)),
        ("Bilinear", [20, 30, 400], {}, tnn.Bilinear(20, 30, 400)),
        ("Conv1d", [8, 64, 5], {"groups": 2}, tnn.Conv1d(8, 64, 5, groups=2)),
        ("Conv2d", [16, 64, 3], {}, tnn.Conv2d(16, 64, 3)),
        ("ConvTranspose2d", [32, 16, 4], {}, tnn.ConvTranspose2d(32, 16, 4)),
        ("Embedding", [500, 64], {"paddingIdx": 3}, tnn.Embedding(500, 64, padding_idx=3)),
        ("RNN", [32, 64], {}, tnn.RNN(32, 64)),
        ("LSTM", [32, 96], {"numLayers": 2, "bidirectional": True}, tnn.LSTM(32, 96, num_layers=2, bidirectional=True)),
        ("GRU", [32, 80], {}, tnn.GRU(32, 80)),
        ("LSTMCell", [32, 96], {}, tnn.LSTMCell(32, 96)),
        ("MultiheadAttention", [64, 4], {}, tnn.MultiheadAttention(64, 4)),
        ("MultiheadAttention", [64, 4], {"kdim": 32, "vdim": 48, "addBiasKv": True}, tnn.MultiheadAttention(64, 4, kdim=32, vdim=48, add_bias_kv=True)),
        ("BatchNorm2d", [16], {}, tnn.BatchNorm2d(16)),
        ("LayerNorm", [32], {}, tnn.LayerNorm(32)),
        ("GroupNorm", [4, 16], {}, tnn.GroupNorm(4, 16)),
        ("PReLU", [8], {}, tnn.PReLU(8)),
        ("TransformerEncoderLayer", [64, 4], {"dimFeedforward": 256}, tnn.TransformerEncoderLayer(64, 4, 256)),
    ]
    out = []
    for name, args, options, m in specs:
        out.append({"module": name, "args": args, "options": options, "params": {k: stats(v) for k, v in m.state_dict().items()}})
    return out


def write(out_dir: str) -> int:
    gains = {n: tinit.calculate_gain(n) for n in ("linear", "conv1d", "conv2d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu")}
    gains["leaky_relu"] = tinit.calculate_gain("leaky_relu")
    gains["leaky_relu(0.2)"] = tinit.calculate_gain("leaky_relu", 0.2)
    doc = {
        "generator": "tools/gen_nn_fixtures.py",
        "torch": torch.__version__,
        "gains": gains,
        "fans": [{"shape": list(s), "fans": list(fans(s))} for s in ((5, 3), (6, 4, 3, 3), (4, 2, 5), (3, 7, 2, 2, 2))],
        "initializers": initializers(),
        "layers": layer_defaults(),
    }
    text = json.dumps(doc, indent=None, separators=(",", ":"))
    with open(os.path.join(out_dir, "init.json"), "w") as f:
        f.write(text + "\n")
    return len(text) + 1
