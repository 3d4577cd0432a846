#!/usr/bin/python3
"""Golden fixtures for the backend conformance suite (@myelin/backend-testkit).

PyTorch 1.13 is the numeric oracle (DESIGN.md §5). Run from the repository root:

    /usr/bin/python3 tools/gen_fixtures.py

It rewrites packages/backend-testkit/fixtures/<family>.json, one file per op family. Every case holds
inputs, our op name and OUR argument names (`args`), the outputs, seeded random cotangents (one per
float output) and the input gradients d(sum_j <out_j, cot_j>)/d input_i from torch.autograd (null for
int/bool inputs and non-differentiable ops). Everything is float32 (computed in float32, as the
library does) with NaN/±Infinity as the strings "NaN"/"Infinity"/"-Infinity". Seeds are fixed, so
the output is byte-for-byte reproducible.

Optional per-case fields: `tolerance` (widened rtol/atol where float32 torch itself is that far from
a float64 run), `gradcheck` (the case is fit for the finite-difference check: small, smooth, and it
passes that check in torch), `tags` (scalar / empty / dtype: the edge-case blocks) and `note`.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

import fixtures_elementwise  # noqa: E402
import fixtures_nn  # noqa: E402
import fixtures_reduction  # noqa: E402
import fixtures_shape  # noqa: E402

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "backend-testkit", "fixtures")

FAMILIES = [
    ("creation", fixtures_elementwise.creation),
    ("elementwise-unary", fixtures_elementwise.unary),
    ("elementwise-binary", fixtures_elementwise.binary),
    ("reduction", fixtures_reduction.reduction),
    ("linalg", fixtures_reduction.linalg),
    ("shape", fixtures_shape.shape),
    ("indexing", fixtures_shape.indexing),
    ("nn", fixtures_nn.nn),
    ("conv", fixtures_nn.conv),
]


def main(argv: list[str]) -> None:
    only = set(argv)
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name, build in FAMILIES:
        if only and name not in only:
            continue
        t0 = time.time()
        fam = build()
        assert fam.name == name
        size = fam.dump(os.path.join(OUT_DIR, f"{name}.json"))
        total += size
        fd = sum(1 for c in fam.cases if c.get("gradcheck"))
        print(f"{name:22s} {len(fam.cases):5d} cases {fd:4d} gradcheck {size / 1024:8.1f} KiB  {time.time() - t0:5.1f}s")
    print(f"total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
