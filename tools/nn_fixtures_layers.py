"""Layer fixtures: linear, conv, pooling, resampling, padding, dropout (eval), normalisation,
embedding, activations, containers and positional encodings."""

from __future__ import annotations

import math

import torch
import torch.nn as tnn

from nn_fixtures_common import I32, M, NNFamily, I


class Maxout(tnn.Module):
    """Reference maxout (no torch class): channels split into groups of `pieces`, max over each."""

    def __init__(self, pieces: int):
        super().__init__()
        self.pieces = pieces

    def forward(self, x):
        n, c = x.shape[:2]
        return x.reshape(n, c // self.pieces, self.pieces, *x.shape[2:]).amax(2)


class TutorialPositionalEncoding(tnn.Module):
    """The PositionalEncoding of the PyTorch transformer tutorial (sequence-first), table kept out
    of the state dict as ours is."""

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000):
        super().__init__()
        self.dropout = tnn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        return self.dropout(x + self.pe[: x.size(0)].to(x.dtype))


class LearnedPE(tnn.Module):
    def __init__(self, max_len: int, d: int):
        super().__init__()
        self.weight = tnn.Parameter(torch.randn(max_len, d) * 0.02)

    def forward(self, x):  # batch-first
        return x + self.weight[: x.size(1)]


def layers() -> NNFamily:
    fam = NNFamily("layers")
    torch.manual_seed(1)

    # ---- Linear, Bilinear, Identity, Flatten, Unflatten ----
    fam.module_case("4->3 batch", "Linear", [4, 3], tnn.Linear(4, 3), [fam.randn(5, 4)])
    fam.module_case("4->2 no bias 3-D input", "Linear", [4, 2], tnn.Linear(4, 2, bias=False), [fam.randn(2, 3, 4)], options={"bias": False})
    fam.module_case("1-D input", "Linear", [3, 2], tnn.Linear(3, 2), [fam.randn(3)])
    fam.module_case("3x4->2", "Bilinear", [3, 4, 2], tnn.Bilinear(3, 4, 2), [fam.randn(5, 3), fam.randn(5, 4)])
    fam.module_case("no bias 3-D inputs", "Bilinear", [2, 3, 4], tnn.Bilinear(2, 3, 4, bias=False), [fam.randn(2, 3, 2), fam.randn(2, 3, 3)], options={"bias": False})
    fam.module_case("passes input", "Identity", [], tnn.Identity(), [fam.randn(2, 3)])
    fam.module_case("default dims", "Flatten", [], tnn.Flatten(), [fam.randn(2, 3, 2, 2)])
    fam.module_case("startDim=0 endDim=1", "Flatten", [0, 1], tnn.Flatten(0, 1), [fam.randn(2, 3, 2)])
    fam.module_case("dim 1 -> [2,3]", "Unflatten", [1, [2, 3]], tnn.Unflatten(1, (2, 3)), [fam.randn(2, 6, 2)])

    # ---- convolutions ----
    fam.module_case("3->4 k3", "Conv1d", [3, 4, 3], tnn.Conv1d(3, 4, 3), [fam.randn(2, 3, 8)])
    fam.module_case("stride 2 padding 1 dilation 2", "Conv1d", [2, 3, 3], tnn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2), [fam.randn(2, 2, 9)], options={"stride": 2, "padding": 1, "dilation": 2})
    fam.module_case("groups 2 no bias", "Conv1d", [4, 6, 2], tnn.Conv1d(4, 6, 2, groups=2, bias=False), [fam.randn(1, 4, 5)], options={"groups": 2, "bias": False})
    fam.module_case("padding same k4", "Conv1d", [2, 2, 4], tnn.Conv1d(2, 2, 4, padding="same"), [fam.randn(2, 2, 6)], options={"padding": "same"})
    for mode in ("reflect", "replicate", "circular"):
        fam.module_case(f"paddingMode {mode}", "Conv1d", [2, 3, 3], tnn.Conv1d(2, 3, 3, padding=2, padding_mode=mode), [fam.randn(1, 2, 6)], options={"padding": 2, "paddingMode": mode})
    fam.module_case("unbatched [C, L]", "Conv1d", [2, 3, 2], tnn.Conv1d(2, 3, 2), [fam.randn(2, 5)])

    fam.module_case("2->3 k3", "Conv2d", [2, 3, 3], tnn.Conv2d(2, 3, 3), [fam.randn(2, 2, 6, 5)])
    fam.module_case("stride [2,1] padding [1,2] k[3,2]", "Conv2d", [2, 2, [3, 2]], tnn.Conv2d(2, 2, (3, 2), stride=(2, 1), padding=(1, 2)), [fam.randn(1, 2, 7, 5)], options={"stride": [2, 1], "padding": [1, 2]})
    fam.module_case("dilation 2 groups 2", "Conv2d", [4, 2, 3], tnn.Conv2d(4, 2, 3, dilation=2, groups=2), [fam.randn(1, 4, 7, 7)], options={"dilation": 2, "groups": 2})
    fam.module_case("padding same k[2,3] no bias", "Conv2d", [1, 2, [2, 3]], tnn.Conv2d(1, 2, (2, 3), padding="same", bias=False), [fam.randn(2, 1, 5, 4)], options={"padding": "same", "bias": False})
    for mode in ("reflect", "replicate", "circular"):
        fam.module_case(f"paddingMode {mode}", "Conv2d", [2, 2, 3], tnn.Conv2d(2, 2, 3, padding=(1, 2), padding_mode=mode), [fam.randn(1, 2, 5, 5)], options={"padding": [1, 2], "paddingMode": mode})
    fam.module_case("LeNet conv1 6@5x5 pad 2", "Conv2d", [1, 6, 5], tnn.Conv2d(1, 6, 5, padding=2), [fam.randn(2, 1, 8, 8)], options={"padding": 2})

    fam.module_case("3->2 k3 stride 2 padding 1 outputPadding 1", "ConvTranspose2d", [3, 2, 3], tnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), [fam.randn(2, 3, 4, 3)], options={"stride": 2, "padding": 1, "outputPadding": 1})
    fam.module_case("groups 2 dilation 2 no bias", "ConvTranspose2d", [4, 6, [2, 3]], tnn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2, bias=False), [fam.randn(1, 4, 3, 3)], options={"groups": 2, "dilation": 2, "bias": False})
    fam.module_case(
        "outputSize picks the output padding", "ConvTranspose2d", [2, 2, 3],
        tnn.ConvTranspose2d(2, 2, 3, stride=2), [fam.randn(1, 2, 3, 3)], options={"stride": 2},
        forward=lambda m, x: m(x, output_size=[8, 8]), call={"args": [I(0), {"outputSize": [8, 8]}]},
    )
    fam.module_case("2->3 k4 stride 2", "ConvTranspose1d", [2, 3, 4], tnn.ConvTranspose1d(2, 3, 4, stride=2), [fam.randn(2, 2, 5)], options={"stride": 2})

    # ---- pooling ----
    fam.module_case("k2", "MaxPool1d", [2], tnn.MaxPool1d(2), [fam.randn(2, 3, 7)])
    fam.module_case("k3 stride 2 padding 1 ceilMode", "MaxPool1d", [3], tnn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), [fam.randn(1, 2, 8)], options={"stride": 2, "padding": 1, "ceilMode": True})
    fam.module_case("k2", "MaxPool2d", [2], tnn.MaxPool2d(2), [fam.randn(2, 2, 6, 5)])
    fam.module_case("k3 stride 2 padding 1 dilation 1", "MaxPool2d", [3], tnn.MaxPool2d(3, stride=2, padding=1), [fam.randn(1, 2, 7, 7)], options={"stride": 2, "padding": 1})
    fam.module_case("k[2,3] dilation 2 ceilMode", "MaxPool2d", [[2, 3]], tnn.MaxPool2d((2, 3), dilation=2, ceil_mode=True), [fam.randn(1, 1, 8, 9)], options={"dilation": 2, "ceilMode": True})
    fam.module_case("k3 stride 2", "AvgPool1d", [3], tnn.AvgPool1d(3, stride=2), [fam.randn(2, 2, 9)], options={"stride": 2})
    fam.module_case("k3 padding 1 countIncludePad false", "AvgPool1d", [3], tnn.AvgPool1d(3, padding=1, count_include_pad=False), [fam.randn(1, 2, 7)], options={"padding": 1, "countIncludePad": False})
    fam.module_case("k2", "AvgPool2d", [2], tnn.AvgPool2d(2), [fam.randn(2, 2, 4, 6)])
    fam.module_case("k3 stride 2 padding 1 ceilMode countIncludePad false", "AvgPool2d", [3], tnn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [fam.randn(1, 2, 6, 7)], options={"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False})
    fam.module_case("7 -> 3", "AdaptiveAvgPool1d", [3], tnn.AdaptiveAvgPool1d(3), [fam.randn(2, 2, 7)])
    fam.module_case("[5,7] -> [2,3]", "AdaptiveAvgPool2d", [[2, 3]], tnn.AdaptiveAvgPool2d((2, 3)), [fam.randn(2, 2, 5, 7)])
    fam.module_case("-> 1 (global)", "AdaptiveAvgPool2d", [1], tnn.AdaptiveAvgPool2d(1), [fam.randn(2, 3, 4, 4)])
    fam.module_case("[null, 2] keeps H", "AdaptiveAvgPool2d", [[None, 2]], tnn.AdaptiveAvgPool2d((None, 2)), [fam.randn(1, 2, 3, 5)])

    # ---- resampling ----
    x4 = fam.randn(1, 2, 3, 4)
    fam.module_case("nearest scale 2", "Upsample", [{"scaleFactor": 2, "mode": "nearest"}], tnn.Upsample(scale_factor=2, mode="nearest"), [x4])
    fam.module_case("nearest size [5,7]", "Upsample", [{"size": [5, 7], "mode": "nearest"}], tnn.Upsample(size=(5, 7), mode="nearest"), [x4])
    fam.module_case("nearest scale 1.5", "Upsample", [{"scaleFactor": 1.5}], tnn.Upsample(scale_factor=1.5), [fam.randn(1, 1, 4, 4)])
    for ac in (False, True):
        fam.module_case(f"bilinear scale 2 alignCorners {ac}", "Upsample", [{"scaleFactor": 2, "mode": "bilinear", "alignCorners": ac}], tnn.Upsample(scale_factor=2, mode="bilinear", align_corners=ac), [x4])
        fam.module_case(f"bilinear size [5,3] alignCorners {ac}", "Upsample", [{"size": [5, 3], "mode": "bilinear", "alignCorners": ac}], tnn.Upsample(size=(5, 3), mode="bilinear", align_corners=ac), [x4])
        fam.module_case(f"linear size 7 alignCorners {ac}", "Upsample", [{"size": 7, "mode": "linear", "alignCorners": ac}], tnn.Upsample(size=7, mode="linear", align_corners=ac), [fam.randn(2, 2, 4)])
    fam.module_case("bilinear scale 2.5", "Upsample", [{"scaleFactor": 2.5, "mode": "bilinear"}], tnn.Upsample(scale_factor=2.5, mode="bilinear"), [fam.randn(1, 1, 3, 2)])

    # ---- padding ----
    fam.module_case("1", "ZeroPad2d", [1], tnn.ZeroPad2d(1), [fam.randn(1, 2, 3, 3)])
    fam.module_case("[1,0,2,1]", "ZeroPad2d", [[1, 0, 2, 1]], tnn.ZeroPad2d((1, 0, 2, 1)), [fam.randn(2, 1, 2, 3)])
    fam.module_case("[1,2,0,1] value 0.5", "ConstantPad2d", [[1, 2, 0, 1], 0.5], tnn.ConstantPad2d((1, 2, 0, 1), 0.5), [fam.randn(1, 1, 3, 3)])
    fam.module_case("2", "ReflectionPad2d", [2], tnn.ReflectionPad2d(2), [fam.randn(1, 2, 3, 4)])
    fam.module_case("[1,2,2,0]", "ReplicationPad2d", [[1, 2, 2, 0]], tnn.ReplicationPad2d((1, 2, 2, 0)), [fam.randn(1, 1, 3, 3)])

    # ---- dropout: deterministic where it is the identity ----
    fam.module_case("eval is the identity", "Dropout", [0.5], tnn.Dropout(0.5), [fam.randn(3, 4)], mode="eval")
    fam.module_case("p=0 in training is the identity", "Dropout", [0], tnn.Dropout(0.0), [fam.randn(3, 4)])
    fam.module_case("eval is the identity", "Dropout2d", [0.3], tnn.Dropout2d(0.3), [fam.randn(2, 3, 2, 2)], mode="eval")

    # ---- normalisation ----
    def with_stats(m):
        with torch.no_grad():
            if getattr(m, "running_mean", None) is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape) + 0.5)
                m.num_batches_tracked.fill_(3)
            if getattr(m, "weight", None) is not None:
                m.weight.copy_(torch.rand(m.weight.shape) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.3)
        return m

    x = fam.randn(6, 4, scale=2)
    fam.module_case("[6,4] train", "BatchNorm1d", [4], with_stats(tnn.BatchNorm1d(4)), [x])
    fam.module_case("[6,4] eval", "BatchNorm1d", [4], with_stats(tnn.BatchNorm1d(4)), [x], mode="eval")
    fam.module_case("[4,3,5] train", "BatchNorm1d", [3], with_stats(tnn.BatchNorm1d(3)), [fam.randn(4, 3, 5)])
    fam.module_case("momentum null (cumulative average) train", "BatchNorm1d", [3], with_stats(tnn.BatchNorm1d(3, momentum=None)), [fam.randn(5, 3)], options={"momentum": None})
    fam.module_case("momentum 0.3 eps 1e-3 train", "BatchNorm1d", [3], with_stats(tnn.BatchNorm1d(3, momentum=0.3, eps=1e-3)), [fam.randn(5, 3)], options={"momentum": 0.3, "eps": 1e-3})
    fam.module_case("affine false train", "BatchNorm1d", [3], with_stats(tnn.BatchNorm1d(3, affine=False)), [fam.randn(4, 3)], options={"affine": False})
    fam.module_case("trackRunningStats false eval uses batch stats", "BatchNorm1d", [3], with_stats(tnn.BatchNorm1d(3, track_running_stats=False)), [fam.randn(4, 3)], options={"trackRunningStats": False}, mode="eval")
    xb = fam.randn(3, 2, 4, 4, scale=1.5)
    fam.module_case("[3,2,4,4] train", "BatchNorm2d", [2], with_stats(tnn.BatchNorm2d(2)), [xb])
    fam.module_case("[3,2,4,4] eval", "BatchNorm2d", [2], with_stats(tnn.BatchNorm2d(2)), [xb], mode="eval")

    fam.module_case("[2,3,4] over last dim", "LayerNorm", [4], with_stats(tnn.LayerNorm(4)), [fam.randn(2, 3, 4, scale=2)])
    fam.module_case("[2,3,4] over [3,4]", "LayerNorm", [[3, 4]], with_stats(tnn.LayerNorm((3, 4))), [fam.randn(2, 3, 4)])
    fam.module_case("elementwiseAffine false eps 1e-3", "LayerNorm", [5], tnn.LayerNorm(5, eps=1e-3, elementwise_affine=False), [fam.randn(3, 5)], options={"eps": 1e-3, "elementwiseAffine": False})
    fam.module_case("2 groups of 4 channels", "GroupNorm", [2, 4], with_stats(tnn.GroupNorm(2, 4)), [fam.randn(2, 4, 3, 3)])
    fam.module_case("1 group (layer-norm like) [N,C,L]", "GroupNorm", [1, 3], with_stats(tnn.GroupNorm(1, 3)), [fam.randn(2, 3, 5)])
    fam.module_case("3 groups affine false", "GroupNorm", [3, 3], tnn.GroupNorm(3, 3, affine=False), [fam.randn(2, 3, 2, 2)], options={"affine": False})
    fam.module_case("default (no affine)", "InstanceNorm2d", [3], tnn.InstanceNorm2d(3), [fam.randn(2, 3, 4, 4)])
    fam.module_case("affine", "InstanceNorm2d", [2], with_stats(tnn.InstanceNorm2d(2, affine=True)), [fam.randn(2, 2, 3, 3)], options={"affine": True})
    fam.module_case("trackRunningStats train", "InstanceNorm2d", [2], with_stats(tnn.InstanceNorm2d(2, track_running_stats=True)), [fam.randn(3, 2, 3, 3)], options={"trackRunningStats": True})
    fam.module_case("trackRunningStats eval", "InstanceNorm2d", [2], with_stats(tnn.InstanceNorm2d(2, track_running_stats=True)), [fam.randn(3, 2, 3, 3)], options={"trackRunningStats": True}, mode="eval")
    fam.module_case("[N,C,L] affine", "InstanceNorm1d", [3], with_stats(tnn.InstanceNorm1d(3, affine=True)), [fam.randn(2, 3, 5)], options={"affine": True})

    # ---- embedding ----
    emb = lambda m, i: m(i.long())  # noqa: E731
    fam.module_case("10x4 [2,3] indices", "Embedding", [10, 4], tnn.Embedding(10, 4), [torch.tensor([[1, 5, 1], [9, 0, 3]], dtype=I32)], forward=emb)
    e = tnn.Embedding(6, 3, padding_idx=0)
    fam.module_case("paddingIdx 0: zero row, no gradient", "Embedding", [6, 3], e, [torch.tensor([0, 2, 0, 5, 2], dtype=I32)], options={"paddingIdx": 0}, forward=emb)
    e = tnn.Embedding(6, 3, padding_idx=-1)
    with torch.no_grad():
        e.weight[5] = torch.tensor([0.5, -0.25, 1.0])  # a loaded non-zero padding row is returned but never trained
    fam.module_case("paddingIdx -1 with a non-zero row", "Embedding", [6, 3], e, [torch.tensor([[5, 1], [2, 5]], dtype=I32)], options={"paddingIdx": -1}, forward=emb)
    e = tnn.Embedding(5, 4, max_norm=1.0)
    with torch.no_grad():
        e.weight.mul_(2)
    fam.module_case("maxNorm 1 renormalises looked-up rows", "Embedding", [5, 4], e, [torch.tensor([0, 3, 3, 1], dtype=I32)], options={"maxNorm": 1.0}, forward=emb)
    e = tnn.Embedding(5, 3, max_norm=1.5, norm_type=1.0)
    fam.module_case("maxNorm 1.5 normType 1", "Embedding", [5, 3], e, [torch.tensor([4, 2], dtype=I32)], options={"maxNorm": 1.5, "normType": 1}, forward=emb)
    fam.module_case("scaleGradByFreq", "Embedding", [5, 2], tnn.Embedding(5, 2, scale_grad_by_freq=True), [torch.tensor([1, 1, 1, 4, 2, 4], dtype=I32)], options={"scaleGradByFreq": True}, forward=emb)

    # ---- activations ----
    acts = [
        ("ReLU", [], tnn.ReLU(), 1.0),
        ("ReLU6", [], tnn.ReLU6(), 4.0),
        ("LeakyReLU", [0.2], tnn.LeakyReLU(0.2), 1.0),
        ("ELU", [0.5], tnn.ELU(0.5), 1.5),
        ("SELU", [], tnn.SELU(), 1.5),
        ("CELU", [1.5], tnn.CELU(1.5), 1.5),
        ("GELU", [], tnn.GELU(), 2.0),
        ("SiLU", [], tnn.SiLU(), 2.0),
        ("Mish", [], tnn.Mish(), 2.0),
        ("Sigmoid", [], tnn.Sigmoid(), 3.0),
        ("Tanh", [], tnn.Tanh(), 2.0),
        ("Softplus", [], tnn.Softplus(), 3.0),
        ("Softsign", [], tnn.Softsign(), 2.0),
        ("Hardsigmoid", [], tnn.Hardsigmoid(), 4.0),
        ("Hardswish", [], tnn.Hardswish(), 4.0),
        ("Hardtanh", [-2, 2], tnn.Hardtanh(-2, 2), 3.0),
        ("LogSigmoid", [], tnn.LogSigmoid(), 3.0),
        ("Softmax", [1], tnn.Softmax(dim=1), 2.0),
        ("LogSoftmax", [0], tnn.LogSoftmax(dim=0), 2.0),
        ("Softmin", [-1], tnn.Softmin(dim=-1), 2.0),
        ("Tanhshrink", [], tnn.Tanhshrink(), 2.0),
        ("Softshrink", [0.5], tnn.Softshrink(0.5), 1.5),
        ("Hardshrink", [0.5], tnn.Hardshrink(0.5), 1.5),
        ("Threshold", [0.1, 20], tnn.Threshold(0.1, 20.0), 1.0),
        ("GLU", [-1], tnn.GLU(-1), 2.0),
    ]
    for name, args, mod, scale in acts:
        fam.module_case(f"[3,6] args {args}", name, args, mod, [fam.randn(3, 6, scale=scale)])
    fam.module_case("[3,6] approximate tanh", "GELU", [{"approximate": "tanh"}], tnn.GELU(approximate="tanh"), [fam.randn(3, 6, scale=2)])
    fam.module_case("[3,6] beta 2 threshold 5", "Softplus", [{"beta": 2, "threshold": 5}], tnn.Softplus(beta=2, threshold=5), [fam.randn(3, 6, scale=3)])
    fam.module_case("shared slope", "PReLU", [], tnn.PReLU(), [fam.randn(2, 3, 4)])
    p = tnn.PReLU(3)
    with torch.no_grad():
        p.weight.copy_(torch.tensor([0.1, -0.2, 0.5]))
    fam.module_case("one slope per channel", "PReLU", [3], p, [fam.randn(2, 3, 4)])
    fam.module_case("3 pieces over 6 channels", "Maxout", [3], Maxout(3), [fam.randn(2, 6, 2)])

    # ---- containers ----
    seq = tnn.Sequential(tnn.Linear(4, 5), tnn.ReLU(), tnn.Linear(5, 2))
    fam.module_case("Linear-ReLU-Linear: names 0.weight, 2.bias", "Sequential", [M("Linear", 4, 5), M("ReLU"), M("Linear", 5, 2)], seq, [fam.randn(3, 4)])
    from collections import OrderedDict

    seq = tnn.Sequential(OrderedDict([("conv", tnn.Conv2d(1, 2, 3)), ("bn", tnn.BatchNorm2d(2)), ("act", tnn.Tanh()), ("flat", tnn.Flatten())]))
    fam.module_case(
        "named children conv/bn/act/flat",
        "Sequential",
        [{"conv": M("Conv2d", 1, 2, 3), "bn": M("BatchNorm2d", 2), "act": M("Tanh"), "flat": M("Flatten")}],
        with_stats_seq(seq),
        [fam.randn(2, 1, 4, 4)],
    )

    # ---- positional encodings ----
    fam.module_case("tutorial table, [5,2,6] seq-first", "SinusoidalPositionalEncoding", [6], TutorialPositionalEncoding(6, 0.0), [fam.randn(5, 2, 6)], options={"dropout": 0})
    fam.module_case("eval mode: dropout is off", "SinusoidalPositionalEncoding", [6], TutorialPositionalEncoding(6, 0.3), [fam.randn(3, 1, 6)], options={"dropout": 0.3}, mode="eval")
    fam.module_case("[2,5,6] batchFirst", "LearnedPositionalEncoding", [10, 6], LearnedPE(10, 6), [fam.randn(2, 5, 6)], options={"batchFirst": True, "dropout": 0})
    return fam


def with_stats_seq(seq):
    with torch.no_grad():
        bn = seq.bn
        bn.running_mean.copy_(torch.randn(2) * 0.3)
        bn.running_var.copy_(torch.rand(2) + 0.5)
    return seq
