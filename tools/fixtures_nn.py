"""Neural-net primitive fixtures: softmax, convolutions, pooling, unfold, normalisation, bias + activation."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fixtures_common import I32, Family
from fixtures_elementwise import t

INF = float("inf")


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else v


def nn() -> Family:
    fam = Family("nn")

    for op, fn in (("softmax", torch.softmax), ("logSoftmax", torch.log_softmax)):
        for name, x, a in (
            ("[3,4] default axis", fam.randn(3, 4), {}),
            ("[3,4] axis=0", fam.randn(3, 4), {"axis": 0}),
            ("[2,3,4] axis=1", fam.randn(2, 3, 4), {"axis": 1}),
            ("[7]", fam.randn(7, scale=3), {}),
            ("[2,1] size-1 axis", fam.randn(2, 1), {}),
            ("large values do not overflow", t([[1000.0, 1001.0, 999.5], [-1000.0, -1002.0, -1001.0]]), {}),
            ("[0,3] empty", torch.zeros(0, 3), {}),
            ("[4,25] larger", fam.randn(4, 25, scale=3), {}),
        ):
            fam.case(name, op, [x], lambda v, a=a, fn=fn: fn(v, a.get("axis", -1)), a)
        # Masked positions (attention masks): outputs and gradients stay finite where torch has them so.
        fam.case("-Infinity entries", op, [t([[-INF, 0.0, 1.0], [-INF, 2.0, -INF]])], lambda v, fn=fn: fn(v, -1))

    _normalization(fam)

    # embedding(indices, weight)
    w = fam.randn(6, 3)
    for name, idx in (
        ("[4] indices", t([0, 5, 2, 2], I32)),
        ("[2,3] indices", t([[1, 1, 0], [5, 4, 1]], I32)),
        ("[] index", t(3, I32)),
        ("[0] indices", torch.zeros(0, dtype=I32)),
    ):
        fam.case(name, "embedding", [idx, w], lambda i, ww: F.embedding(i.long(), ww))

    # dropout with training off is deterministic: the identity (random masks are not fixture-tested).
    x = fam.randn(2, 3)
    fam.case("eval is the identity", "dropout", [x], lambda a: F.dropout(a, 0.5, False), {"p": 0.5, "training": False})

    _bias_act(fam)
    return fam


BIAS_ACTS = {
    "none": lambda z: z,
    "relu": torch.relu,
    "gelu": F.gelu,  # the exact (erf) form
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "silu": F.silu,
}


def _bias_act(fam: Family) -> None:
    """biasAct(x, bias, {axis, activation}) = act(x + bias broadcast along axis); gradients for both."""

    def ref(x, b, a):
        axis = a.get("axis", -1) % x.dim()
        shape = [x.shape[d] if d == axis else 1 for d in range(x.dim())]
        return BIAS_ACTS[a.get("activation", "none")](x + b.view(shape))

    # Small enough for the finite-difference check: one [N, C] and one [N, C, H, W] case.
    fd = {"[4,5] axis=-1 tanh", "[2,3,2,2] axis=1 gelu"}
    for act in BIAS_ACTS:
        for name, xs, axis in (
            (f"[4,5] axis=-1 {act}", (4, 5), -1),
            (f"[2,3,4,4] axis=1 {act}", (2, 3, 4, 4), 1),
        ):
            a = {"axis": axis, "activation": act}
            inputs = [fam.randn(*xs, scale=2), fam.randn(xs[axis])]
            gc = True if name in fd else (False if act == "relu" else None)
            fam.case(name, "biasAct", inputs, lambda x, b, a=a: ref(x, b, a), a, gradcheck=gc)
    for name, xs, a in (
        ("[3,4] defaults (axis -1, no activation)", (3, 4), {}),
        ("[2,3,2,2] axis=1 gelu", (2, 3, 2, 2), {"axis": 1, "activation": "gelu"}),
        ("[5,3] axis=0 silu", (5, 3), {"axis": 0, "activation": "silu"}),
        ("[2,3,5] axis=1 sigmoid", (2, 3, 5), {"axis": 1, "activation": "sigmoid"}),
    ):
        axis = a.get("axis", -1)
        inputs = [fam.randn(*xs, scale=2), fam.randn(xs[axis])]
        gc = True if name in fd else None
        fam.case(name, "biasAct", inputs, lambda x, b, a=a: ref(x, b, a), a, gradcheck=gc)


def conv() -> Family:
    fam = Family("conv")

    def conv_fn(op):
        f = {"conv1d": F.conv1d, "conv2d": F.conv2d}[op]

        def fn(x, w, b=None, a=None):
            a = a or {}
            return f(
                x,
                w,
                b,
                stride=_pair(a.get("stride", 1)),
                padding=_pair(a.get("padding", 0)),
                dilation=_pair(a.get("dilation", 1)),
                groups=a.get("groups", 1),
            )

        return fn

    c2 = conv_fn("conv2d")
    for name, xs, ws, bias, a in (
        ("[1,1,5,5] * [1,1,3,3]", (1, 1, 5, 5), (1, 1, 3, 3), False, {}),
        ("[2,3,6,6] * [4,3,3,3] bias stride=2 padding=1", (2, 3, 6, 6), (4, 3, 3, 3), True, {"stride": 2, "padding": 1}),
        ("[1,2,7,5] * [3,2,3,2] stride=[2,1] padding=[1,0]", (1, 2, 7, 5), (3, 2, 3, 2), False, {"stride": [2, 1], "padding": [1, 0]}),  # noqa: E501
        ("padding='same' 3x3", (1, 2, 5, 6), (2, 2, 3, 3), True, {"padding": "same"}),
        ("padding='same' even 4x4 kernel pads bottom/right more", (1, 1, 6, 5), (2, 1, 4, 4), False, {"padding": "same"}),  # noqa: E501
        ("padding='same' 2x3 kernel dilation=2", (1, 2, 6, 6), (1, 2, 2, 3), False, {"padding": "same", "dilation": 2}),  # noqa: E501
        ("padding='valid'", (1, 2, 5, 5), (3, 2, 2, 2), True, {"padding": "valid"}),
        ("dilation=2", (1, 1, 7, 7), (2, 1, 3, 3), False, {"dilation": 2}),
        ("dilation=[1,2] padding=2", (1, 1, 5, 6), (1, 1, 3, 2), False, {"dilation": [1, 2], "padding": 2}),
        ("groups=2", (1, 4, 5, 5), (6, 2, 3, 3), True, {"groups": 2, "padding": 1}),
        ("depthwise groups=3", (2, 3, 5, 4), (3, 1, 3, 3), False, {"groups": 3}),
        ("1x1 kernel", (2, 3, 3, 4), (2, 3, 1, 1), True, {}),
        ("kernel as large as the image", (1, 2, 3, 3), (2, 2, 3, 3), False, {}),
        ("stride=3 padding=2 odd sizes", (1, 1, 7, 8), (2, 1, 3, 3), True, {"stride": 3, "padding": 2}),
        ("larger [2,4,8,8] * [6,2,3,3] groups=2 padding=1", (2, 4, 8, 8), (6, 2, 3, 3), True, {"groups": 2, "padding": 1}),  # noqa: E501
        # 3x3, stride 1, >= 8 channels each side: the wasm backend's Winograd path.
        ("[2,8,7,9] * [10,8,3,3] bias padding=1", (2, 8, 7, 9), (10, 8, 3, 3), True, {"padding": 1}),
        ("[1,12,6,11] * [8,12,3,3] padding=[2,0]", (1, 12, 6, 11), (8, 12, 3, 3), False, {"padding": [2, 0]}),
        # ... with >= 48 output tiles of 2x2 per image: its filter gradient too.
        ("[2,8,14,13] * [9,8,3,3] padding=1", (2, 8, 14, 13), (9, 8, 3, 3), False, {"padding": 1}),
    ):
        inputs = [fam.randn(*xs), fam.randn(*ws, scale=0.5)] + ([fam.randn(ws[0])] if bias else [])
        fam.case(name, "conv2d", inputs, lambda *v, a=a: c2(*v, a=a), a)

    c1 = conv_fn("conv1d")
    for name, xs, ws, bias, a in (
        ("[1,1,6] * [1,1,3]", (1, 1, 6), (1, 1, 3), False, {}),
        ("[2,3,8] * [4,3,3] bias stride=2 padding=1", (2, 3, 8), (4, 3, 3), True, {"stride": 2, "padding": 1}),
        ("padding='same' even kernel 4", (1, 2, 7), (2, 2, 4), False, {"padding": "same"}),
        ("padding='same' dilation=2", (1, 1, 6), (2, 1, 3), True, {"padding": "same", "dilation": 2}),
        ("padding='valid'", (2, 2, 5), (1, 2, 2), False, {"padding": "valid"}),
        ("dilation=3", (1, 2, 9), (2, 2, 3), False, {"dilation": 3}),
        ("groups=3", (1, 3, 7), (3, 1, 3), True, {"groups": 3}),
        ("groups=2 stride=3 padding=2", (2, 4, 8), (4, 2, 2), False, {"groups": 2, "stride": 3, "padding": 2}),
    ):
        inputs = [fam.randn(*xs), fam.randn(*ws, scale=0.5)] + ([fam.randn(ws[0])] if bias else [])
        fam.case(name, "conv1d", inputs, lambda *v, a=a: c1(*v, a=a), a)

    def ct(x, w, b=None, a=None):
        a = a or {}
        return F.conv_transpose2d(
            x,
            w,
            b,
            stride=_pair(a.get("stride", 1)),
            padding=_pair(a.get("padding", 0)),
            output_padding=_pair(a.get("outputPadding", 0)),
            groups=a.get("groups", 1),
            dilation=_pair(a.get("dilation", 1)),
        )

    for name, xs, ws, bias, a in (
        ("[1,2,3,3] * [2,3,3,3]", (1, 2, 3, 3), (2, 3, 3, 3), False, {}),
        ("stride=2", (1, 1, 3, 3), (1, 2, 3, 3), True, {"stride": 2}),
        ("stride=2 padding=1 outputPadding=1", (2, 2, 3, 4), (2, 2, 3, 3), True, {"stride": 2, "padding": 1, "outputPadding": 1}),  # noqa: E501
        ("stride=[2,1] padding=[1,0]", (1, 2, 3, 3), (2, 1, 2, 3), False, {"stride": [2, 1], "padding": [1, 0]}),
        ("groups=2", (1, 4, 3, 3), (4, 1, 2, 2), True, {"groups": 2}),
        ("groups=2 stride=2 outputPadding=1", (1, 4, 2, 3), (4, 2, 3, 3), False, {"groups": 2, "stride": 2, "outputPadding": 1}),  # noqa: E501
        ("dilation=2", (1, 1, 3, 3), (1, 2, 2, 2), False, {"dilation": 2}),
        ("1x1 input", (2, 3, 1, 1), (3, 2, 2, 2), True, {}),
    ):
        inputs = [fam.randn(*xs), fam.randn(*ws, scale=0.5)] + ([fam.randn(ws[1] * a.get("groups", 1))] if bias else [])
        fam.case(name, "convTranspose2d", inputs, lambda *v, a=a: ct(*v, a=a), a)

    # pooling
    def maxpool(nd):
        f = F.max_pool1d if nd == 1 else F.max_pool2d

        def fn(x, a):
            k = _pair(a["kernel"])
            return f(x, k, _pair(a.get("stride", k)), _pair(a.get("padding", 0)), _pair(a.get("dilation", 1)), a.get("ceilMode", False))  # noqa: E501

        return fn

    def avgpool(nd):
        f = F.avg_pool1d if nd == 1 else F.avg_pool2d

        def fn(x, a):
            k = _pair(a["kernel"])
            return f(x, k, _pair(a.get("stride", k)), _pair(a.get("padding", 0)), a.get("ceilMode", False), a.get("countIncludePad", True))  # noqa: E501

        return fn

    ties2 = torch.tensor([[[[1.0, 1.0, 0.0, 2.0, 2.0], [1.0, 0.5, 2.0, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0, 0.0],
                            [3.0, -1.0, 3.0, 3.0, 1.0], [3.0, 3.0, 0.5, 1.0, 1.0]]]])  # fmt: skip
    for name, x, a in (
        ("[1,2,6,6] kernel=2", fam.randn(1, 2, 6, 6), {"kernel": 2}),
        ("[2,1,5,5] kernel=3 stride=2 padding=1", fam.randn(2, 1, 5, 5), {"kernel": 3, "stride": 2, "padding": 1}),
        ("[1,2,5,6] kernel=[3,2] stride=[2,1]", fam.randn(1, 2, 5, 6), {"kernel": [3, 2], "stride": [2, 1]}),
        ("[1,1,5,5] kernel=2 ceilMode", fam.randn(1, 1, 5, 5), {"kernel": 2, "ceilMode": True}),
        ("[1,1,6,7] kernel=3 stride=2 padding=1 ceilMode", fam.randn(1, 1, 6, 7), {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True}),  # noqa: E501
        ("[1,1,7,7] kernel=2 dilation=2", fam.randn(1, 1, 7, 7), {"kernel": 2, "dilation": 2}),
        ("[1,1,5,5] kernel=2 padding=[1,0] stride=1", fam.randn(1, 1, 5, 5), {"kernel": 2, "padding": [1, 0], "stride": 1}),  # noqa: E501
        ("ties: the first maximum in the window gets the gradient", ties2, {"kernel": 2, "stride": 1}),
        ("all-negative values with padding (padding never wins)", -fam.uniform(0.5, 2.0, 1, 1, 4, 4), {"kernel": 3, "stride": 2, "padding": 1}),  # noqa: E501
    ):
        fam.case(name, "maxPool2d", [x], lambda v, a=a: maxpool(2)(v, a), a, gradcheck=False if "ties" in name else None)
    for name, x, a in (
        ("[2,3,7] kernel=3", fam.randn(2, 3, 7), {"kernel": 3}),
        ("[1,2,8] kernel=3 stride=2 padding=1", fam.randn(1, 2, 8), {"kernel": 3, "stride": 2, "padding": 1}),
        ("[1,1,7] kernel=2 ceilMode", fam.randn(1, 1, 7), {"kernel": 2, "ceilMode": True}),
        ("[1,1,9] kernel=3 dilation=2 stride=1", fam.randn(1, 1, 9), {"kernel": 3, "dilation": 2, "stride": 1}),
        ("ties: the first maximum in the window gets the gradient", t([[[1.0, 2.0, 2.0, 0.0, 2.0, 2.0]]]), {"kernel": 3, "stride": 1}),  # noqa: E501
    ):
        fam.case(name, "maxPool1d", [x], lambda v, a=a: maxpool(1)(v, a), a, gradcheck=False if "ties" in name else None)

    for name, x, a in (
        ("[1,2,6,6] kernel=2", fam.randn(1, 2, 6, 6), {"kernel": 2}),
        ("[2,1,5,5] kernel=3 stride=2 padding=1", fam.randn(2, 1, 5, 5), {"kernel": 3, "stride": 2, "padding": 1}),
        ("[2,1,5,5] kernel=3 stride=2 padding=1 countIncludePad=false", fam.randn(2, 1, 5, 5), {"kernel": 3, "stride": 2, "padding": 1, "countIncludePad": False}),  # noqa: E501
        ("[1,2,5,6] kernel=[3,2] stride=[1,2]", fam.randn(1, 2, 5, 6), {"kernel": [3, 2], "stride": [1, 2]}),
        ("[1,1,5,5] kernel=2 ceilMode", fam.randn(1, 1, 5, 5), {"kernel": 2, "ceilMode": True}),
        ("[1,1,6,7] kernel=3 stride=2 padding=1 ceilMode", fam.randn(1, 1, 6, 7), {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True}),  # noqa: E501
        ("[1,1,6,7] kernel=3 stride=2 padding=1 ceilMode countIncludePad=false", fam.randn(1, 1, 6, 7), {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}),  # noqa: E501
        ("[1,1,4,5] kernel=2 padding=[1,0] stride=1", fam.randn(1, 1, 4, 5), {"kernel": 2, "padding": [1, 0], "stride": 1}),  # noqa: E501
    ):
        fam.case(name, "avgPool2d", [x], lambda v, a=a: avgpool(2)(v, a), a)
    for name, x, a in (
        ("[2,3,7] kernel=3", fam.randn(2, 3, 7), {"kernel": 3}),
        ("[1,2,8] kernel=3 stride=2 padding=1", fam.randn(1, 2, 8), {"kernel": 3, "stride": 2, "padding": 1}),
        ("[1,2,8] kernel=3 stride=2 padding=1 countIncludePad=false", fam.randn(1, 2, 8), {"kernel": 3, "stride": 2, "padding": 1, "countIncludePad": False}),  # noqa: E501
        ("[1,1,7] kernel=2 ceilMode", fam.randn(1, 1, 7), {"kernel": 2, "ceilMode": True}),
        ("[1,1,8] kernel=3 stride=2 padding=1 ceilMode countIncludePad=false", fam.randn(1, 1, 8), {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}),  # noqa: E501
    ):
        fam.case(name, "avgPool1d", [x], lambda v, a=a: avgpool(1)(v, a), a)

    for name, x, size in (
        ("[1,2,6,6] to 3 (divisible)", fam.randn(1, 2, 6, 6), 3),
        ("[2,1,4,6] to [2,3] (divisible)", fam.randn(2, 1, 4, 6), [2, 3]),
        ("[1,2,7,5] to [3,2] (overlapping windows)", fam.randn(1, 2, 7, 5), [3, 2]),
        ("[1,1,5,5] to 1 (global)", fam.randn(1, 1, 5, 5), 1),
        ("[1,1,2,3] to [4,5] (upsampling)", fam.randn(1, 1, 2, 3), [4, 5]),
    ):
        fam.case(name, "adaptiveAvgPool2d", [x], lambda v, s=size: F.adaptive_avg_pool2d(v, _pair(s)), {"outputSize": size})

    for name, x, a in (
        ("[1,2,4,4] kernel=2", fam.randn(1, 2, 4, 4), {"kernel": 2}),
        ("[2,1,4,5] kernel=[2,3] padding=1", fam.randn(2, 1, 4, 5), {"kernel": [2, 3], "padding": 1}),
        ("[1,1,5,5] kernel=2 dilation=2 stride=2", fam.randn(1, 1, 5, 5), {"kernel": 2, "dilation": 2, "stride": 2}),
        ("[1,2,3,4] kernel=3 padding=[1,0] stride=[1,2]", fam.randn(1, 2, 3, 4), {"kernel": 3, "padding": [1, 0], "stride": [1, 2]}),  # noqa: E501
    ):
        fam.case(
            name,
            "unfold",
            [x],
            lambda v, a=a: F.unfold(v, _pair(a["kernel"]), _pair(a.get("dilation", 1)), _pair(a.get("padding", 0)), _pair(a.get("stride", 1))),  # noqa: E501
            a,
        )
    return fam


def _normalization(fam: Family) -> None:
    def bn(x, rm, rv, w=None, b=None, a=None):
        a = a or {}
        # F.batch_norm updates running stats in place in training mode: work on copies.
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, a.get("training", False), 0.1, a.get("eps", 1e-5))

    for name, xs, affine, a in (
        ("[4,3] eval", (4, 3), True, {}),
        ("[4,3] training", (4, 3), True, {"training": True}),
        ("[2,3,5] eval no affine", (2, 3, 5), False, {"training": False}),
        ("[2,3,5] training", (2, 3, 5), True, {"training": True}),
        ("[2,2,3,3] training eps=0.001", (2, 2, 3, 3), True, {"training": True, "eps": 1e-3}),
        ("[2,2,3,3] eval", (2, 2, 3, 3), True, {}),
        ("[3,2,2,2] training no affine", (3, 2, 2, 2), False, {"training": True}),
    ):
        c = xs[1]
        inputs = [fam.randn(*xs, scale=2) + 0.5, fam.randn(c, scale=0.5), fam.uniform(0.5, 2.0, c)]
        if affine:
            inputs += [fam.uniform(0.5, 1.5, c), fam.randn(c)]
        grad = [True, False, False] + ([True, True] if affine else [])
        fam.case(name, "batchNorm", inputs, lambda *v, a=a: bn(*v, a=a), a, grad=grad, note="running stats get no gradient")  # noqa: E501

    def ln(x, w=None, b=None, a=None):
        return F.layer_norm(x, a["normalizedShape"], w, b, a.get("eps", 1e-5))

    for name, xs, affine, a in (
        ("[2,3,4] over [4]", (2, 3, 4), False, {"normalizedShape": [4]}),
        ("[3,4] over [4] affine", (3, 4), True, {"normalizedShape": [4]}),
        ("[2,3,4] over [3,4] affine", (2, 3, 4), True, {"normalizedShape": [3, 4]}),
        ("[2,5] eps=0.001", (2, 5), False, {"normalizedShape": [5], "eps": 1e-3}),
        ("[4,1] over [1] (zero variance)", (4, 1), True, {"normalizedShape": [1]}),
    ):
        ns = a["normalizedShape"]
        inputs = [fam.randn(*xs, scale=2) - 0.3]
        if affine:
            inputs += [fam.uniform(0.5, 1.5, *ns), fam.randn(*ns)]
        fam.case(name, "layerNorm", inputs, lambda *v, a=a: ln(*v, a=a), a)
