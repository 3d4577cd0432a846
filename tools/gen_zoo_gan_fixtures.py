#!/usr/bin/env python3
"""Golden values for @myelin/zoo-gan's tests, from PyTorch 1.13 and numpy/scipy.

Run with /usr/bin/python3 (the one with torch):
    /usr/bin/python3 tools/gen_zoo_gan_fixtures.py
Writes packages/zoo-gan/fixtures/gan.json:
  - frechet: two feature sets (four decimals) and the Fréchet distance of their Gaussians, computed in
    float64 as pytorch-fid does (scipy.linalg.sqrtm of Σ1·Σ2), plus numpy's mean and covariance (top-left 5×5);
  - penalty: a small WGAN-GP critic (DCGAN layout, width 2, no batch norm), a batch of real and
    fake images, ε, the penalty λ·mean((‖∇x̂ D(x̂)‖ − 1)²) and its gradient w.r.t. every critic
    weight (autograd.grad with create_graph=True, as Gulrajani et al.'s code);
  - losses: logits and the discriminator / generator (minimax, non-saturating) losses.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from scipy import linalg
except ImportError:  # numpy's eigh gives the same closed form
    linalg = None

torch.manual_seed(0)
rng = np.random.default_rng(0)
out = {}

# ---- Fréchet distance --------------------------------------------------------------------------
def frechet(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    diff = mu1 - mu2
    if linalg is not None:
        covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
        covmean = covmean.real
        tr = np.trace(covmean)
        how = "scipy.linalg.sqrtm(S1 @ S2)"
    else:
        w, v = np.linalg.eigh(s1)
        r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
        tr = np.sqrt(np.clip(np.linalg.eigvalsh(r @ s2 @ r), 0, None)).sum()
        how = "numpy eigh"
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * tr), s1, how

cases = []
for (n, d, shift) in [(40, 5, 0.5), (150, 84, 0.3)]:
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    # Four decimals, so the JSON holds exactly the values the distance was computed from.
    a = np.round(rng.normal(size=(n, d)) @ mix, 4)
    b = np.round(rng.normal(size=(n + 7, d)) @ (mix * 1.3) + shift, 4)
    # ReLU-like features (the judge's penultimate layer is after a ReLU): many exact zeros.
    if d == 84:
        a = np.maximum(a, 0)
        b = np.maximum(b, 0)
    fd, s1, how = frechet(a, b)
    cases.append({
        "n1": n, "n2": n + 7, "d": d,
        "a": [float(v) for v in a.ravel()],
        "b": [float(v) for v in b.ravel()],
        "distance": fd,
        "self": frechet(a, a)[0],
        "meanA": [float(v) for v in a.astype(np.float64).mean(0)],
        "covA": [float(v) for v in s1[:5, :5].ravel()],
        "method": how,
    })
out["frechet"] = cases

# ---- Gradient penalty through a conv critic -----------------------------------------------------
w = 2
critic = nn.Sequential(
    nn.Conv2d(1, w, 4, 2, 1, bias=False),
    nn.LeakyReLU(0.2),
    nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),
    nn.LeakyReLU(0.2),
    nn.Conv2d(2 * w, 1, 7, 1, 0, bias=False),
    nn.Flatten(),
)
for p in critic.parameters():
    nn.init.normal_(p, 0.0, 0.3)
n = 3
real = torch.rand(n, 1, 28, 28) * 2 - 1
fake = torch.tanh(torch.randn(n, 1, 28, 28))
eps = torch.rand(n, 1, 1, 1)
xhat = (eps * real + (1 - eps) * fake).requires_grad_(True)
scores = critic(xhat).view(-1)
(g,) = torch.autograd.grad(scores, xhat, torch.ones_like(scores), create_graph=True)
norms = g.view(n, -1).norm(2, dim=1)
penalty = 10 * ((norms - 1) ** 2).mean()
grads = torch.autograd.grad(penalty, list(critic.parameters()))
out["penalty"] = {
    "width": w,
    "weights": {f"net.{k}": {"shape": list(v.shape), "data": [float(x) for x in v.detach().ravel()]} for k, v in critic.state_dict().items()},
    "real": [float(x) for x in real.ravel()],
    "fake": [float(x) for x in fake.ravel()],
    "epsilon": [float(x) for x in eps.ravel()],
    "norms": [float(x) for x in norms.detach()],
    "penalty": float(penalty),
    "grads": {f"net.{k}": [float(x) for x in gr.ravel()] for (k, _), gr in zip(critic.named_parameters(), grads)},
}

# ---- Losses ------------------------------------------------------------------------------------
lr_ = torch.tensor([2.0, -1.0, 0.5, 30.0])
lf = torch.tensor([-3.0, 0.0, 1.5, -40.0])
out["losses"] = {
    "real": lr_.tolist(),
    "fake": lf.tolist(),
    "discriminator": float(F.binary_cross_entropy_with_logits(lr_, torch.ones(4)) + F.binary_cross_entropy_with_logits(lf, torch.zeros(4))),
    "minimax": float(-F.binary_cross_entropy_with_logits(lf, torch.zeros(4))),
    "nonSaturating": float(F.binary_cross_entropy_with_logits(lf, torch.ones(4))),
}

path = os.path.join(os.path.dirname(__file__), "..", "packages", "zoo-gan", "fixtures", "gan.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path, "frechet via", cases[0]["method"])
