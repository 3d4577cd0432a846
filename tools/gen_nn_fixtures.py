#!/usr/bin/python3
"""Golden fixtures for @myelin/nn from PyTorch 1.13 (the numeric oracle, DESIGN.md §5).

Run from the repository root with the system interpreter that has PyTorch:

    /usr/bin/python3 tools/gen_nn_fixtures.py [family ...]

It rewrites packages/nn/fixtures/<family>.json (the case format is described in
tools/nn_fixtures_common.py) and, for the `model` family, a PyTorch state_dict written as
safetensors by hand (tools/gen_safetensors_fixture.py's writer; torch 1.13 has no safetensors
package) plus the model's expected outputs. Seeds are fixed, so the output is reproducible.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402

warnings.filterwarnings("ignore")

import nn_fixtures_init  # noqa: E402
import nn_fixtures_layers  # noqa: E402
import nn_fixtures_losses  # noqa: E402
import nn_fixtures_model  # noqa: E402
import nn_fixtures_rnn  # noqa: E402

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "nn", "fixtures")

FAMILIES = [
    ("layers", nn_fixtures_layers.layers),
    ("rnn", nn_fixtures_rnn.rnn),
    ("attention", nn_fixtures_rnn.attention),
    ("losses", nn_fixtures_losses.losses),
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
        print(f"{name:12s} {len(fam.cases):5d} cases {size / 1024:8.1f} KiB  {time.time() - t0:5.1f}s")
    for name, build in (("init", nn_fixtures_init.write), ("model", nn_fixtures_model.write)):
        if only and name not in only:
            continue
        size = build(OUT_DIR)
        total += size
        print(f"{name:12s}             {size / 1024:8.1f} KiB")
    print(f"total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
