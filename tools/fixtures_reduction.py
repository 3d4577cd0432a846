"""Reduction and linear-algebra fixtures."""

from __future__ import annotations

import torch

from fixtures_common import F32, I32, Family
from fixtures_elementwise import t

NAN = float("nan")
INF = float("inf")


def _axes(x: torch.Tensor, axis) -> list[int]:
    if axis is None:
        return list(range(x.dim()))
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % x.dim() for a in axes) if x.dim() else []


def _successive(op):
    """torch 1.13's prod/any/all reduce one dim at a time: reduce the axes from the last."""

    def fn(x, axis=None, keepdims=False):
        axes = _axes(x, axis)
        if x.dim() == 0:
            return op(x, None)
        for a in reversed(axes):
            x = op(x, a)
        if keepdims:
            for a in axes:
                x = x.unsqueeze(a)
        return x

    return fn


def _sum(x, axis=None, keepdims=False):
    axes = _axes(x, axis)
    # int32/bool sums are int32 (torch: int64; the generator stores int32).
    return torch.sum(x, dim=axes, keepdim=keepdims) if axes else torch.sum(x)


def _mean(x, axis=None, keepdims=False):
    axes = _axes(x, axis)
    return torch.mean(x, dim=axes, keepdim=keepdims) if axes else torch.mean(x)


def _amax(x, axis=None, keepdims=False):
    return torch.amax(x, dim=_axes(x, axis), keepdim=keepdims)


def _amin(x, axis=None, keepdims=False):
    return torch.amin(x, dim=_axes(x, axis), keepdim=keepdims)


def _lse(x, axis=None, keepdims=False):
    axes = _axes(x, axis)
    if x.dim() == 0:
        return torch.logsumexp(x.reshape(1), 0)
    return torch.logsumexp(x, dim=axes, keepdim=keepdims)


_prod = _successive(lambda x, d: torch.prod(x) if d is None else torch.prod(x, d))
_any = _successive(lambda x, d: torch.any(x) if d is None else torch.any(x, d))
_all = _successive(lambda x, d: torch.all(x) if d is None else torch.all(x, d))


def _var(std: bool):
    def fn(x, axis=None, correction=1, keepdims=False):
        axes = _axes(x, axis)
        f = torch.std if std else torch.var
        # torch 1.13 has `unbiased` (correction 1) or not (correction 0).
        return f(x, dim=axes, unbiased=bool(correction), keepdim=keepdims)

    return fn


def _argm(largest: bool):
    def fn(x, axis=None, keepdims=False):
        f = torch.argmax if largest else torch.argmin
        if axis is None:
            return f(x.reshape(-1)).to(I32)
        return f(x, dim=axis, keepdim=keepdims).to(I32)

    return fn


def _norm(x, ord="fro", axis=None, keepdims=False):
    o = {1: 1, 2: 2, "inf": INF, "fro": 2}[ord]
    axes = _axes(x, axis)
    return torch.linalg.vector_norm(x, o, dim=axes if axes else None, keepdim=keepdims)


REDUCTIONS = {
    "sum": _sum,
    "mean": _mean,
    "prod": _prod,
    "max": _amax,  # gradient spread evenly across ties, as torch.amax
    "min": _amin,
    "any": _any,
    "all": _all,
    "logSumExp": _lse,
}


def _call(fn, args):
    a = dict(args)
    return lambda x: fn(x, **a)


def reduction() -> Family:
    fam = Family("reduction")
    x34 = fam.randn(3, 4)
    x234 = fam.randn(2, 3, 4)
    x151 = fam.randn(1, 5, 1)
    layouts = [
        ("[3,4] all axes", x34, {}),
        ("[3,4] axis=1", x34, {"axis": 1}),
        ("[3,4] axis=0 keepdims", x34, {"axis": 0, "keepdims": True}),
        ("[3,4] axis=-1 keepdims", x34, {"axis": -1, "keepdims": True}),
        ("[2,3,4] axis=[0,2]", x234, {"axis": [0, 2]}),
        ("[2,3,4] axis=[0,2] keepdims", x234, {"axis": [0, 2], "keepdims": True}),
        ("[2,3,4] axis=[-1,-2]", x234, {"axis": [-1, -2]}),
        ("[2,3,4] all axes keepdims", x234, {"keepdims": True}),
        ("[1,5,1] size-1 dims axis=[0,2]", x151, {"axis": [0, 2]}),
        ("[] scalar", t(-1.25), {}),
        ("[7] axis=0", fam.randn(7), {"axis": 0}),
        ("[4,5,6] axis=[0,2] (larger, strided axes)", fam.randn(4, 5, 6), {"axis": [0, 2]}),
    ]
    for op, fn in REDUCTIONS.items():
        for name, x, a in layouts:
            if op in ("any", "all"):
                x = (x > 0.3) if op == "any" else (x > -0.8)
            elif op == "prod":
                x = x.clamp(-1.8, 1.8)
            fam.case(name, op, [x], _call(fn, a), a)

    # Empty reductions (PyTorch: sum 0, prod 1, mean NaN, any false, all true).
    e = torch.zeros(0, 3)
    for op in ("sum", "prod", "mean"):
        fam.case("[0,3] axis=0 (empty reduction)", op, [e], _call(REDUCTIONS[op], {"axis": 0}), {"axis": 0})
        fam.case("[0,3] axis=1 (empty result)", op, [e], _call(REDUCTIONS[op], {"axis": 1}), {"axis": 1})
    fam.case("[0,3] all axes", "sum", [e], _sum)
    fam.case("[0,3] axis=0 (empty reduction)", "any", [e > 0], _call(_any, {"axis": 0}), {"axis": 0})
    fam.case("[0,3] axis=0 (empty reduction)", "all", [e > 0], _call(_all, {"axis": 0}), {"axis": 0})
    fam.case("[0,3] axis=1 (empty result)", "max", [e], _call(_amax, {"axis": 1}), {"axis": 1})

    # Ties: max/min spread the gradient evenly (torch.amax / torch.amin).
    xt = t([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.0, 2.0]])
    for op in ("max", "min"):
        for a in ({}, {"axis": 1}, {"axis": 0, "keepdims": True}):
            fam.case(f"ties split the gradient {a or 'all axes'}", op, [xt], _call(REDUCTIONS[op], a), a, gradcheck=False)
        fam.case("NaN propagates", op, [t([[1.0, NAN], [2.0, 0.0]])], _call(REDUCTIONS[op], {"axis": 1}), {"axis": 1}, grad=False)  # noqa: E501
        fam.case("infinities", op, [t([-INF, 1.0, INF])], REDUCTIONS[op], grad=False)
    # prod with zeros: the gradient is exact, not a division by the product.
    xz = t([[0.0, 2.0, -1.5], [0.0, 0.0, 3.0], [1.5, -0.5, 2.0]])
    fam.case("zeros in a row", "prod", [xz], _call(_prod, {"axis": 1}), {"axis": 1}, gradcheck=False)
    fam.case("zeros overall", "prod", [xz], _prod, gradcheck=False)
    # Large values: logSumExp must not overflow; -Infinity rows give -Infinity.
    fam.case("large values", "logSumExp", [t([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]])], _call(_lse, {"axis": 1}), {"axis": 1})  # noqa: E501
    fam.case("-Infinity entries", "logSumExp", [t([[-INF, -INF], [-INF, 0.0]])], _call(_lse, {"axis": 1}), {"axis": 1}, grad=False)  # noqa: E501
    fam.case("NaN propagates", "sum", [t([[1.0, NAN], [2.0, 3.0]])], _call(_sum, {"axis": 1}), {"axis": 1}, grad=False)
    # dtypes: int32 in, int32 out for sum/prod/max/min; any/all take numbers (non-zero is true).
    xi = t([[3, -2, 5], [0, 7, -7]], I32)
    for op in ("sum", "prod", "max", "min"):
        fam.case("int32 all axes", op, [xi], REDUCTIONS[op])
        fam.case("int32 axis=0", op, [xi], _call(REDUCTIONS[op], {"axis": 0}), {"axis": 0})
    fam.case("bool counts true", "sum", [t([[True, False, True], [True, True, True]])], _call(_sum, {"axis": 1}), {"axis": 1})  # noqa: E501
    for op in ("any", "all"):
        fam.case("float32 input", op, [t([[0.0, 0.5], [0.0, 0.0], [NAN, 1.0]])], _call(REDUCTIONS[op], {"axis": 1}), {"axis": 1})  # noqa: E501
        fam.case("int32 input", op, [xi], _call(REDUCTIONS[op], {"axis": 0}), {"axis": 0})
    fam.case("int32 input computes in float32", "mean", [xi], lambda x: torch.mean(x.to(F32), dim=0), {"axis": 0})

    # variance / std with correction
    for op, fn in (("variance", _var(False)), ("std", _var(True))):
        for name, x, a in (
            ("[3,4] all axes", x34, {}),
            ("[3,4] all axes correction=0", x34, {"correction": 0}),
            ("[3,4] axis=1", x34, {"axis": 1}),
            ("[3,4] axis=0 correction=0 keepdims", x34, {"axis": 0, "correction": 0, "keepdims": True}),
            ("[2,3,4] axis=[0,2]", x234, {"axis": [0, 2]}),
            ("[2,3,4] axis=[0,2] correction=0 keepdims", x234, {"axis": [0, 2], "correction": 0, "keepdims": True}),
            ("[2,3,4] axis=-1 correction=1", x234, {"axis": -1, "correction": 1}),
            ("[1,5,1] size-1 dims axis=1", x151, {"axis": 1}),
            ("large mean", fam.randn(6) + 1000, {}),
        ):
            fam.case(name, op, [x], _call(fn, a), a)
        fam.case("one element, correction=1 is NaN", op, [t([2.5])], fn, {}, grad=False)
        fam.case("one element, correction=0 is 0", op, [t([[2.5], [1.0]])], _call(fn, {"axis": 1, "correction": 0}), {"axis": 1, "correction": 0}, grad=False)  # noqa: E501
    fam.case("int32 input computes in float32", "variance", [xi], lambda x: torch.var(x.to(F32)))
    # PyTorch masks the 0/0 of d std at zero spread: the gradient is 0, not NaN.
    fam.case("constant input (gradient 0, as torch)", "std", [t([1.5, 1.5, 1.5])], _var(True), gradcheck=False)

    # argmax / argmin: flattened without an axis, first occurrence on ties, int32 result.
    for op, fn in (("argmax", _argm(True)), ("argmin", _argm(False))):
        for name, x, a in (
            ("[3,4] flattened", x34, {}),
            ("[3,4] axis=1", x34, {"axis": 1}),
            ("[3,4] axis=0 keepdims", x34, {"axis": 0, "keepdims": True}),
            ("[2,3,4] axis=-2", x234, {"axis": -2}),
            ("[2,3,4] axis=1 keepdims", x234, {"axis": 1, "keepdims": True}),
            ("[] scalar", t(4.0), {}),
            ("[1,5,1] size-1 dims axis=1", x151, {"axis": 1}),
            ("ties: first occurrence", xt, {"axis": 1}),
            ("ties flattened: first occurrence", t([[2.0, -1.0, 2.0], [2.0, -1.0, 0.0]]), {}),
            ("int32 input", xi, {"axis": 1}),
            ("infinities", t([[-INF, 0.0, INF], [-INF, -INF, -INF]]), {"axis": 1}),
        ):
            fam.case(name, op, [x], _call(fn, a), a)
    fam.case("NaN counts as the maximum", "argmax", [t([[1.0, NAN, 5.0], [NAN, 2.0, NAN]])], _call(_argm(True), {"axis": 1}), {"axis": 1})  # noqa: E501

    # norm(x, ord, axis, keepdims): vector norms
    for name, x, a in (
        ("[3,4] default (fro)", x34, {}),
        ("[3,4] ord=1", x34, {"ord": 1}),
        ("[3,4] ord=2", x34, {"ord": 2}),
        ("[3,4] ord=inf", x34, {"ord": "inf"}),
        ("[3,4] ord=2 axis=1", x34, {"ord": 2, "axis": 1}),
        ("[3,4] ord=1 axis=0 keepdims", x34, {"ord": 1, "axis": 0, "keepdims": True}),
        ("[3,4] ord=inf axis=-1 keepdims", x34, {"ord": "inf", "axis": -1, "keepdims": True}),
        ("[2,3,4] ord=fro axis=[1,2]", x234, {"ord": "fro", "axis": [1, 2]}),
        ("[2,3,4] ord=2 axis=[0,2] keepdims", x234, {"ord": 2, "axis": [0, 2], "keepdims": True}),
        ("[] scalar ord=2", t(-3.0), {"ord": 2}),
    ):
        fam.case(name, "norm", [x], _call(_norm, a), a)
    fam.case("zero vector (gradient 0)", "norm", [torch.zeros(4)], _call(_norm, {"ord": 2}), {"ord": 2}, gradcheck=False)
    fam.case("ord=inf ties split the gradient", "norm", [t([-2.0, 2.0, 1.0])], _call(_norm, {"ord": "inf"}), {"ord": "inf"}, gradcheck=False)  # noqa: E501
    fam.case("[0] empty is 0", "norm", [torch.zeros(0)], _norm, grad=False)
    return fam


# ------------------------------------------------------------------------------------------------
# linear algebra


def linalg() -> Family:
    fam = Family("linalg")
    for sa, sb, name in (
        ((3,), (3,), "1-D . 1-D"),
        ((3,), (3, 4), "1-D @ 2-D"),
        ((2, 3), (3,), "2-D @ 1-D"),
        ((2, 3), (3, 4), "2-D @ 2-D"),
        ((5, 7), (7, 3), "odd sizes"),
        ((1, 3), (3, 1), "size-1 rows and columns"),
        ((2, 2, 3), (2, 3, 4), "batched"),
        ((2, 3, 4), (4,), "batched @ 1-D"),
        ((4,), (2, 4, 3), "1-D @ batched"),
        ((2, 3, 4), (4, 2), "batched @ 2-D"),
        ((3, 4), (2, 4, 2), "2-D @ batched"),
        ((2, 1, 3, 4), (3, 4, 2), "broadcast batch dims [2,1] with [3]"),
        ((1, 2, 3), (2, 1, 3, 2), "broadcast batch dims [1] with [2,1]"),
        ((2, 0), (0, 3), "empty contraction gives zeros"),
        ((0, 3), (3, 2), "empty rows"),
        ((9, 13), (13, 11), "larger odd sizes"),
        ((3, 1, 5, 6), (2, 6, 4), "larger broadcast batch"),
    ):
        fam.case(f"{name} {list(sa)}x{list(sb)}", "matmul", [fam.randn(*sa), fam.randn(*sb)], torch.matmul)
    fam.case("int32 @ float32 promotes", "matmul", [t([[1, 2], [3, -4]], I32), fam.randn(2, 3)], lambda a, b: torch.matmul(a.to(F32), b))  # noqa: E501

    for n in (5, 1, 0):
        fam.case(f"[{n}]", "dot", [fam.randn(n), fam.randn(n)], torch.dot)
    for sa, sb in (((3,), (4,)), ((1,), (5,)), ((0,), (3,)), ((6,), (1,))):
        fam.case(f"[{sa[0]}] x [{sb[0]}]", "outer", [fam.randn(*sa), fam.randn(*sb)], torch.outer)

    for eq, sa, sb in (
        ("ij,jk->ik", (2, 3), (3, 4)),
        ("ij,jk", (2, 3), (3, 4)),
        ("ij,jk->ki", (2, 3), (3, 4)),
        ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
        ("ij,kj->ik", (2, 3), (4, 3)),
        ("i,i->", (5,), (5,)),
        ("i,i", (5,), (5,)),
        ("i,j->ij", (3,), (4,)),
        ("ij,ij->ij", (2, 3), (2, 3)),
        ("ij,ij->", (2, 3), (2, 3)),
        ("ijk,ik->j", (2, 3, 4), (2, 4)),
        ("bhqd,bhkd->bhqk", (1, 2, 3, 2), (1, 2, 4, 2)),
        ("ij,j->i", (3, 4), (4,)),
        ("ab,cd->abcd", (2, 1), (2, 3)),
        ("bi,bj->bij", (2, 3), (2, 2)),
    ):
        fam.case(eq, "einsum", [fam.randn(*sa), fam.randn(*sb)], lambda a, b, eq=eq: torch.einsum(eq, a, b), {"equation": eq})  # noqa: E501
    return fam

