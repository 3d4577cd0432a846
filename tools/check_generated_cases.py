"""Cross-check the testkit's generated edge cases (float64 reference, packages/backend-testkit/src/
reference.ts) against PyTorch 1.13: recompute every case's outputs with torch, and its gradients
(central differences of the reference) with torch.autograd in float64, and report what differs
beyond the suite's tolerances.

    node -e "import('./packages/backend-testkit/dist/index.js').then((m) =>
      process.stdout.write(m.encodeFixtureFile(m.generatedFixtures())))" > /tmp/generated.json
    /usr/bin/python3 tools/check_generated_cases.py /tmp/generated.json

Values are compared in float64 after casting torch's result (torch keeps int64 where we keep
int32, and has no bool sort or cumsum: such cases are compared after a cast or listed as skipped).
"""

import json
import math
import sys

import torch
import torch.nn.functional as F

DT = {"float32": torch.float32, "int32": torch.int32, "bool": torch.bool}
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def num(v):
    return SPECIAL.get(v, v) if isinstance(v, str) else v


def tensor(t):
    data = [num(v) for v in t["data"]]
    return torch.tensor(data, dtype=torch.float64).reshape(t["shape"]).to(DT[t["dtype"]])


def axes(a, x):
    ax = a.get("axis")
    if ax is None:
        return list(range(x.dim()))
    return ax if isinstance(ax, list) else [ax]


def reduce(fn, x, a):
    """Reduce over each axis in turn (highest first), for ops that take one dim in torch 1.13."""
    keep = a.get("keepdims", False)
    dims = sorted({d % max(x.dim(), 1) for d in axes(a, x)}, reverse=True)
    if x.dim() == 0:
        return fn(x, None, False)
    for d in dims:
        x = fn(x, d, True)
    if not keep:
        for d in dims:
            x = x.squeeze(d)
    return x


def slice_(x, specs):
    index = []
    for s in specs:
        if s is None:
            index.append(slice(None))
        elif isinstance(s, int):
            index.append(s)
        else:
            s = list(s) + [None] * (3 - len(s))
            index.append(slice(*s))
    # torch has no negative steps: flip, then slice the mirrored range
    out = x
    for d, s in enumerate(index):
        if isinstance(s, slice) and s.step is not None and s.step < 0:
            n = out.shape[d]
            idx = list(range(n))[s]
            out = out.index_select(d, torch.tensor(idx, dtype=torch.long))
            index[d] = slice(None)
    return out[tuple(index)]


def pad(x, a):
    mode = a.get("mode", "constant")
    if mode == "constant":
        return F.pad(x.double(), a["pads"], value=float(a.get("value", 0))).to(x.dtype)
    # reflect/replicate want (N, C, *padded dims) in torch: add leading size-1 dims, then drop them
    k = len(a["pads"]) // 2 + 2 - x.dim()
    y = F.pad(x.double().reshape((1,) * k + tuple(x.shape)), a["pads"], mode=mode)
    return y.reshape(y.shape[k:]).to(x.dtype)


UNARY = {
    "logSigmoid": F.logsigmoid, "softplus": F.softplus, "softsign": F.softsign, "relu6": F.relu6,
    "selu": F.selu, "silu": F.silu, "mish": F.mish, "hardSigmoid": F.hardsigmoid,
    "hardSwish": F.hardswish, "isNaN": torch.isnan, "isFinite": torch.isfinite,
    "logicalNot": torch.logical_not,
}
BINARY = {
    "mod": torch.remainder, "floorDiv": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    "equal": torch.eq, "notEqual": torch.ne, "less": torch.lt, "lessEqual": torch.le,
    "greater": torch.gt, "greaterEqual": torch.ge, "logicalAnd": torch.logical_and,
    "logicalOr": torch.logical_or, "logicalXor": torch.logical_xor, "div": torch.true_divide,
}
BIAS_ACT = {"none": lambda x: x, "relu": F.relu, "gelu": F.gelu, "tanh": torch.tanh,
            "sigmoid": torch.sigmoid, "silu": F.silu}


def run(op, xs, a):
    x = xs[0] if xs else None
    if op in UNARY:
        return UNARY[op](x)
    if op in ("leakyRelu", "elu", "celu"):
        return {"leakyRelu": F.leaky_relu, "elu": F.elu, "celu": F.celu}[op](x, a["alpha"])
    if op == "gelu":
        return F.gelu(x, approximate=a.get("approximate", "none"))
    if op == "hardTanh":
        return F.hardtanh(x, a["min"], a["max"])
    if op == "clip":
        return torch.clamp(x, a["min"], a["max"])
    if op in BINARY:
        return BINARY[op](xs[0], xs[1])
    if op in ("add", "sub", "mul", "pow", "maximum", "minimum", "atan2"):
        return getattr(torch, op)(xs[0], xs[1])
    if len(xs) == 1 and op in ("neg", "abs", "sign", "exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round", "trunc"):
        return getattr(torch, op)(x)
    if op == "where":
        return torch.where(xs[0], xs[1], xs[2])
    if op == "cast":
        return x.to(DT[a["dtype"]])
    k = a.get("keepdims", False)
    if op == "sum":
        return reduce(lambda t, d, kd: t.sum() if d is None else t.sum(d, keepdim=kd), x, a)
    if op == "prod":
        return reduce(lambda t, d, kd: t.prod() if d is None else t.prod(d, keepdim=kd), x, a)
    if op in ("max", "min"):
        f = torch.amax if op == "max" else torch.amin
        return f(x, dim=axes(a, x), keepdim=k) if x.numel() else None
    if op in ("any", "all"):
        return reduce(lambda t, d, kd: getattr(t, op)() if d is None else getattr(t, op)(d, keepdim=kd), x, a)
    if op == "mean":
        return x.double().mean(dim=axes(a, x), keepdim=k)
    if op == "logSumExp":
        return torch.logsumexp(x, dim=axes(a, x), keepdim=k)
    if op in ("variance", "std"):
        f = torch.var if op == "variance" else torch.std
        return f(x.double(), dim=axes(a, x), unbiased=a.get("correction", 1) == 1, keepdim=k)
    if op == "norm":
        return torch.linalg.vector_norm(x.double(), dim=axes(a, x), keepdim=k)
    if op in ("argmax", "argmin"):
        f = torch.argmax if op == "argmax" else torch.argmin
        return f(x, dim=a.get("axis"), keepdim=k)
    if op in ("softmax", "logSoftmax"):
        return (F.softmax if op == "softmax" else F.log_softmax)(x, dim=a.get("axis", -1))
    if op in ("matmul", "dot", "outer"):
        f = {"matmul": torch.matmul, "dot": torch.dot, "outer": torch.outer}[op]
        return f(xs[0].double(), xs[1].double()) if xs[0].dtype == torch.int32 else f(xs[0], xs[1])
    if op == "reshape":
        return x.reshape(a["shape"])
    if op == "flatten":
        return x.flatten(a["startDim"], a["endDim"])
    if op == "squeeze":
        return x.squeeze() if "axis" not in a else x.squeeze(a["axis"])
    if op == "unsqueeze":
        return x.unsqueeze(a["axis"])
    if op == "transpose":
        return x.transpose(a["dim0"], a["dim1"])
    if op == "permute":
        return x.permute(a["dims"])
    if op == "broadcastTo":
        return x.broadcast_to(a["shape"])
    if op in ("concat", "stack"):
        return (torch.cat if op == "concat" else torch.stack)(xs, a.get("axis", 0))
    if op == "split":
        return list(torch.split(x, a["sizeOrSizes"], a.get("axis", 0)))
    if op == "slice":
        return slice_(x, a["specs"])
    if op == "pad":
        return pad(x, a)
    if op == "tile":
        return x.tile(a["reps"])
    if op == "repeat":
        return x.repeat_interleave(a["repeats"], a["axis"])
    if op == "flip":
        return x.flip(axes(a, x))
    if op == "roll":
        return x.roll(a["shifts"], a["axis"])
    if op in ("tril", "triu"):
        return getattr(torch, op)(x, a.get("k", 0))
    if op == "gather":
        return torch.gather(x, a["axis"], xs[1].long())
    if op == "take":
        return torch.take(x, xs[1].long())
    if op == "indexSelect":
        return torch.index_select(x, a["axis"], xs[1].long())
    if op == "scatter":
        return torch.scatter(x, a["axis"], xs[1].long(), xs[2])
    if op == "scatterAdd":
        if x.dtype == torch.bool:
            return torch.scatter_add(x.int(), a["axis"], xs[1].long(), xs[2].int()) != 0
        return torch.scatter_add(x, a["axis"], xs[1].long(), xs[2])
    if op == "oneHot":
        return F.one_hot(x.long(), a["numClasses"])
    if op == "maskedFill":
        return x.masked_fill(xs[1], a["value"])
    if op in ("sort", "argsort"):
        t = x.int() if x.dtype == torch.bool else x
        v, i = torch.sort(t, dim=a.get("axis", -1), descending=a.get("descending", False), stable=True)
        return [v, i] if op == "sort" else i
    if op == "topk":
        t = x.int() if x.dtype == torch.bool else x
        return [torch.topk(t, a["k"], dim=a.get("axis", -1), largest=a.get("largest", True), sorted=True)[0]]
    if op in ("cumsum", "cumprod"):
        return getattr(torch, op)(x, a["axis"])
    if op == "conv2d":
        return F.conv2d(x, xs[1], xs[2] if len(xs) > 2 else None, stride=a.get("stride", 1),
                        padding=a.get("padding", 0), dilation=a.get("dilation", 1), groups=a.get("groups", 1))
    if op == "maxPool2d":
        return F.max_pool2d(x, a["kernel"], a.get("stride"), a.get("padding", 0))
    if op == "avgPool2d":
        return F.avg_pool2d(x, a["kernel"], a.get("stride"), a.get("padding", 0))
    if op == "layerNorm":
        return F.layer_norm(x, a["normalizedShape"], xs[1] if len(xs) > 1 else None,
                            xs[2] if len(xs) > 2 else None, a["eps"])
    if op == "biasAct":
        shape = [1] * x.dim()
        shape[a["axis"]] = -1
        return BIAS_ACT[a["activation"]](x + xs[1].reshape(shape))
    if op == "embedding":
        return F.embedding(x.long(), xs[1])
    if op == "dropout":
        return x
    if op == "chunk":
        return list(torch.chunk(x, a["chunks"], a.get("axis", 0)))
    if op == "convTranspose2d":
        return F.conv_transpose2d(x, xs[1], xs[2] if len(xs) > 2 else None, stride=a.get("stride", 1),
                                  padding=a.get("padding", 0), output_padding=a.get("outputPadding", 0))
    if op == "conv1d":
        return F.conv1d(x, xs[1], xs[2] if len(xs) > 2 else None, stride=a.get("stride", 1),
                        padding=a.get("padding", 0))
    if op in ("maxPool1d", "avgPool1d"):
        f = F.max_pool1d if op == "maxPool1d" else F.avg_pool1d
        return f(x, a["kernel"], a.get("stride"), a.get("padding", 0))
    if op == "adaptiveAvgPool2d":
        return F.adaptive_avg_pool2d(x, a["outputSize"])
    if op == "unfold":
        return F.unfold(x, a["kernel"], dilation=a.get("dilation", 1), padding=a.get("padding", 0),
                        stride=a.get("stride", 1))
    if op == "batchNorm":
        return F.batch_norm(x, xs[1], xs[2], xs[3], xs[4], training=False, eps=a["eps"])
    if op == "einsum":
        return torch.einsum(a["equation"], *xs)
    if op == "fullLike":
        return torch.full_like(x, a["value"])
    if op == "scalar":
        return torch.tensor(a["value"], dtype=DT[a["dtype"]])
    if op in ("zeros", "ones"):
        return getattr(torch, op)(a["shape"], dtype=DT[a["dtype"]])
    if op == "full":
        return torch.full(a["shape"], num(a["value"]), dtype=DT[a["dtype"]])
    if op in ("zerosLike", "onesLike"):
        return (torch.zeros_like if op == "zerosLike" else torch.ones_like)(x)
    if op == "eye":
        return torch.eye(a["n"], a.get("m", a["n"]))
    if op == "arange":
        return torch.arange(a.get("start", 0), a["stop"], a.get("step", 1))
    if op == "linspace":
        return torch.linspace(a["start"], a["stop"], a["num"])
    raise KeyError(op)


def close(got, want, dtype, rtol=1e-5, atol=1e-5):
    if dtype != "float32":
        return got == want
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got):
        return got == want
    return abs(got - want) <= atol + rtol * abs(want)


def check_grads(c, a):
    """torch.autograd in float64 of Σ⟨out, cot⟩ against the case's gradients (central differences)."""
    xs = [tensor(t).double() if t["dtype"] == "float32" else tensor(t) for t in c["inputs"]]
    want = c["grads"]
    for i, g in enumerate(want):
        if g is not None:
            xs[i] = xs[i].double().requires_grad_(True)
    out = run(c["op"], xs, a)
    outs = [o for o in (out if isinstance(out, list) else [out]) if o.is_floating_point()]
    total = sum((o * tensor(cot).double().reshape(o.shape)).sum() for o, cot in zip(outs, c["cotangents"]))
    diff = [i for i, g in enumerate(want) if g is not None]
    grads = torch.autograd.grad(total, [xs[i] for i in diff], allow_unused=True)
    errors = []
    for i, g in zip(diff, grads):
        got = (g if g is not None else torch.zeros_like(xs[i])).flatten().tolist()
        exp = [float(num(v)) for v in want[i]["data"]]
        off = [k for k, (u, v) in enumerate(zip(got, exp)) if not close(u, v, "float32", 1e-4, 1e-4)]
        if off:
            errors.append(f"{c['name']} gradient {i}: element {off[0]}: torch {got[off[0]]}, reference {exp[off[0]]}")
    return errors


def main(path):
    cases = json.load(open(path))["cases"]
    bad, skipped = [], []
    graded = 0
    for c in cases:
        xs = [tensor(t) for t in c["inputs"]]
        a = {k: num(v) if not isinstance(v, (list, dict)) else v for k, v in c["args"].items()}
        try:
            out = run(c["op"], xs, a)
        except Exception as e:  # noqa: BLE001 - torch rejects some dtypes we define
            skipped.append(f"{c['name']}: torch raised {type(e).__name__}: {str(e).splitlines()[0][:90]}")
            continue
        if out is None:
            skipped.append(f"{c['name']}: an error in torch (empty max/min)")
            continue
        outs = out if isinstance(out, list) else [out]
        for j, (o, want) in enumerate(zip(outs, c["outputs"])):
            got = o.double().flatten().tolist()
            exp = [float(num(v)) for v in want["data"]]
            shape_ok = list(o.shape) == want["shape"]
            off = [i for i, (g, e) in enumerate(zip(got, exp)) if not close(g, e, want["dtype"])]
            if not shape_ok or len(got) != len(exp) or off:
                i = off[0] if off else 0
                bad.append(f"{c['name']} output {j}: shape {list(o.shape)} vs {want['shape']}; "
                           + (f"element {i}: torch {got[i]}, reference {exp[i]}" if off else "values agree"))
        if any(g is not None for g in c["grads"]):
            graded += 1
            bad.extend(check_grads(c, a))
    print(f"{len(cases)} generated cases ({graded} with gradients): {len(bad)} outputs or gradients differ "
          f"from torch {torch.__version__}, {len(skipped)} cases not comparable")
    for line in bad:
        print("DIFFER", line)
    for line in skipped:
        print("SKIP", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
