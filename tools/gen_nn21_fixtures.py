#!/usr/bin/python3
"""Golden fixtures for the issue-21 layers of @myelin/nn, from PyTorch 1.13.

Run from the repository root with the system interpreter that has PyTorch:

    /usr/bin/python3 tools/gen_nn21_fixtures.py

It writes packages/nn/fixtures/layers21.json (the case format of tools/nn_fixtures_common.py, run
by packages/nn/test/layers-21.test.ts) and packages/nn/fixtures/samples21.json (torch draws that
the random layers are checked against: AlphaDropout in training). Seeds are fixed.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fixtures_common import encode_tensor  # noqa: E402
from nn_fixtures_common import I, NNFamily  # noqa: E402

warnings.filterwarnings("ignore")
torch.manual_seed(21)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "nn", "fixtures")


class Fn(tnn.Module):
    """A parameterless torch module from a function (for layers torch has no autograd for, or to
    adapt the call)."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


def shuffles(fam: NNFamily) -> None:
    fam.module_case("r=2", "PixelShuffle", [2], tnn.PixelShuffle(2), [fam.randn(2, 8, 3, 2)])
    fam.module_case("r=3 batch 1", "PixelShuffle", [3], tnn.PixelShuffle(3), [fam.randn(1, 9, 2, 2)])
    fam.module_case("r=1 channels 1", "PixelShuffle", [1], tnn.PixelShuffle(1), [fam.randn(1, 1, 2, 3)])
    fam.module_case("unbatched [C, H, W]", "PixelShuffle", [2], tnn.PixelShuffle(2), [fam.randn(4, 1, 3)])
    fam.module_case("two leading dims", "PixelShuffle", [2], tnn.PixelShuffle(2), [fam.randn(2, 1, 8, 2, 1)])
    fam.module_case("r=2", "PixelUnshuffle", [2], tnn.PixelUnshuffle(2), [fam.randn(2, 2, 4, 6)])
    fam.module_case("r=2 batch 1 channels 1", "PixelUnshuffle", [2], tnn.PixelUnshuffle(2), [fam.randn(1, 1, 2, 2)])
    fam.module_case("r=3 unbatched", "PixelUnshuffle", [3], tnn.PixelUnshuffle(3), [fam.randn(1, 3, 6)])
    # torch 1.13's channel_shuffle has no backward; the same view/transpose as a reference.
    def cs(g):
        return Fn(lambda x: x.reshape(x.shape[0], g, x.shape[1] // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape))

    for g, shape in ((2, (2, 4, 3, 3)), (3, (1, 6, 2)), (1, (1, 1, 2, 2)), (4, (2, 4, 1, 1, 2))):
        x = fam.randn(*shape)
        with torch.no_grad():
            assert torch.equal(tnn.ChannelShuffle(g)(x), cs(g)(x))
        fam.module_case(f"groups {g} {list(shape)}", "ChannelShuffle", [g], cs(g), [x])


def similarity(fam: NNFamily) -> None:
    def cos_case(name, a, b, **kw):
        opts = {"dim": kw.get("dim", 1)}
        if "eps" in kw:
            opts["eps"] = kw["eps"]
        fam.fn_case(name, "cosineSimilarity", [a, b], lambda x, y: F.cosine_similarity(x, y, **kw),
                    call={"args": [I(0), I(1)], "options": opts}, cls="CosineSimilarity")

    cos_case("[4,5] dim 1", fam.randn(4, 5), fam.randn(4, 5))
    cos_case("broadcast [3,1,4] with [2,4] dim -1", fam.randn(3, 1, 4), fam.randn(2, 4), dim=-1)
    cos_case("batch 1 dim 0", fam.randn(3, 1), fam.randn(3, 1), dim=0)
    tiny = torch.tensor([[0.006, -0.007, 0.001], [0.3, 0.4, -0.2]])
    cos_case("norm below eps", tiny, fam.randn(2, 3), eps=1e-2)

    def norm_case(name, x, **kw):
        fam.fn_case(name, "normalize", [x], lambda t: F.normalize(t, **kw), call={"args": [I(0)], "options": kw})

    norm_case("[3,4] dim 1", fam.randn(3, 4))
    norm_case("p=1 dim 0", fam.randn(3, 2), p=1.0, dim=0)
    norm_case("[2,3,2] dim -1", fam.randn(2, 3, 2), dim=-1)
    norm_case("zero row clamped by eps", torch.tensor([[0.0, 0.0], [1e-3, -2e-3], [0.5, 1.0]]), eps=1e-2)
    norm_case("size-1 dims", fam.randn(1, 1))
    norm_case("p=3", fam.randn(2, 5), p=3.0)


def bags(fam: NNFamily) -> None:
    def bag(name, n, d, mode, indices, offsets=None, psw=None, last=False, options=None, pad=None):
        m = tnn.EmbeddingBag(n, d, mode=mode, include_last_offset=last, padding_idx=pad)
        if pad is not None:
            options = {**(options or {}), "paddingIdx": pad}
        opts = {"mode": mode, **({"includeLastOffset": True} if last else {}), **(options or {})}
        inputs = [indices]
        call_opts = {}
        if offsets is not None:
            inputs.append(offsets)
            call_opts["offsets"] = I(1)
        if psw is not None:
            inputs.append(psw)
            call_opts["perSampleWeights"] = I(len(inputs) - 1)

        def fwd(mod, idx, *rest):
            off = rest[0].long() if offsets is not None else None
            w = rest[-1] if psw is not None else None
            return mod(idx.long(), off, per_sample_weights=w)

        fam.module_case(name, "EmbeddingBag", [n, d], m, inputs, options=opts, forward=fwd,
                        call={"args": [I(0), call_opts]} if call_opts else None)

    i32 = torch.int32
    bag("sum with offsets and an empty bag", 10, 3, "sum", torch.tensor([1, 2, 4, 5, 4, 3, 2, 9], dtype=i32),
        torch.tensor([0, 4, 4], dtype=i32))
    bag("mean 2-D input", 8, 4, "mean", fam.randint(0, 8, 3, 2))
    bag("max with offsets and an empty bag", 6, 3, "max", torch.tensor([0, 5, 2, 2, 3], dtype=i32),
        torch.tensor([0, 2, 2, 3], dtype=i32))
    bag("max 2-D repeated index", 5, 2, "max", torch.tensor([[1, 1, 3], [4, 0, 2]], dtype=i32))
    bag("sum perSampleWeights", 7, 3, "sum", torch.tensor([0, 6, 2, 2, 5], dtype=i32),
        torch.tensor([0, 3], dtype=i32), psw=fam.randn(5))
    bag("mean includeLastOffset", 6, 2, "mean", torch.tensor([3, 1, 4, 1, 5], dtype=i32),
        torch.tensor([0, 1, 5], dtype=i32), last=True)
    bag("batch 1 dim 1", 4, 1, "sum", torch.tensor([[2, 3, 3]], dtype=i32))
    bag("mean paddingIdx, a bag of padding only", 6, 2, "mean", torch.tensor([2, 0, 4, 0, 0, 1, 0], dtype=i32),
        torch.tensor([0, 3, 5], dtype=i32), pad=0)
    bag("max paddingIdx 2-D", 5, 3, "max", torch.tensor([[4, 1, 4], [2, 3, 1]], dtype=i32), pad=4)
    bag("sum perSampleWeights paddingIdx -1", 5, 2, "sum", torch.tensor([4, 1, 2, 4], dtype=i32),
        torch.tensor([0, 2], dtype=i32), psw=fam.randn(4), pad=-1)


def activations(fam: NNFamily) -> None:
    fam.module_case("eval mean slope", "RReLU", [0.1, 0.3], tnn.RReLU(0.1, 0.3), [fam.randn(3, 4)], mode="eval")
    fam.module_case("eval defaults", "RReLU", [], tnn.RReLU(), [fam.randn(2, 1, 3)], mode="eval")
    fam.module_case("[2,3,2,2]", "Softmax2d", [], tnn.Softmax2d(), [fam.randn(2, 3, 2, 2)])
    fam.module_case("unbatched [3,1,2]", "Softmax2d", [], tnn.Softmax2d(), [fam.randn(3, 1, 2)])
    fam.module_case("channels 1", "Softmax2d", [], tnn.Softmax2d(), [fam.randn(1, 1, 2, 2)])


def normalisation(fam: NNFamily) -> None:
    lrn = tnn.LocalResponseNorm
    fam.module_case("size 3 alpha 1", "LocalResponseNorm", [3], lrn(3, alpha=1.0), [fam.randn(2, 5, 3, 3)], options={"alpha": 1.0})
    fam.module_case("size 2 alpha beta k", "LocalResponseNorm", [2], lrn(2, alpha=0.5, beta=0.6, k=2.0), [fam.randn(1, 4, 2, 3)],
                    options={"alpha": 0.5, "beta": 0.6, "k": 2.0})
    fam.module_case("3-D input size 4", "LocalResponseNorm", [4], lrn(4, alpha=2.0), [fam.randn(2, 4, 5)], options={"alpha": 2.0})
    fam.module_case("channels 1 size 1", "LocalResponseNorm", [1], lrn(1, alpha=1.0), [fam.randn(1, 1, 2, 2)], options={"alpha": 1.0})
    fam.module_case("5-D input size 5 > C", "LocalResponseNorm", [5], lrn(5, alpha=1.0, beta=0.5), [fam.randn(1, 3, 2, 2, 2)],
                    options={"alpha": 1.0, "beta": 0.5})
    fam.module_case("defaults", "LocalResponseNorm", [2], lrn(2), [fam.randn(2, 3, 2)])


def pooling(fam: NNFamily) -> None:
    fam.module_case("p=2 k3", "LPPool1d", [2, 3], tnn.LPPool1d(2, 3), [fam.randn(2, 3, 7)])
    fam.module_case("p=1.5 k2 stride 1 positive", "LPPool1d", [1.5, 2], tnn.LPPool1d(1.5, 2, stride=1),
                    [fam.uniform(0.1, 2.0, 1, 2, 5)], options={"stride": 1})
    fam.module_case("p=3 k2 ceilMode", "LPPool1d", [3, 2], tnn.LPPool1d(3, 2, ceil_mode=True), [fam.uniform(0.1, 2.0, 1, 1, 5)],
                    options={"ceilMode": True})
    fam.module_case("p=2 k2", "LPPool2d", [2, 2], tnn.LPPool2d(2, 2), [fam.randn(1, 2, 5, 4)])
    fam.module_case("p=3 k[2,3] stride [1,2] positive", "LPPool2d", [3, [2, 3]], tnn.LPPool2d(3, (2, 3), stride=(1, 2)),
                    [fam.uniform(0.1, 2.0, 2, 1, 4, 7)], options={"stride": [1, 2]})
    fam.module_case("unbatched p=1 k1", "LPPool2d", [1, 1], tnn.LPPool2d(1, 1), [fam.uniform(0.1, 2.0, 1, 2, 3)])

    def amp(name, cls, args, torch_mod, x, ret):
        fam.module_case(name, cls, args, torch_mod, [x], options={"returnIndices": True} if ret else None)

    amp("7 -> 3 returnIndices", "AdaptiveMaxPool1d", [3], tnn.AdaptiveMaxPool1d(3, return_indices=True), fam.randn(2, 3, 7), True)
    amp("5 -> 5 batch 1 channels 1", "AdaptiveMaxPool1d", [5], tnn.AdaptiveMaxPool1d(5), fam.randn(1, 1, 5), False)
    amp("unbatched 6 -> 4 returnIndices", "AdaptiveMaxPool1d", [4], tnn.AdaptiveMaxPool1d(4, return_indices=True), fam.randn(2, 6), True)
    amp("3 -> 5 (upsampling bins)", "AdaptiveMaxPool1d", [5], tnn.AdaptiveMaxPool1d(5), fam.randn(1, 2, 3), False)
    amp("[5,7] -> [3,4] returnIndices", "AdaptiveMaxPool2d", [[3, 4]], tnn.AdaptiveMaxPool2d((3, 4), return_indices=True),
        fam.randn(2, 2, 5, 7), True)
    amp("global 1 channels 1", "AdaptiveMaxPool2d", [1], tnn.AdaptiveMaxPool2d(1), fam.randn(1, 1, 4, 4), False)
    amp("[3, null] keeps width", "AdaptiveMaxPool2d", [[3, None]], tnn.AdaptiveMaxPool2d((3, None)), fam.randn(1, 2, 4, 3), False)
    amp("unbatched 2 returnIndices", "AdaptiveMaxPool2d", [2], tnn.AdaptiveMaxPool2d(2, return_indices=True), fam.randn(3, 5, 5), True)


def folds(fam: NNFamily) -> None:
    fam.module_case("k3", "Unfold", [3], tnn.Unfold(3), [fam.randn(2, 2, 5, 5)])
    fam.module_case("k[2,3] dilation 2 padding 1 stride [2,1]", "Unfold", [[2, 3]], tnn.Unfold((2, 3), dilation=2, padding=1, stride=(2, 1)),
                    [fam.randn(1, 2, 6, 7)], options={"dilation": 2, "padding": 1, "stride": [2, 1]})
    fam.module_case("unbatched k2 channels 1", "Unfold", [2], tnn.Unfold(2), [fam.randn(1, 4, 4)])

    def fold_case(name, out, k, c, n, **kw):
        m = tnn.Fold(out, k, **kw)
        cols = tnn.Unfold(k, **kw)(torch.zeros(1, c, *((out, out) if isinstance(out, int) else out)))
        shape = (cols.shape[1], cols.shape[2]) if n is None else (n, cols.shape[1], cols.shape[2])
        opts = {key: (list(v) if isinstance(v, tuple) else v) for key, v in kw.items()}
        fam.module_case(name, "Fold", [list(out) if isinstance(out, tuple) else out, list(k) if isinstance(k, tuple) else k],
                        m, [fam.randn(*shape)], options=opts or None)

    fold_case("5x5 k3 overlapping", 5, 3, 2, 2)
    fold_case("[7,6] k[2,3] stride 2 padding 1 (remainder)", (7, 6), (2, 3), 1, 1, stride=2, padding=1)
    fold_case("[6,6] k2 dilation 2 stride [1,2]", (6, 6), 2, 3, 1, dilation=2, stride=(1, 2))
    fold_case("unbatched [3,4] k[1,2]", (3, 4), (1, 2), 2, None)


def losses(fam: NNFamily) -> None:
    def kl(mu, logvar):
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        return torch.distributions.kl_divergence(q, p)

    mu, lv = fam.randn(4, 3), fam.randn(4, 3, scale=0.5)
    for red, f in (("none", lambda m, v: kl(m, v)), ("sum", lambda m, v: kl(m, v).sum()),
                   ("mean", lambda m, v: kl(m, v).mean()), ("batchmean", lambda m, v: kl(m, v).sum() / m.shape[0])):
        fam.fn_case(f"reduction {red}", "gaussianKlLoss", [mu, lv], f,
                    call={"args": [I(0), I(1)], "options": {"reduction": red}}, cls="GaussianKLLoss")
    fam.fn_case("batch 1 latent 1 default sum", "gaussianKlLoss", [fam.randn(1, 1), fam.randn(1, 1)],
                lambda m, v: kl(m, v).sum())

    x, y = fam.randn(3, 4), fam.randn(3, 4)
    mask = torch.rand(3, 4, generator=fam.gen) > 0.4
    for red, f in (("mean", lambda a, b, m: F.mse_loss(a[m], b[m])), ("sum", lambda a, b, m: F.mse_loss(a[m], b[m], reduction="sum")),
                   ("none", lambda a, b, m: (a - b).pow(2) * m)):
        fam.fn_case(f"bool mask reduction {red}", "maskedMseLoss", [x, y, mask], f,
                    call={"args": [I(0), I(1), I(2)], "options": {"reduction": red}}, cls="MaskedMSELoss")
    one = torch.tensor([[True]])
    fam.fn_case("batch 1 one element", "maskedMseLoss", [fam.randn(1, 1), fam.randn(1, 1), one],
                lambda a, b, m: F.mse_loss(a[m], b[m]))


def samples() -> dict:
    """AlphaDropout draws from torch (training mode): every output element must be one of the two
    affine images of its input (kept or dropped) that the paper's constants give."""
    gen = torch.Generator().manual_seed(2101)
    out = {}
    for p in (0.2, 0.5):
        x = torch.round(torch.randn(400, generator=gen) * 1000) / 1000
        torch.manual_seed(int(p * 100))
        y = F.alpha_dropout(x, p, training=True)
        out[f"alphaDropout p={p}"] = {"p": p, "input": encode_tensor(x), "output": encode_tensor(y)}
    return out


def main() -> None:
    fam = NNFamily("layers21")
    for build in (shuffles, similarity, bags, activations, normalisation, pooling, folds, losses):
        build(fam)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "layers21.json")
    size = fam.dump(path)
    with open(path) as f:  # the shared writer names the main generator; name this one
        body = f.read().replace('"generator":"tools/gen_nn_fixtures.py"', '"generator":"tools/gen_nn21_fixtures.py"', 1)
    with open(path, "w") as f:
        f.write(body)
    print(f"layers21 {len(fam.cases)} cases {size / 1024:.1f} KiB")
    with open(os.path.join(OUT_DIR, "samples21.json"), "w") as f:
        json.dump({"generator": "tools/gen_nn21_fixtures.py", "torch": torch.__version__, "samples": samples()}, f,
                  separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
