#!/usr/bin/python3
"""Golden fixtures for the resampling, grid-sampling and reparametrisation layers of @myelin/nn and
for core's `einsum` (issue 21, part "sample"), from PyTorch 1.13.

Run from the repository root with the system interpreter that has PyTorch:

    /usr/bin/python3 tools/gen_nn21_sample_fixtures.py

It writes
  packages/nn/fixtures/nn21-sample.json   interpolate / Upsample, affineGrid, gridSample (the case
                                          format of tools/nn_fixtures_common.py, run by
                                          packages/nn/test/{interpolate-modes,grid-sample}.test.ts),
                                          plus "reparam": weight_norm / spectral_norm state dicts,
                                          outputs, gradients and power-iteration buffers
                                          (packages/nn/test/reparam.test.ts);
  packages/core-tests/fixtures/einsum.json  torch.einsum outputs and gradients
                                          (packages/core-tests/test/einsum-full.test.ts).
Seeds are fixed.
"""

from __future__ import annotations

import json
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fixtures_common import encode_tensor  # noqa: E402
from nn_fixtures_common import I, NNFamily  # noqa: E402

warnings.filterwarnings("ignore")
torch.manual_seed(2121)
torch.set_num_threads(1)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NN_OUT = os.path.join(ROOT, "packages", "nn", "fixtures", "nn21-sample.json")
CORE_OUT = os.path.join(ROOT, "packages", "core-tests", "fixtures", "einsum.json")


def seed(text: str) -> torch.Generator:
    return torch.Generator().manual_seed(zlib.crc32(text.encode()) & 0x7FFFFFFF)


# ---------------------------------------------------------------------------------------------
# interpolate / Upsample
# ---------------------------------------------------------------------------------------------


def interpolate(fam: NNFamily) -> None:
    def case(name, x, cls=True, **kw):
        opts = {}
        for k, ours in (("size", "size"), ("scale_factor", "scaleFactor"), ("mode", "mode"),
                        ("align_corners", "alignCorners"), ("recompute_scale_factor", "recomputeScaleFactor")):
            if k in kw:
                v = kw[k]
                opts[ours] = list(v) if isinstance(v, tuple) else v
        fam.fn_case(name, "interpolate", [x], lambda t: F.interpolate(t, **kw),
                    call={"args": [I(0)], "options": opts}, cls="Upsample" if cls else None)

    r = fam.randn
    # nearest, 3-, 4- and 5-D; sizes up and down; non-integer factors.
    case("nearest 1-D size 7", r(2, 3, 4), size=7, mode="nearest")
    case("nearest 2-D factor 2", r(1, 2, 3, 3), scale_factor=2, mode="nearest")
    case("nearest 2-D down size [2,3]", r(2, 1, 5, 7), size=(2, 3), mode="nearest")
    case("nearest 2-D factor 1.7", r(1, 1, 3, 4), scale_factor=1.7, mode="nearest")
    case("nearest 2-D factor 1.7 recompute", r(1, 1, 3, 4), scale_factor=1.7, mode="nearest",
         recompute_scale_factor=True)
    case("nearest 3-D volume factor [2,1,3]", r(1, 2, 2, 3, 2), scale_factor=(2, 1, 3), mode="nearest")
    case("nearest 3-D volume size 3", r(2, 1, 2, 2, 4), size=3, mode="nearest")
    # nearest-exact
    case("nearest-exact 1-D size 5", r(1, 2, 3), size=5, mode="nearest-exact")
    case("nearest-exact 2-D factor 0.6", r(2, 2, 5, 5), scale_factor=0.6, mode="nearest-exact")
    case("nearest-exact 3-D size [3,2,5]", r(1, 1, 2, 3, 4), size=(3, 2, 5), mode="nearest-exact")
    # linear (3-D input)
    for ac in (False, True):
        case(f"linear size 7 align {ac}", r(2, 2, 4), size=7, mode="linear", align_corners=ac)
        case(f"linear factor 2.5 align {ac}", r(1, 3, 3), scale_factor=2.5, mode="linear", align_corners=ac)
        case(f"linear down 9 to 4 align {ac}", r(1, 1, 9), size=4, mode="linear", align_corners=ac)
    case("linear factor 2.5 recompute", r(1, 1, 3), scale_factor=2.5, mode="linear", recompute_scale_factor=True)
    case("linear length 1 to 4", r(1, 2, 1), size=4, mode="linear")
    # bilinear
    for ac in (False, True):
        case(f"bilinear size [5,6] align {ac}", r(2, 2, 3, 4), size=(5, 6), mode="bilinear", align_corners=ac)
        case(f"bilinear factor [1.5,0.5] align {ac}", r(1, 1, 4, 6), scale_factor=(1.5, 0.5), mode="bilinear",
             align_corners=ac)
    case("bilinear 1x1 to 3x2", r(1, 3, 1, 1), size=(3, 2), mode="bilinear")
    # bicubic, A = -0.75
    for ac in (False, True):
        case(f"bicubic size [6,7] align {ac}", r(2, 2, 4, 5), size=(6, 7), mode="bicubic", align_corners=ac)
        case(f"bicubic factor 2 align {ac}", r(1, 1, 3, 3), scale_factor=2, mode="bicubic", align_corners=ac)
        case(f"bicubic down [7,5] to [3,2] align {ac}", r(1, 2, 7, 5), size=(3, 2), mode="bicubic",
             align_corners=ac)
    case("bicubic factor 1.6 recompute", r(1, 1, 4, 3), scale_factor=1.6, mode="bicubic",
         recompute_scale_factor=True)
    case("bicubic 1x2 to 3x4", r(1, 1, 1, 2), size=(3, 4), mode="bicubic")
    # trilinear
    for ac in (False, True):
        case(f"trilinear size [3,4,5] align {ac}", r(1, 2, 2, 3, 3), size=(3, 4, 5), mode="trilinear",
             align_corners=ac)
    case("trilinear factor 1.5", r(2, 1, 2, 2, 3), scale_factor=1.5, mode="trilinear")
    # area = adaptive average pooling
    case("area 1-D 7 to 3", r(2, 2, 7), size=3, mode="area")
    case("area 2-D [5,6] to [2,4]", r(1, 2, 5, 6), size=(2, 4), mode="area")
    case("area 2-D factor 0.5", r(2, 1, 4, 4), scale_factor=0.5, mode="area")
    case("area 2-D up [2,3] to [3,5]", r(1, 1, 2, 3), size=(3, 5), mode="area")
    case("area 3-D [3,4,5] to [2,2,3]", r(1, 1, 3, 4, 5), size=(2, 2, 3), mode="area")
    case("size equal to input (identity)", r(1, 1, 3, 3), size=(3, 3), mode="bicubic", cls=False)


def upsampling_aliases(fam: NNFamily) -> None:
    x = fam.randn(1, 2, 3, 4)
    fam.module_case("factor 2", "UpsamplingNearest2d", [{"scaleFactor": 2}], tnn.UpsamplingNearest2d(scale_factor=2), [x])
    x = fam.randn(2, 1, 3, 3)
    fam.module_case("size [4,5]", "UpsamplingBilinear2d", [{"size": [4, 5]}], tnn.UpsamplingBilinear2d(size=(4, 5)), [x])


# ---------------------------------------------------------------------------------------------
# affine_grid / grid_sample
# ---------------------------------------------------------------------------------------------


def affine(fam: NNFamily) -> None:
    def case(name, theta, size, ac):
        fam.fn_case(name, "affineGrid", [theta], lambda t: F.affine_grid(t, size, align_corners=ac),
                    call={"args": [I(0), list(size)], "options": {"alignCorners": ac}})

    for ac in (False, True):
        case(f"2-D [2,3,4,5] align {ac}", fam.randn(2, 2, 3), (2, 3, 4, 5), ac)
        case(f"3-D [1,2,2,3,4] align {ac}", fam.randn(1, 3, 4), (1, 2, 2, 3, 4), ac)
    case("2-D size-1 dims [1,1,1,3]", fam.randn(1, 2, 3), (1, 1, 1, 3), False)
    case("3-D size-1 depth", fam.randn(2, 3, 4), (2, 1, 1, 2, 2), True)


def grids(fam: NNFamily) -> None:
    def grid(*shape, lo=-1.2, hi=1.2, name=""):
        # Not rounded: a coordinate that lands exactly on a pixel puts floor() on its edge.
        g = seed("grid" + name)
        return torch.rand(shape, generator=g) * (hi - lo) + lo

    def case(name, x, gr, mode, pad, ac):
        opts = {"mode": mode, "paddingMode": pad, "alignCorners": ac}
        grad = [True, mode != "nearest"]
        fam.fn_case(name, "gridSample", [x, gr],
                    lambda a, b: F.grid_sample(a, b, mode=mode, padding_mode=pad, align_corners=ac),
                    call={"args": [I(0), I(1)], "options": opts}, grad=grad)

    for mode in ("bilinear", "nearest", "bicubic"):
        for pad in ("zeros", "border", "reflection"):
            for ac in (False, True):
                n = f"{mode} {pad} align {ac}"
                case(f"2-D {n}", fam.randn(2, 2, 4, 5), grid(2, 3, 4, 2, name=n), mode, pad, ac)
    case("2-D bilinear far outside, reflection", fam.randn(1, 1, 3, 3), grid(1, 2, 3, 2, lo=-3.5, hi=3.5, name="far"),
         "bilinear", "reflection", False)
    case("2-D bicubic far outside, reflection align", fam.randn(1, 1, 3, 4),
         grid(1, 2, 2, 2, lo=-3.5, hi=3.5, name="far2"), "bicubic", "reflection", True)
    case("2-D bilinear batch 1 channel 1 input 1x1", fam.randn(1, 1, 1, 1), grid(1, 2, 2, 2, name="1x1"),
         "bilinear", "zeros", False)
    case("2-D bicubic input 1x1 border", fam.randn(1, 1, 1, 1), grid(1, 1, 3, 2, name="1x1b"),
         "bicubic", "border", True)
    case("2-D bilinear reflection input width 1 align", fam.randn(1, 2, 3, 1), grid(1, 2, 2, 2, name="w1"),
         "bilinear", "reflection", True)
    # The identity grid puts samples exactly on pixel centres and borders (alignCorners true: ±1).
    for pad in ("zeros", "border", "reflection"):
        for mode in ("bilinear", "bicubic"):
            for ac in (False, True):
                ident = F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]), (1, 1, 3, 4), align_corners=ac)
                case(f"2-D {mode} {pad} align {ac} identity grid on pixel centres", fam.randn(1, 1, 3, 4), ident,
                     mode, pad, ac)
    edge = torch.tensor([[[[-1.0, -1.0], [1.0, 1.0], [1.0, -1.0], [0.0, 0.5]]]])
    for pad in ("zeros", "border", "reflection"):
        case(f"2-D bilinear {pad} align True on the borders", fam.randn(1, 2, 2, 3), edge, "bilinear", pad, True)
    for mode in ("bilinear", "nearest"):
        for pad in ("zeros", "border", "reflection"):
            for ac in (False, True):
                n = f"{mode} {pad} align {ac}"
                case(f"3-D {n}", fam.randn(1, 2, 3, 4, 3), grid(1, 2, 2, 3, 3, name="3d" + n), mode, pad, ac)
    case("3-D bilinear batch 2", fam.randn(2, 1, 2, 2, 2), grid(2, 1, 2, 2, 3, name="3db2"), "bilinear", "zeros", False)


# ---------------------------------------------------------------------------------------------
# weight_norm / spectral_norm
# ---------------------------------------------------------------------------------------------


def r4(t: torch.Tensor) -> torch.Tensor:
    return torch.round(t * 1e4) / 1e4


def module_spec(kind: str):
    if kind == "Linear":
        return tnn.Linear(4, 3), {"class": "Linear", "args": [4, 3]}, (2, 4)
    if kind == "Conv2d":
        return tnn.Conv2d(2, 3, 3), {"class": "Conv2d", "args": [2, 3, 3]}, (2, 2, 4, 4)
    if kind == "ConvTranspose2d":
        return tnn.ConvTranspose2d(2, 3, 2), {"class": "ConvTranspose2d", "args": [2, 3, 2]}, (1, 2, 3, 3)
    raise ValueError(kind)


def grads_of(mod, x, out, cot):
    names = [k for k, _ in mod.named_parameters()]
    gs = torch.autograd.grad(out, [x] + [p for _, p in mod.named_parameters()], cot)
    return encode_tensor(gs[0]), {k: encode_tensor(g) for k, g in zip(names, gs[1:])}


def state_of(mod):
    return {k: encode_tensor(v) for k, v in mod.state_dict().items()}


def weight_norm_cases() -> list:
    cases = []
    for kind, dim in (("Linear", 0), ("Linear", 1), ("Linear", None), ("Conv2d", 0), ("Conv2d", 1),
                      ("ConvTranspose2d", 0)):
        g = seed(f"wn {kind} {dim}")
        torch.manual_seed(zlib.crc32(f"wn {kind} {dim}".encode()) & 0xFFFF)
        mod, spec, xshape = module_spec(kind)
        with torch.no_grad():
            for p in mod.parameters():
                p.copy_(r4(p))
        mod = tnn.utils.weight_norm(mod, dim=dim)
        x = r4(torch.randn(xshape, generator=g)).requires_grad_(True)
        out = mod(x)
        cot = r4(torch.randn(out.shape, generator=g))
        gx, gp = grads_of(mod, x, out, cot)
        cases.append({"name": f"{kind} dim {dim}", "module": spec, "dim": dim, "state": state_of(mod),
                      "input": encode_tensor(x), "output": encode_tensor(out), "cotangent": encode_tensor(cot),
                      "inputGrad": gx, "paramGrads": gp,
                      "weight": encode_tensor(mod.weight)})
    return cases


def spectral_norm_cases() -> list:
    cases = []
    for kind, iters, dim in (("Linear", 1, None), ("Linear", 3, None), ("Conv2d", 1, None), ("Conv2d", 2, 1),
                             ("ConvTranspose2d", 1, None)):
        name = f"{kind} nPowerIterations {iters} dim {dim}"
        g = seed(name)
        torch.manual_seed(zlib.crc32(name.encode()) & 0xFFFF)
        mod, spec, xshape = module_spec(kind)
        with torch.no_grad():
            for p in mod.parameters():
                p.copy_(r4(p))
        mod = tnn.utils.spectral_norm(mod, n_power_iterations=iters, dim=dim)
        initial = state_of(mod)
        x = r4(torch.randn(xshape, generator=g)).requires_grad_(True)
        mod.train()
        steps = []
        for step in range(3):
            out = mod(x)
            cot = r4(torch.randn(out.shape, generator=g))
            gx, gp = grads_of(mod, x, out, cot)
            steps.append({"output": encode_tensor(out), "cotangent": encode_tensor(cot), "inputGrad": gx,
                          "paramGrads": gp, "u": encode_tensor(mod.weight_u), "v": encode_tensor(mod.weight_v)})
        mod.eval()
        out = mod(x)
        cot = r4(torch.randn(out.shape, generator=g))
        gx, gp = grads_of(mod, x, out, cot)
        ev = {"output": encode_tensor(out), "cotangent": encode_tensor(cot), "inputGrad": gx, "paramGrads": gp,
              "state": state_of(mod)}
        cases.append({"name": name, "module": spec, "nPowerIterations": iters, "dim": dim, "state": initial,
                      "input": encode_tensor(x), "train": steps, "eval": ev})
    return cases


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bij,bjk->bik", [(1, 1, 1), (1, 1, 3)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("iji->j", [(2, 5, 2)]),
    ("iii->i", [(3, 3, 3)]),
    ("ijij->ij", [(2, 3, 2, 3)]),
    ("ii,ij->j", [(3, 3), (3, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i,i,i->", [(5,), (5,), (5,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4), (4, 1)]),
    ("ij,jk,ki->", [(3, 4), (4, 2), (2, 3)]),
    ("bn,anm,bm->ba", [(2, 5), (3, 5, 4), (2, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij,...jk", [(3, 2, 4), (4, 3)]),
    ("i...->...", [(3, 2, 4)]),
    ("...", [(2, 3)]),
    ("...->", [(2, 3)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...ij->...ji", [(2, 2, 3, 4)]),
    ("ij->", [(3, 4)]),
    ("ji", [(3, 4)]),
    ("ba", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    (",ij->ij", [(), (2, 3)]),
    (",", [(), ()]),
    ("Ab,bC", [(2, 3), (3, 4)]),
    ("bA,Ab", [(2, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
    ("ij,jk->ik", [(1, 1), (1, 1)]),
    ("i,j,k->ijk", [(2,), (1,), (3,)]),
    ("ij,j->i", [(3, 1), (4,)]),
    ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]),
    ("i j , j k -> i k", [(2, 2), (2, 3)]),
    ("ab,cd,ef->", [(2, 1), (1, 3), (2, 2)]),
    ("abc,cde,efa->bdf", [(2, 3, 2), (2, 2, 3), (3, 2, 2)]),
]


def einsum_cases() -> list:
    out = []
    for eq, shapes in EINSUM:
        g = seed(eq + str(shapes))
        xs = [r4(torch.randn(s, generator=g)).double().requires_grad_(True) for s in shapes]
        try:
            y = torch.einsum(eq, *xs)
        except RuntimeError as e:
            print(f"  skip {eq} {shapes}: {e}")
            continue
        cot = r4(torch.randn(y.shape, generator=g)).double()
        gs = torch.autograd.grad(y, xs, cot, allow_unused=True)
        out.append({"equation": eq, "inputs": [encode_tensor(x) for x in xs], "output": encode_tensor(y),
                    "cotangent": encode_tensor(cot),
                    "grads": [encode_tensor(torch.zeros_like(x) if gg is None else gg) for x, gg in zip(xs, gs)]})
    return out


def main() -> None:
    fam = NNFamily("nn21-sample")
    for build in (interpolate, upsampling_aliases, affine, grids):
        build(fam)
    body = fam.dump(NN_OUT)
    with open(NN_OUT) as f:
        data = json.load(f)
    data["generator"] = "tools/gen_nn21_sample_fixtures.py"
    data["reparam"] = {"weightNorm": weight_norm_cases(), "spectralNorm": spectral_norm_cases()}
    # One case per line keeps diffs readable.
    with open(NN_OUT, "w") as f:
        head = {k: v for k, v in data.items() if k not in ("cases", "reparam")}
        f.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in data["cases"]))
        f.write('\n],"reparam":')
        f.write(json.dumps(data["reparam"], separators=(",", ":"), allow_nan=False))
        f.write("}\n")
    print(f"nn21-sample {len(fam.cases)} cases, {os.path.getsize(NN_OUT) / 1024:.1f} KiB (was {body})")
    cases = einsum_cases()
    with open(CORE_OUT, "w") as f:
        f.write('{"generator":"tools/gen_nn21_sample_fixtures.py","torch":"' + torch.__version__ + '","cases":[\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print(f"einsum {len(cases)} cases, {os.path.getsize(CORE_OUT) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
