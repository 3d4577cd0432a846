#!/usr/bin/env python3
"""Golden values for the regularizers of issue 21 (part nn-reg), from PyTorch 1.13.

Writes packages/nn/fixtures/nn21-reg.json:
  renorm       torch.renorm (the max-norm constraint) on several shapes, dims and p
  kl           the KL sparsity penalty and its gradient
  contractive  the batch-mean squared Frobenius norm of an encoder's Jacobian, with create_graph,
               and its gradients with respect to the input and the encoder's parameters
  sws          soft weight sharing: -sum log sum_k pi_k N(w; mu_k, sigma_k^2) and its gradients

Run: /usr/bin/python3 tools/gen_nn21_reg_fixtures.py
"""
import json
import math
import os

import torch

torch.manual_seed(21)
torch.set_default_dtype(torch.float64)


def raw(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def renorm_cases():
    out = []
    specs = [
        ("linear weight [4,3], dim 0, max 1", [4, 3], 0, 2.0, 1.0),
        ("linear weight [4,3], dim 1, max 1.5", [4, 3], 1, 2.0, 1.5),
        ("conv weight [3,2,2,2], dim 0, max 1.2", [3, 2, 2, 2], 0, 2.0, 1.2),
        ("p = 1, dim -1", [2, 5], -1, 1.0, 2.0),
        ("size-1 dims [1,1,3]", [1, 1, 3], 0, 2.0, 0.3),
        ("nothing above the max", [3, 3], 0, 2.0, 100.0),
    ]
    for name, shape, dim, p, maxnorm in specs:
        w = torch.randn(*shape) * 1.5
        out.append({
            "name": name, "dim": dim, "p": p, "maxNorm": maxnorm,
            "input": raw(w), "output": raw(torch.renorm(w, p, dim, maxnorm)),
        })
    return out


def kl_penalty(h, rho):
    rho_hat = h.mean(0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def kl_cases():
    out = []
    for name, shape, rho in [("[5,4], rho 0.1", [5, 4], 0.1),
                             ("[3,2,2], rho 0.3", [3, 2, 2], 0.3),
                             ("batch 1 [1,3], rho 0.05", [1, 3], 0.05)]:
        a = torch.sigmoid(torch.randn(*shape)).requires_grad_(True)
        v = kl_penalty(a, rho)
        (g,) = torch.autograd.grad(v, a)
        out.append({"name": name, "rho": rho, "input": raw(a), "value": float(v), "grad": raw(g)})
    return out


def contractive_value(encoder, x):
    n = x.shape[0]
    h = encoder(x)
    units = h[0].numel()
    total = 0.0
    hf = h.reshape(n, units)
    for j in range(units):
        (gj,) = torch.autograd.grad(hf[:, j].sum(), x, create_graph=True)
        total = total + (gj ** 2).sum()
    return total / n


def contractive_cases():
    out = []
    # one sigmoid layer (Rifai et al.'s closed form applies)
    x = torch.randn(3, 4, requires_grad=True)
    w = (torch.randn(2, 4) * 0.7).requires_grad_(True)
    b = (torch.randn(2) * 0.3).requires_grad_(True)
    v = contractive_value(lambda t: torch.sigmoid(t @ w.T + b), x)
    gx, gw, gb = torch.autograd.grad(v, [x, w, b])
    out.append({"name": "sigmoid layer x[3,4] -> h[3,2]", "kind": "sigmoid",
                "x": raw(x), "params": {"w": raw(w), "b": raw(b)}, "value": float(v),
                "grads": {"x": raw(gx), "w": raw(gw), "b": raw(gb)}})
    # two tanh layers
    for name, n in [("two tanh layers x[2,3] -> h[2,2]", 2), ("batch 1, two tanh layers", 1)]:
        x = torch.randn(n, 3, requires_grad=True)
        w1 = (torch.randn(4, 3) * 0.6).requires_grad_(True)
        b1 = (torch.randn(4) * 0.2).requires_grad_(True)
        w2 = (torch.randn(2, 4) * 0.6).requires_grad_(True)
        b2 = (torch.randn(2) * 0.2).requires_grad_(True)
        enc = lambda t: torch.tanh(torch.tanh(t @ w1.T + b1) @ w2.T + b2)  # noqa: E731
        v = contractive_value(enc, x)
        grads = torch.autograd.grad(v, [x, w1, b1, w2, b2])
        out.append({"name": name, "kind": "tanh2", "x": raw(x),
                    "params": {"w1": raw(w1), "b1": raw(b1), "w2": raw(w2), "b2": raw(b2)},
                    "value": float(v),
                    "grads": dict(zip(["x", "w1", "b1", "w2", "b2"], [raw(g) for g in grads]))})
    return out


def sws_penalty(ws, means, logvars, logits):
    w = torch.cat([t.reshape(-1, 1) for t in ws], 0)
    log_normal = -0.5 * ((w - means) ** 2 / logvars.exp() + logvars + math.log(2 * math.pi))
    return -torch.logsumexp(log_normal + torch.log_softmax(logits, 0), 1).sum()


def sws_cases():
    out = []
    for name, k, shapes in [("3 components, two tensors", 3, [[2, 3], [4]]),
                            ("1 component, one tensor", 1, [[5]])]:
        ws = [torch.randn(*s).requires_grad_(True) for s in shapes]
        means = torch.linspace(-1, 1, k) if k > 1 else torch.zeros(1)
        means = (means + 0.1 * torch.randn(k)).requires_grad_(True)
        logvars = (torch.full([k], 2 * math.log(0.25)) + 0.2 * torch.randn(k)).requires_grad_(True)
        logits = (0.3 * torch.randn(k)).requires_grad_(True)
        v = sws_penalty(ws, means, logvars, logits)
        grads = torch.autograd.grad(v, ws + [means, logvars, logits])
        out.append({"name": name, "components": k,
                    "weights": [raw(t) for t in ws],
                    "means": raw(means), "logVars": raw(logvars), "mixLogits": raw(logits),
                    "value": float(v),
                    "weightGrads": [raw(g) for g in grads[:len(ws)]],
                    "meansGrad": raw(grads[-3]), "logVarsGrad": raw(grads[-2]),
                    "mixLogitsGrad": raw(grads[-1])})
    return out


def main():
    data = {
        "generator": "tools/gen_nn21_reg_fixtures.py",
        "torch": torch.__version__,
        "renorm": renorm_cases(),
        "kl": kl_cases(),
        "contractive": contractive_cases(),
        "sws": sws_cases(),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "packages", "nn", "fixtures", "nn21-reg.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
