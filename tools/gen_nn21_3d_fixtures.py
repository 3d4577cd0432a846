#!/usr/bin/python3
"""Golden fixtures for the issue-21 3-D layers of @myelin/nn (part "nn-3d"), from PyTorch 1.13.

Run from the repository root with the system interpreter that has PyTorch:

    /usr/bin/python3 tools/gen_nn21_3d_fixtures.py

It writes packages/nn/fixtures/nn21-3d.json in the case format of tools/nn_fixtures_common.py:
Conv3d/ConvTranspose3d (and the functional forms), MaxPool3d/AvgPool3d/AdaptiveAvgPool3d/
AdaptiveMaxPool3d, MaxPool1d/2d with return_indices, MaxUnpool1d/2d/3d (fed indices that torch's
max pool returned), FractionalMaxPool2d/3d (with explicit _random_samples), BatchNorm3d and
InstanceNorm3d. Each case carries outputs, input gradients and parameter gradients for a seeded
cotangent. Seeds are fixed; inputs are rounded to 3 decimals.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nn_fixtures_common import I, NNFamily  # noqa: E402

warnings.filterwarnings("ignore")
torch.manual_seed(2103)
torch.use_deterministic_algorithms(True, warn_only=True)  # max_unpool has no flagged kernel; CPU is sequential
torch.set_num_threads(1)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "nn", "fixtures")


class Fn(tnn.Module):
    """A parameterless torch module from a function (to adapt a call)."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


def lst(v):
    return list(v) if isinstance(v, tuple) else v


def convs(fam: NNFamily) -> None:
    def conv(name, cin, cout, k, shape, **kw):
        m = tnn.Conv3d(cin, cout, k, **{("padding_mode" if a == "paddingMode" else a): v for a, v in kw.items()})
        opts = {a: lst(v) for a, v in kw.items()}
        fam.module_case(name, "Conv3d", [cin, cout, lst(k)], m, [fam.randn(*shape)], options=opts or None)

    conv("k3", 2, 3, 3, (2, 2, 4, 5, 4))
    conv("k[2,3,1] stride [2,1,3] padding [1,0,1] dilation [1,2,1]", 2, 2, (2, 3, 1), (1, 2, 5, 6, 7),
         stride=(2, 1, 3), padding=(1, 0, 1), dilation=(1, 2, 1))
    conv("groups 2 no bias", 4, 6, (3, 2, 2), (2, 4, 3, 4, 3), groups=2, bias=False)
    conv("depthwise groups 3", 3, 3, 2, (1, 3, 3, 3, 4), groups=3)
    conv("padding same, even kernel, dilation 2", 2, 2, (2, 3, 4), (1, 2, 4, 5, 6), padding="same", dilation=2)
    conv("padding valid", 1, 2, 2, (2, 1, 3, 3, 3), padding="valid")
    conv("batch 1 channels 1, kernel = input size", 1, 1, (2, 3, 4), (1, 1, 2, 3, 4))
    conv("size-1 dims, kernel 1", 1, 2, 1, (1, 1, 1, 1, 1))
    conv("stride > kernel", 2, 2, 1, (1, 2, 5, 4, 7), stride=3)
    conv("unbatched [C, D, H, W]", 2, 2, 2, (2, 3, 3, 3))
    conv("paddingMode circular", 1, 2, 3, (1, 1, 3, 4, 5), padding=1, paddingMode="circular")
    conv("paddingMode replicate", 1, 1, 3, (1, 1, 3, 3, 4), padding=(1, 2, 1), paddingMode="replicate")
    conv("paddingMode reflect", 1, 1, 3, (1, 1, 3, 4, 3), padding=1, paddingMode="reflect")

    def tconv(name, cin, cout, k, shape, output_size=None, **kw):
        m = tnn.ConvTranspose3d(cin, cout, k, **{("output_padding" if a == "outputPadding" else a): v for a, v in kw.items()})
        opts = {a: lst(v) for a, v in kw.items()}
        x = fam.randn(*shape)
        if output_size is None:
            fam.module_case(name, "ConvTranspose3d", [cin, cout, lst(k)], m, [x], options=opts or None)
        else:
            fam.module_case(name, "ConvTranspose3d", [cin, cout, lst(k)], m, [x], options=opts or None,
                            forward=lambda mod, t: mod(t, output_size=output_size),
                            call={"args": [I(0), {"outputSize": list(output_size)}]})

    tconv("k3", 2, 3, 3, (2, 2, 2, 3, 2))
    tconv("k[2,3,2] stride [2,1,3] padding [1,0,1] outputPadding [1,0,2]", 2, 2, (2, 3, 2), (1, 2, 3, 2, 3),
          stride=(2, 1, 3), padding=(1, 0, 1), outputPadding=(1, 0, 2))
    tconv("groups 2 no bias stride 2", 4, 2, 2, (1, 4, 2, 2, 3), groups=2, bias=False, stride=2)
    tconv("dilation [2,1,2] outputPadding 1 (< dilation)", 1, 2, (2, 2, 3), (1, 1, 3, 2, 2), dilation=(2, 1, 2), outputPadding=(1, 0, 1))
    tconv("batch 1 channels 1 size-1 dims", 1, 1, 1, (1, 1, 1, 1, 1))
    tconv("unbatched [C, D, H, W] stride 3 > kernel 2", 2, 1, 2, (2, 2, 2, 2), stride=3)
    tconv("padding 2 crops", 1, 2, 3, (2, 1, 3, 3, 3), padding=(2, 1, 0))
    tconv("outputSize [5, 4, 6] picks output padding", 1, 1, 2, (1, 1, 2, 2, 3), output_size=(5, 4, 6), stride=2)

    x, w, b = fam.randn(2, 2, 3, 4, 3), fam.randn(4, 1, 2, 2, 2), fam.randn(4)
    fam.fn_case("groups 2 stride [1,2,1] padding 1 with bias", "conv3d", [x, w, b],
                lambda x_, w_, b_: F.conv3d(x_, w_, b_, stride=(1, 2, 1), padding=1, groups=2),
                call={"args": [I(0), I(1)], "options": {"bias": I(2), "stride": [1, 2, 1], "padding": 1, "groups": 2}})
    x, w = fam.randn(1, 2, 2, 3, 2), fam.randn(2, 3, 3, 2, 2)
    fam.fn_case("stride 2 padding [1,0,1] outputPadding [1,1,0]", "convTranspose3d", [x, w],
                lambda x_, w_: F.conv_transpose3d(x_, w_, stride=2, padding=(1, 0, 1), output_padding=(1, 1, 0)),
                call={"args": [I(0), I(1)], "options": {"stride": 2, "padding": [1, 0, 1], "outputPadding": [1, 1, 0]}})


def pools3d(fam: NNFamily) -> None:
    def mp(name, k, shape, **kw):
        tkw = {("return_indices" if a == "returnIndices" else "ceil_mode" if a == "ceilMode" else a): v for a, v in kw.items()}
        opts = {a: lst(v) for a, v in kw.items()}
        fam.module_case(name, "MaxPool3d", [lst(k)], tnn.MaxPool3d(k, **tkw), [fam.randn(*shape)], options=opts or None)

    mp("k2", 2, (2, 2, 4, 4, 4))
    mp("k[3,2,2] stride [2,1,2] padding [1,1,0] dilation [1,2,1] returnIndices", (3, 2, 2), (1, 2, 5, 6, 5),
       stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1), returnIndices=True)
    mp("ceilMode odd sizes returnIndices", 2, (1, 1, 5, 3, 7), ceilMode=True, returnIndices=True)
    mp("ceilMode stride 2 padding 1 k3", 3, (1, 2, 6, 5, 4), stride=2, padding=1, ceilMode=True)
    mp("unbatched channels 1 returnIndices", 2, (1, 3, 4, 2), returnIndices=True)
    mp("kernel = input size", (2, 3, 4), (2, 1, 2, 3, 4), returnIndices=True)
    mp("stride 3 > kernel 1", 1, (1, 2, 4, 5, 3), stride=3)
    mp("size-1 dims", 1, (1, 1, 1, 1, 1), returnIndices=True)

    def ap(name, k, shape, **kw):
        names = {"ceilMode": "ceil_mode", "countIncludePad": "count_include_pad", "divisorOverride": "divisor_override"}
        tkw = {names.get(a, a): v for a, v in kw.items()}
        opts = {a: lst(v) for a, v in kw.items()}
        fam.module_case(name, "AvgPool3d", [lst(k)], tnn.AvgPool3d(k, **tkw), [fam.randn(*shape)], options=opts or None)

    ap("k2", 2, (2, 2, 4, 4, 4))
    ap("k3 stride 2 padding 1 countIncludePad", 3, (1, 2, 5, 5, 6), stride=2, padding=1)
    ap("k3 stride 2 padding 1 countIncludePad false", 3, (1, 2, 5, 5, 6), stride=2, padding=1, countIncludePad=False)
    ap("ceilMode padding [1,0,1] countIncludePad", (2, 3, 2), (1, 1, 5, 7, 4), stride=(2, 2, 3), padding=(1, 0, 1), ceilMode=True)
    ap("ceilMode padding [1,0,1] countIncludePad false", (2, 3, 2), (1, 1, 5, 7, 4), stride=(2, 2, 3), padding=(1, 0, 1),
       ceilMode=True, countIncludePad=False)
    ap("divisorOverride 5 padding 1", 2, (1, 2, 3, 4, 3), padding=1, divisorOverride=5)
    ap("unbatched kernel = input size", (3, 2, 4), (2, 3, 2, 4))
    ap("stride 3 > kernel 2", 2, (1, 1, 7, 5, 8), stride=3)

    def aap(name, out, shape):
        fam.module_case(name, "AdaptiveAvgPool3d", [lst(out)], tnn.AdaptiveAvgPool3d(out), [fam.randn(*shape)])

    aap("[5,7,6] -> [2,3,4]", (2, 3, 4), (2, 2, 5, 7, 6))
    aap("global 1", 1, (1, 3, 3, 4, 2))
    aap("[null, 2, null] keeps D and W", (None, 2, None), (1, 1, 3, 5, 2))
    aap("3 -> 5 (upsampling bins) unbatched", 5, (2, 3, 3, 3))

    def amp(name, out, shape, ri):
        opts = {"returnIndices": True} if ri else None
        fam.module_case(name, "AdaptiveMaxPool3d", [lst(out)], tnn.AdaptiveMaxPool3d(out, return_indices=ri),
                        [fam.randn(*shape)], options=opts)

    amp("[5,7,6] -> [2,3,4] returnIndices", (2, 3, 4), (1, 2, 5, 7, 6), True)
    amp("global 1", 1, (2, 2, 3, 2, 4), False)
    amp("[3, null, 2] returnIndices unbatched", (3, None, 2), (2, 4, 3, 5), True)
    amp("2 -> 3 (upsampling bins) returnIndices", 3, (1, 1, 2, 2, 2), True)


def pools_indices(fam: NNFamily) -> None:
    def mp(cls, tcls, name, k, shape, **kw):
        tkw = {("ceil_mode" if a == "ceilMode" else a): v for a, v in kw.items()}
        opts = {"returnIndices": True, **{a: lst(v) for a, v in kw.items()}}
        fam.module_case(name, cls, [lst(k)], tcls(k, return_indices=True, **tkw), [fam.randn(*shape)], options=opts)

    mp("MaxPool1d", tnn.MaxPool1d, "k2 returnIndices", 2, (2, 3, 8))
    mp("MaxPool1d", tnn.MaxPool1d, "k3 stride 2 padding 1 dilation 2 ceilMode returnIndices", 3, (1, 2, 10),
       stride=2, padding=1, dilation=2, ceilMode=True)
    mp("MaxPool1d", tnn.MaxPool1d, "unbatched kernel = length returnIndices", 5, (2, 5))
    mp("MaxPool2d", tnn.MaxPool2d, "k2 returnIndices", 2, (2, 2, 4, 6))
    mp("MaxPool2d", tnn.MaxPool2d, "k[3,2] stride [2,1] padding [1,1] dilation [1,2] returnIndices", (3, 2), (1, 2, 7, 6),
       stride=(2, 1), padding=(1, 1), dilation=(1, 2))
    mp("MaxPool2d", tnn.MaxPool2d, "ceilMode odd sizes returnIndices", 2, (1, 1, 5, 7), ceilMode=True)
    mp("MaxPool2d", tnn.MaxPool2d, "unbatched stride 3 > kernel 2 returnIndices", 2, (1, 7, 8), stride=3)


def unpools(fam: NNFamily) -> None:
    def case(cls, tcls, tpool, name, k, shape, output_size=None, **kw):
        x = fam.randn(*shape)
        v, i = tpool(k, return_indices=True, **kw)(x)
        m = tcls(k, **kw)
        opts = {a: lst(b) for a, b in kw.items()}
        extra = {"forward": lambda mod, a, b: mod(a, b.long())}
        if output_size is not None:
            extra = {"forward": lambda mod, a, b: mod(a, b.long(), output_size=list(output_size)),
                     "call": {"args": [I(0), I(1), {"outputSize": list(output_size)}]}}
        fam.module_case(name, cls, [lst(k)], m, [v.detach(), i.to(torch.int32)], options=opts or None,
                        grad=[True, False], **extra)

    case("MaxUnpool1d", tnn.MaxUnpool1d, tnn.MaxPool1d, "k2", 2, (2, 2, 8))
    case("MaxUnpool1d", tnn.MaxUnpool1d, tnn.MaxPool1d, "k3 stride 2 padding 1 outputSize 10", 3, (1, 2, 10),
         output_size=(10,), stride=2, padding=1)
    case("MaxUnpool2d", tnn.MaxUnpool2d, tnn.MaxPool2d, "k2", 2, (2, 2, 4, 6))
    case("MaxUnpool2d", tnn.MaxUnpool2d, tnn.MaxPool2d, "k[3,2] stride [2,1] padding [1,0] outputSize full shape", (3, 2),
         (1, 1, 7, 5), output_size=(1, 1, 7, 5), stride=(2, 1), padding=(1, 0))
    case("MaxUnpool2d", tnn.MaxUnpool2d, tnn.MaxPool2d, "unbatched stride 3 > kernel 2", 2, (2, 7, 8), stride=3)
    case("MaxUnpool3d", tnn.MaxUnpool3d, tnn.MaxPool3d, "k2", 2, (2, 2, 4, 4, 4))
    case("MaxUnpool3d", tnn.MaxUnpool3d, tnn.MaxPool3d, "k[2,3,2] stride [2,2,1] padding [1,1,0] outputSize [5,7,4]",
         (2, 3, 2), (1, 1, 5, 7, 4), output_size=(5, 7, 4), stride=(2, 2, 1), padding=(1, 1, 0))
    case("MaxUnpool3d", tnn.MaxUnpool3d, tnn.MaxPool3d, "unbatched channels 1 kernel = input size", (2, 2, 3), (1, 2, 2, 3))


def fractional(fam: NNFamily) -> None:
    def case(cls, f, name, k, shape, ri, **kw):
        x = fam.randn(*shape)
        nd = 2 if cls.endswith("2d") else 3
        lead = shape[:-nd] if len(shape) == nd + 2 else (1, shape[0])
        s = fam.uniform(0, 0.999, lead[0], lead[1], nd)
        tkw = {("output_size" if a == "outputSize" else "output_ratio"): v for a, v in kw.items()}
        m = Fn(lambda x_, s_: f(x_, k, return_indices=ri, _random_samples=s_.to(x_.dtype), **tkw))
        opts = {a: lst(v) for a, v in kw.items()}
        if ri:
            opts["returnIndices"] = True
        fam.module_case(name, cls, [lst(k)], m, [x, s], options=opts, grad=[True, False],
                        call={"args": [I(0), {"randomSamples": I(1)}]})

    f2, f3 = F.fractional_max_pool2d, F.fractional_max_pool3d
    case("FractionalMaxPool2d", f2, "k2 outputSize [5,4] returnIndices", 2, (2, 2, 9, 7), True, outputSize=(5, 4))
    case("FractionalMaxPool2d", f2, "k[3,2] outputRatio 0.5", (3, 2), (1, 3, 10, 8), False, outputRatio=0.5)
    case("FractionalMaxPool2d", f2, "k2 outputRatio [0.7, 0.6] returnIndices", 2, (1, 1, 11, 10), True, outputRatio=(0.7, 0.6))
    case("FractionalMaxPool2d", f2, "unbatched output 1", 3, (2, 4, 5), True, outputSize=1)
    case("FractionalMaxPool2d", f2, "kernel = input size (output 1)", (4, 3), (1, 1, 4, 3), False, outputSize=(1, 1))
    case("FractionalMaxPool3d", f3, "k2 outputSize [3,4,2] returnIndices", 2, (2, 1, 6, 7, 5), True, outputSize=(3, 4, 2))
    case("FractionalMaxPool3d", f3, "k[2,1,3] outputRatio 0.5 unbatched", (2, 1, 3), (2, 6, 4, 8), True, outputRatio=0.5)


def norms(fam: NNFamily) -> None:
    def bn(name, c, shape, mode="train", **kw):
        names = {"trackRunningStats": "track_running_stats"}
        m = tnn.BatchNorm3d(c, **{names.get(a, a): v for a, v in kw.items()})
        if mode == "eval" and m.running_mean is not None:
            with torch.no_grad():
                m.running_mean.copy_(fam.randn(c))
                m.running_var.copy_(fam.uniform(0.5, 2.0, c))
        fam.module_case(name, "BatchNorm3d", [c], m, [fam.randn(*shape)], options=kw or None, mode=mode)

    bn("train", 3, (2, 3, 2, 3, 2))
    bn("train momentum 0.3 eps 1e-3", 2, (3, 2, 2, 2, 3), momentum=0.3, eps=1e-3)
    bn("train momentum null (cumulative)", 2, (2, 2, 1, 2, 3), momentum=None)
    bn("eval running statistics", 2, (2, 2, 2, 3, 2), mode="eval")
    bn("affine false", 2, (2, 2, 2, 2, 2), affine=False)
    bn("trackRunningStats false in eval uses batch statistics", 2, (2, 2, 2, 2, 1), mode="eval", trackRunningStats=False)
    bn("batch 1 channels 1", 1, (1, 1, 2, 2, 2))

    def inorm(name, c, shape, mode="train", **kw):
        names = {"trackRunningStats": "track_running_stats"}
        m = tnn.InstanceNorm3d(c, **{names.get(a, a): v for a, v in kw.items()})
        if mode == "eval" and m.running_mean is not None:
            with torch.no_grad():
                m.running_mean.copy_(fam.randn(c))
                m.running_var.copy_(fam.uniform(0.5, 2.0, c))
        fam.module_case(name, "InstanceNorm3d", [c], m, [fam.randn(*shape)], options=kw or None, mode=mode)

    inorm("default", 3, (2, 3, 2, 3, 2))
    inorm("affine trackRunningStats momentum 0.2 train", 2, (3, 2, 2, 2, 3), affine=True, trackRunningStats=True, momentum=0.2)
    inorm("trackRunningStats eval", 2, (2, 2, 2, 3, 2), mode="eval", trackRunningStats=True)
    inorm("unbatched [C, D, H, W] affine", 2, (2, 3, 2, 2), affine=True)
    inorm("batch 1 channels 1 eps 1e-3", 1, (1, 1, 2, 2, 2), eps=1e-3)


def main() -> None:
    fam = NNFamily("nn21-3d")
    for build in (convs, pools3d, pools_indices, unpools, fractional, norms):
        build(fam)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "nn21-3d.json")
    size = fam.dump(path)
    with open(path) as f:  # the shared writer names the main generator; name this one
        body = f.read().replace('"generator":"tools/gen_nn_fixtures.py"', '"generator":"tools/gen_nn21_3d_fixtures.py"', 1)
    with open(path, "w") as f:
        f.write(body)
    print(f"nn21-3d {len(fam.cases)} cases {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
