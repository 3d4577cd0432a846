#!/usr/bin/python3
"""Golden fixtures for issue 21's canon gaps (HashedLinear, lowRankFactorise, DeltaBarDelta).

Run from the repository root:

    /usr/bin/python3 tools/gen_canon_gaps_fixtures.py

It writes

- packages/nn/fixtures/canon-gaps.json
    hashed   HashedNets (Chen et al. 2015): the bucket index h(i, j) and sign xi(i, j) of every
             virtual weight, from this file's own implementation of the hash spec below, and
             plain PyTorch 1.13's forward and backward of y = x @ (xi * w[h]).T + b with the
             loss sum(y * C): y, dL/dx, dL/dw (accumulated into the shared buckets), dL/db.
    lowRank  torch.linalg.svd's best rank-r approximation U_r diag(S_r) Vh_r of a matrix, its
             singular values, and the Frobenius error sqrt(sum of the dropped S^2) (Eckart-Young).
- packages/optim/fixtures/canon-gaps.json
    dbd      delta-bar-delta (Jacobs 1988) run by a float64 numpy implementation of the paper's
             rule on a coupled 2-D quadratic f(w) = 1/2 w.A.w - b.w: the parameters after each step.

The hash (uint32 arithmetic, murmur3's fmix32 finaliser as the mixer):

    fmix(h)   = h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16
    key(s, t) = fmix(s * 0x9e3779b9 + t * 0x85ebca6b + 1)        (t = 0 bucket stream, 1 sign stream)
    hash(s, t, i, j) = fmix(fmix(key(s, t) ^ i) ^ j)
    h(i, j)  = hash(seed, 0, i, j) mod buckets,   xi(i, j) = +1 if hash(seed, 1, i, j) < 2^31 else -1
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
M32 = 0xFFFFFFFF


def fmix(h: int) -> int:
    h &= M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def hash32(seed: int, stream: int, i: int, j: int) -> int:
    key = fmix((seed * 0x9E3779B9 + stream * 0x85EBCA6B + 1) & M32)
    return fmix(fmix(key ^ i) ^ j)


def hash_maps(out_f: int, in_f: int, buckets: int, seed: int):
    idx = [[hash32(seed, 0, i, j) % buckets for j in range(in_f)] for i in range(out_f)]
    sign = [[1.0 if hash32(seed, 1, i, j) < 2**31 else -1.0 for j in range(in_f)] for i in range(out_f)]
    return idx, sign


def flat(t) -> list[float]:
    return [float(v) for v in np.asarray(t, dtype=np.float64).reshape(-1)]


def hashed_case(name, in_f, out_f, buckets, seed, batch, bias, rng):
    idx, sign = hash_maps(out_f, in_f, buckets, seed)
    w = torch.tensor(rng.uniform(-1, 1, buckets), dtype=torch.float32, requires_grad=True)
    b = torch.tensor(rng.uniform(-1, 1, out_f), dtype=torch.float32, requires_grad=True)
    x = torch.tensor(rng.normal(size=(batch, in_f)), dtype=torch.float32, requires_grad=True)
    c = torch.tensor(rng.normal(size=(batch, out_f)), dtype=torch.float32)
    v = torch.tensor(sign) * w[torch.tensor(idx)]
    y = x @ v.T
    if bias:
        y = y + b
    (y * c).sum().backward()
    return {
        "name": name,
        "inFeatures": in_f,
        "outFeatures": out_f,
        "buckets": buckets,
        "hashSeed": seed,
        "bias": bias,
        "index": [v for row in idx for v in row],
        "sign": [v for row in sign for v in row],
        "weight": flat(w.detach()),
        "biasValue": flat(b.detach()),
        "x": {"shape": [batch, in_f], "data": flat(x.detach())},
        "C": {"shape": [batch, out_f], "data": flat(c)},
        "y": flat(y.detach()),
        "gradX": flat(x.grad),
        "gradWeight": flat(w.grad),
        "gradBias": flat(b.grad) if bias else None,
    }


def low_rank_case(name, out_f, in_f, rank, rng):
    w = torch.tensor(rng.normal(size=(out_f, in_f)), dtype=torch.float64)
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    approx = u[:, :rank] @ torch.diag(s[:rank]) @ vh[:rank]
    err = float(torch.sqrt((s[rank:] ** 2).sum()))
    return {
        "name": name,
        "outFeatures": out_f,
        "inFeatures": in_f,
        "rank": rank,
        "weight": flat(w),
        "singularValues": flat(s),
        "approx": flat(approx),
        "frobeniusError": err,
    }


def dbd_case(name, lr, kappa, phi, theta, momentum, steps):
    """Jacobs (1988): eps += kappa if dbar(t-1)*g(t) > 0; eps *= (1 - phi) if < 0; w -= eps*g (+ momentum)."""
    A = np.array([[3.0, 1.2], [1.2, 1.0]])
    bvec = np.array([1.0, -2.0])
    w = np.array([0.5, 1.5])
    eps = np.full(2, lr)
    dbar = np.zeros(2)
    vel = np.zeros(2)
    out = []
    for _ in range(steps):
        g = A @ w - bvec
        prod = dbar * g
        eps = np.where(prod > 0, eps + kappa, np.where(prod < 0, eps * (1 - phi), eps))
        vel = momentum * vel - eps * g
        w = w + vel
        dbar = (1 - theta) * g + theta * dbar
        out.append({"params": flat(w), "rates": flat(eps)})
    return {
        "name": name,
        "A": flat(A),
        "b": flat(bvec),
        "w0": [0.5, 1.5],
        "options": {"lr": lr, "kappa": kappa, "phi": phi, "theta": theta, "momentum": momentum},
        "steps": out,
    }


def write(path, obj):
    full = os.path.join(ROOT, path)
    with open(full, "w") as f:
        json.dump(obj, f)
        f.write("\n")
    print("wrote", path)


def main():
    rng = np.random.default_rng(20260612)
    torch.manual_seed(0)
    nn = {
        "hashed": [
            hashed_case("5 -> 3 in 4 buckets, batch 2", 5, 3, 4, 7, 2, True, rng),
            hashed_case("8 -> 6 in 10 buckets, batch 3, no bias", 8, 6, 10, 123456789, 3, False, rng),
            hashed_case("1 -> 1 in 1 bucket, batch 1", 1, 1, 1, 0, 1, True, rng),
        ],
        "lowRank": [
            low_rank_case("6x4 to rank 2", 6, 4, 2, rng),
            low_rank_case("3x7 to rank 1", 3, 7, 1, rng),
            low_rank_case("5x5 to rank 5 (exact)", 5, 5, 5, rng),
        ],
    }
    optim = {
        "dbd": [
            dbd_case("lr 0.2, kappa 0.05, phi 0.3, theta 0.6", 0.2, 0.05, 0.3, 0.6, 0.0, 10),
            dbd_case("with momentum 0.5", 0.1, 0.02, 0.5, 0.7, 0.5, 10),
            dbd_case("theta 0: dbar is the last gradient", 0.45, 0.1, 0.5, 0.0, 0.0, 8),
        ]
    }
    write("packages/nn/fixtures/canon-gaps.json", nn)
    write("packages/optim/fixtures/canon-gaps.json", optim)


if __name__ == "__main__":
    main()
