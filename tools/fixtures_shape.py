"""Shape and indexing fixtures."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fixtures_common import I32, Family
from fixtures_elementwise import t

NAN = float("nan")
INF = float("inf")
L = torch.long


def _slice(x: torch.Tensor, specs: list) -> torch.Tensor:
    """Our `slice(x, ...specs)` with Python semantics, negative steps included (torch's own slicing
    rejects negative steps, so every dim is gathered with index_select, which also differentiates)."""
    dim = 0
    for spec in specs:
        n = x.shape[dim]
        if spec is None:
            dim += 1
        elif isinstance(spec, int):
            x = x.select(dim, spec)
        else:
            spec = list(spec) + [None] * (3 - len(spec))
            idx = list(range(*slice(*spec).indices(n)))
            x = x.index_select(dim, torch.tensor(idx, dtype=L))
            dim += 1
    return x


def _squeeze(x: torch.Tensor, axis) -> torch.Tensor:
    if axis is None:
        return x.squeeze()
    # torch 1.13 squeezes one dim at a time: the highest first so the others keep their index.
    for a in sorted((a % x.dim() for a in ([axis] if isinstance(axis, int) else axis)), reverse=True):
        x = x.squeeze(a)
    return x


def shape() -> Family:
    fam = Family("shape")
    x234 = fam.randn(2, 3, 4)
    x23 = fam.randn(2, 3)

    for name, x, s in (
        ("[2,3,4] to [4,6]", x234, [4, 6]),
        ("[2,3,4] to [-1]", x234, [-1]),
        ("[2,3,4] to [3,-1,2]", x234, [3, -1, 2]),
        ("[6] to [2,1,3]", fam.randn(6), [2, 1, 3]),
        ("[] to [1,1]", t(2.5), [1, 1]),
        ("[1] to []", t([-0.5]), []),
        ("[0,3] to [3,0]", torch.zeros(0, 3), [3, 0]),
        ("int32 [2,3] to [3,2]", fam.randint(-9, 9, 2, 3), [3, 2]),
    ):
        fam.case(name, "reshape", [x], lambda v, s=s: v.reshape(s), {"shape": s})

    x2322 = fam.randn(2, 3, 2, 2)
    for name, x, a in (
        ("[2,3,2,2] default", x2322, {}),
        ("[2,3,2,2] startDim=1", x2322, {"startDim": 1}),
        ("[2,3,2,2] startDim=1 endDim=2", x2322, {"startDim": 1, "endDim": 2}),
        ("[2,3,2,2] startDim=-3 endDim=-2", x2322, {"startDim": -3, "endDim": -2}),
        ("[] gives [1]", t(1.5), {}),
    ):
        fam.case(name, "flatten", [x], lambda v, a=a: torch.flatten(v, a.get("startDim", 0), a.get("endDim", -1)), a)

    x1312 = fam.randn(1, 3, 1, 2)
    for name, x, a in (
        ("[1,3,1,2] all size-1 dims", x1312, {}),
        ("[1,3,1,2] axis=2", x1312, {"axis": 2}),
        ("[1,3,1,2] axis=-4", x1312, {"axis": -4}),
        ("[1,3,1,2] axis=[0,2]", x1312, {"axis": [0, 2]}),
        ("[1] to []", t([4.0]), {}),
        ("[] stays []", t(4.0), {}),
    ):
        fam.case(name, "squeeze", [x], lambda v, a=a: _squeeze(v, a.get("axis")), a)

    for name, x, ax in (
        ("[2,3] axis=0", x23, 0),
        ("[2,3] axis=1", x23, 1),
        ("[2,3] axis=-1", x23, -1),
        ("[2,3] axis=-3", x23, -3),
        ("[] axis=0", t(3.0), 0),
    ):
        fam.case(name, "unsqueeze", [x], lambda v, ax=ax: v.unsqueeze(ax), {"axis": ax})

    for name, x, d0, d1 in (
        ("[2,3] 0,1", x23, 0, 1),
        ("[2,3,4] 0,2", x234, 0, 2),
        ("[2,3,4] -1,-2", x234, -1, -2),
        ("[2,3,4] 1,1 is the identity", x234, 1, 1),
        ("int32 [2,3] 1,0", fam.randint(-9, 9, 2, 3), 1, 0),
    ):
        fam.case(name, "transpose", [x], lambda v, d0=d0, d1=d1: v.transpose(d0, d1), {"dim0": d0, "dim1": d1})

    for name, x, dims in (
        ("[2,3,4] [2,0,1]", x234, [2, 0, 1]),
        ("[2,3,4] [1,2,0]", x234, [1, 2, 0]),
        ("[2,3,4] [0,1,2] identity", x234, [0, 1, 2]),
        ("[2,1,3,2] [3,1,0,2]", fam.randn(2, 1, 3, 2), [3, 1, 0, 2]),
        ("[2,3] [-1,-2]", x23, [-1, -2]),
        ("bool [2,3] [1,0]", fam.randbool(2, 3), [1, 0]),
    ):
        fam.case(name, "permute", [x], lambda v, dims=dims: v.permute(dims), {"dims": dims})

    for name, x, s in (
        ("[3] to [2,3]", fam.randn(3), [2, 3]),
        ("[2,1] to [2,4]", fam.randn(2, 1), [2, 4]),
        ("[] to [3,2]", t(0.75), [3, 2]),
        ("[1,3] to [2,2,3]", fam.randn(1, 3), [2, 2, 3]),
        ("[2,3] to [2,3]", x23, [2, 3]),
        ("[1] to [0]", t([1.0]), [0]),
        ("int32 [3] to [2,3]", fam.randint(-9, 9, 3), [2, 3]),
    ):
        fam.case(name, "broadcastTo", [x], lambda v, s=s: v.broadcast_to(s), {"shape": s})

    for name, xs, a in (
        ("2 x [2,3] axis=0", [fam.randn(2, 3), fam.randn(2, 3)], {}),
        ("[2,3],[2,1],[2,2] axis=1", [fam.randn(2, 3), fam.randn(2, 1), fam.randn(2, 2)], {"axis": 1}),
        ("[2,2,1],[2,2,3] axis=-1", [fam.randn(2, 2, 1), fam.randn(2, 2, 3)], {"axis": -1}),
        ("with an empty [0,3]", [fam.randn(2, 3), torch.zeros(0, 3), fam.randn(1, 3)], {"axis": 0}),
        ("a single tensor", [fam.randn(3)], {}),
        ("int32", [fam.randint(-9, 9, 2), fam.randint(-9, 9, 3)], {}),
    ):
        fam.case(name, "concat", xs, lambda *v, a=a: torch.cat(v, a.get("axis", 0)), a)

    for name, xs, a in (
        ("2 x [2,3] axis=0", [fam.randn(2, 3), fam.randn(2, 3)], {}),
        ("3 x [2,3] axis=1", [fam.randn(2, 3), fam.randn(2, 3), fam.randn(2, 3)], {"axis": 1}),
        ("2 x [2,3] axis=-1", [fam.randn(2, 3), fam.randn(2, 3)], {"axis": -1}),
        ("3 scalars", [t(1.0), t(-2.0), t(0.5)], {}),
        ("bool", [fam.randbool(3), fam.randbool(3)], {}),
    ):
        fam.case(name, "stack", xs, lambda *v, a=a: torch.stack(v, a.get("axis", 0)), a)

    x56 = fam.randn(5, 6)
    for name, x, a in (
        ("[5,6] size 2 along axis 0", x56, {"sizeOrSizes": 2}),
        ("[5,6] sizes [1,3,2] axis=1", x56, {"sizeOrSizes": [1, 3, 2], "axis": 1}),
        ("[5,6] size 4 axis=-1", x56, {"sizeOrSizes": 4, "axis": -1}),
        ("[5,6] size 9 is one piece", x56, {"sizeOrSizes": 9}),
        ("[5,6] sizes [0,5]", x56, {"sizeOrSizes": [0, 5]}),
    ):
        fam.case(name, "split", [x], lambda v, a=a: torch.split(v, a["sizeOrSizes"], a.get("axis", 0)), a)
    for name, x, a in (
        ("[6,2] 3 chunks", fam.randn(6, 2), {"chunks": 3}),
        ("[6,2] 4 chunks gives 3 of 2 (torch.chunk)", fam.randn(6, 2), {"chunks": 4}),
        ("[2,5] 2 chunks axis=1", fam.randn(2, 5), {"chunks": 2, "axis": 1}),
        ("[2,5] 1 chunk axis=-1", fam.randn(2, 5), {"chunks": 1, "axis": -1}),
    ):
        fam.case(name, "chunk", [x], lambda v, a=a: torch.chunk(v, a["chunks"], a.get("axis", 0)), a)

    x45 = fam.randn(4, 5)
    x7 = fam.randn(7)
    for name, x, specs in (
        ("[4,5] [1:3]", x45, [[1, 3]]),
        ("[4,5] [:, ::-1]", x45, [None, [None, None, -1]]),
        ("[4,5] [1] drops the dim", x45, [1]),
        ("[4,5] [-1, 1:4]", x45, [-1, [1, 4]]),
        ("[4,5] [-3:]", x45, [[-3, None]]),
        ("[4,5] [::2, 1::2]", x45, [[None, None, 2], [1, None, 2]]),
        ("[4,5] [::-2, -2::-3]", x45, [[None, None, -2], [-2, None, -3]]),
        ("[7] [5:1:-2]", x7, [[5, 1, -2]]),
        ("[7] [-1:-6:-1]", x7, [[-1, -6, -1]]),
        ("[7] [2:2] is empty", x7, [[2, 2]]),
        ("[7] [10:20] is empty", x7, [[10, 20]]),
        ("[7] [-100:100]", x7, [[-100, 100]]),
        ("[7] [3] gives a scalar", x7, [3]),
        ("[2,3,4] [:, 0, ::-1]", x234, [None, 0, [None, None, -1]]),
        ("[2,3,4] [1, -1, 2]", x234, [1, -1, 2]),
        ("int32 [7] [::3]", fam.randint(-9, 9, 7), [[None, None, 3]]),
    ):
        fam.case(name, "slice", [x], lambda v, s=specs: _slice(v, s), {"specs": specs})

    # pad (torch.nn.functional.pad order: last dim first); reflect/replicate on the ranks torch has.
    for name, x, a in (
        ("[2,3] constant [1,2]", x23, {"pads": [1, 2]}),
        ("[2,3] constant [1,0,2,1] value=-1", x23, {"pads": [1, 0, 2, 1], "value": -1}),
        ("[2,3,4] constant all dims", x234, {"pads": [1, 1, 0, 2, 1, 0], "mode": "constant"}),
        ("[3] constant [0,0]", fam.randn(3), {"pads": [0, 0]}),
        ("[] constant [] is the identity", t(2.0), {"pads": []}),
        ("[2,3] constant value=NaN", x23, {"pads": [1, 1], "value": NAN}),
        ("[2,5] reflect [2,1]", fam.randn(2, 5), {"pads": [2, 1], "mode": "reflect"}),
        ("[1,3,5] reflect [4,3]", fam.randn(1, 3, 5), {"pads": [4, 3], "mode": "reflect"}),
        ("[1,2,4,4] reflect [1,2,2,1]", fam.randn(1, 2, 4, 4), {"pads": [1, 2, 2, 1], "mode": "reflect"}),
        ("[1,2,3] replicate [2,1]", fam.randn(1, 2, 3), {"pads": [2, 1], "mode": "replicate"}),
        ("[1,2,3,3] replicate [1,0,2,3]", fam.randn(1, 2, 3, 3), {"pads": [1, 0, 2, 3], "mode": "replicate"}),
        ("[1,1,2,2,2] replicate 3 dims", fam.randn(1, 1, 2, 2, 2), {"pads": [1, 0, 0, 1, 1, 1], "mode": "replicate"}),
        ("int32 constant value=7", fam.randint(-9, 9, 2, 2), {"pads": [1, 1], "value": 7}),
        ("[3,4] negative constant pads crop", fam.randn(3, 4), {"pads": [-1, 1, 0, -1]}),
    ):
        fam.case(name, "pad", [x], lambda v, a=a: F.pad(v, a["pads"], a.get("mode", "constant"), a.get("value", 0) if a.get("mode", "constant") == "constant" else None), a)  # noqa: E501

    for name, x, reps in (
        ("[2,3] [2,1]", x23, [2, 1]),
        ("[3] [2]", fam.randn(3), [2]),
        ("[2,3] [2] prepends 1s", x23, [2]),
        ("[2] [2,3] adds dims", fam.randn(2), [2, 3]),
        ("[] [3]", t(1.5), [3]),
        ("int32 [2,2] [1,2]", fam.randint(-9, 9, 2, 2), [1, 2]),
    ):
        fam.case(name, "tile", [x], lambda v, r=reps: torch.tile(v, r), {"reps": reps})

    x32 = fam.randn(3, 2)
    for name, x, a in (
        ("[3,2] 2 flattened", x32, {"repeats": 2}),
        ("[3,2] 2 axis=1", x32, {"repeats": 2, "axis": 1}),
        ("[3,2] [1,0,2] axis=0", x32, {"repeats": [1, 0, 2], "axis": 0}),
        ("[3,2] 3 axis=-1", x32, {"repeats": 3, "axis": -1}),
        ("int32 [3] [2,1,3]", fam.randint(-9, 9, 3), {"repeats": [2, 1, 3], "axis": 0}),
    ):
        def rep(v, a=a):
            r = a["repeats"]
            r = torch.tensor(r, dtype=L) if isinstance(r, list) else r
            return torch.repeat_interleave(v, r, a.get("axis"))

        fam.case(name, "repeat", [x], rep, a)

    for name, x, ax in (
        ("[2,3,4] axis=0", x234, 0),
        ("[2,3,4] axis=[0,2]", x234, [0, 2]),
        ("[2,3,4] axis=-1", x234, -1),
        ("[2,3,4] all three", x234, [0, 1, 2]),
        ("[5] axis=0", fam.randn(5), 0),
        ("bool [2,3] axis=1", fam.randbool(2, 3), 1),
    ):
        fam.case(name, "flip", [x], lambda v, ax=ax: torch.flip(v, [ax] if isinstance(ax, int) else ax), {"axis": ax})

    for name, x, a in (
        ("[2,3] 1 flattened", x23, {"shifts": 1}),
        ("[2,3] -2 axis=1", x23, {"shifts": -2, "axis": 1}),
        ("[2,3,4] [1,2] axis=[0,2]", x234, {"shifts": [1, 2], "axis": [0, 2]}),
        ("[2,3,4] 7 axis=-1 (more than the size)", x234, {"shifts": 7, "axis": -1}),
        ("[5] -6", fam.randn(5), {"shifts": -6}),
        ("[1,3] 1 along the size-1 axis", fam.randn(1, 3), {"shifts": 1, "axis": 0}),
        ("int32 [4] 1", fam.randint(-9, 9, 4), {"shifts": 1}),
    ):
        fam.case(name, "roll", [x], lambda v, a=a: torch.roll(v, a["shifts"], a.get("axis")), a)

    x44 = fam.randn(4, 4)
    for op, fn in (("tril", torch.tril), ("triu", torch.triu)):
        for name, x, k in (
            ("[4,4]", x44, None),
            ("[4,4] k=1", x44, 1),
            ("[4,4] k=-1", x44, -1),
            ("[3,5] k=2", fam.randn(3, 5), 2),
            ("[5,3] k=-2", fam.randn(5, 3), -2),
            ("[2,3,3] batched", fam.randn(2, 3, 3), None),
            ("[3,3] k=5 beyond the matrix", fam.randn(3, 3), 5),
            ("int32 [3,3]", fam.randint(-9, 9, 3, 3), 0),
        ):
            a = {} if k is None else {"k": k}
            fam.case(name, op, [x], lambda v, fn=fn, k=k: fn(v, k or 0), a)
    return fam


# ------------------------------------------------------------------------------------------------
# indexing


def _topk(v, k, axis=-1, largest=True):
    # Ties keep the lower index first (our documented contract): a stable sort, then the first k.
    vals, idx = torch.sort(v, dim=axis, descending=largest, stable=True)
    idx = idx.narrow(axis, 0, k)
    return torch.gather(v, axis, idx), idx.to(I32)


def _sort(v, axis=-1, descending=False):
    _, idx = torch.sort(v.detach(), dim=axis, descending=descending, stable=True)
    return torch.gather(v, axis, idx), idx.to(I32)


def indexing() -> Family:
    fam = Family("indexing")
    x34 = fam.randn(3, 4)
    x234 = fam.randn(2, 3, 4)

    def gather(v, i, axis):
        return torch.gather(v, axis, i.long())

    for name, x, idx, axis in (
        ("[3,4] axis=1", x34, t([[0, 3], [1, 1], [2, 0]], I32), 1),
        ("[3,4] axis=0", x34, t([[2, 0, 1, 0], [1, 1, 2, 2]], I32), 0),
        ("[3,4] axis=-1 smaller index", x34, t([[3], [0]], I32), -1),
        ("[2,3,4] axis=1", x234, fam.randint(0, 3, 2, 2, 4), 1),
        ("repeated indices accumulate", fam.randn(5), t([1, 1, 1, 4, 0, 4], I32), 0),
        ("int32 source", fam.randint(-9, 9, 2, 3), t([[2, 2], [0, 1]], I32), 1),
        ("empty index", x34, torch.zeros(3, 0, dtype=I32), 1),
    ):
        fam.case(name, "gather", [x, idx], lambda v, i, axis=axis: gather(v, i, axis), {"axis": axis})

    for name, x, idx in (
        ("[3,4] with [5]", x34, t([0, 11, 5, 5, 7], I32)),
        ("[3,4] with [2,2]", x34, t([[1, 2], [10, 1]], I32)),
        ("[3,4] with [] scalar", x34, t(6, I32)),
        ("[2,3,4] with [4]", x234, t([23, 0, 12, 12], I32)),
    ):
        fam.case(name, "take", [x, idx], lambda v, i: torch.take(v, i.long()))

    for name, x, idx, axis in (
        ("[3,4] axis=0", x34, t([2, 0], I32), 0),
        ("[3,4] axis=1 repeated", x34, t([3, 1, 3, 3, 0], I32), 1),
        ("[2,3,4] axis=-1", x234, t([1, 2], I32), -1),
        ("[3,4] empty index", x34, torch.zeros(0, dtype=I32), 0),
        ("int32 [3,4] axis=1", fam.randint(-9, 9, 3, 4), t([0, 0], I32), 1),
    ):
        fam.case(name, "indexSelect", [x, idx], lambda v, i, axis=axis: torch.index_select(v, axis, i.long()), {"axis": axis})  # noqa: E501

    # scatter: distinct targets per (non-axis) position, since duplicate targets are undefined in torch.
    for name, x, idx, src, axis in (
        ("[3,4] axis=0", x34, t([[2, 0, 1, 2], [0, 1, 2, 1]], I32), fam.randn(2, 4), 0),
        ("[3,4] axis=1", x34, t([[3, 0], [1, 2], [0, 3]], I32), fam.randn(3, 2), 1),
        ("[2,3,4] axis=-1", x234, t([[[1, 0]] * 3] * 2, I32), fam.randn(2, 3, 2), -1),
        ("int32", fam.randint(-9, 9, 2, 3), t([[2, 0], [1, 2]], I32), fam.randint(-9, 9, 2, 2), 1),
    ):
        fam.case(name, "scatter", [x, idx, src], lambda v, i, s, axis=axis: torch.scatter(v, axis, i.long(), s), {"axis": axis})  # noqa: E501
    for name, x, idx, src, axis in (
        ("[3,4] axis=0 duplicates add up", x34, t([[2, 0, 2, 2], [2, 1, 2, 1], [0, 0, 0, 1]], I32), fam.randn(3, 4), 0),
        ("[3,4] axis=1", x34, t([[3, 3], [1, 2], [0, 3]], I32), fam.randn(3, 2), 1),
        ("[5] axis=0 all to one", fam.randn(5), t([2, 2, 2], I32), fam.randn(3), 0),
        ("int32", fam.randint(-9, 9, 2, 3), t([[2, 2], [1, 2]], I32), fam.randint(-9, 9, 2, 2), -1),
    ):
        fam.case(name, "scatterAdd", [x, idx, src], lambda v, i, s, axis=axis: torch.scatter_add(v, axis, i.long(), s), {"axis": axis})  # noqa: E501

    for name, idx, n in (
        ("[4] numClasses=5", t([0, 4, 2, 2], I32), 5),
        ("[2,3] numClasses=3", t([[0, 1, 2], [2, 1, 0]], I32), 3),
        ("[] numClasses=4", t(3, I32), 4),
        ("[0] numClasses=2", torch.zeros(0, dtype=I32), 2),
    ):
        fam.case(name, "oneHot", [idx], lambda i, n=n: F.one_hot(i.long(), n).to(I32), {"numClasses": n})

    for name, x, m, v in (
        ("[3,4] same-shape mask", x34, fam.randbool(3, 4), -1.5),
        ("[3,4] broadcast mask [4]", x34, fam.randbool(4), 0.0),
        ("[3,4] broadcast mask [3,1] value=-Infinity", x34, fam.randbool(3, 1), -INF),
        ("[] scalar", t(2.0), t(True), 9.0),
        ("int32 with an integer value", fam.randint(-9, 9, 2, 3), fam.randbool(2, 3), 7),
    ):
        fam.case(name, "maskedFill", [x, m], lambda a, b, v=v: a.masked_fill(b, v), {"value": v})

    xt = t([[1.0, 3.0, 3.0, -2.0, 3.0], [0.5, 0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.0, 2.0, 0.0]])
    for name, x, a in (
        ("[3,4] k=2", x34, {"k": 2}),
        ("[3,4] k=1", x34, {"k": 1}),
        ("[3,4] k=4 (all)", x34, {"k": 4}),
        ("[3,4] k=2 smallest", x34, {"k": 2, "largest": False}),
        ("[3,4] k=2 axis=0", x34, {"k": 2, "axis": 0}),
        ("[2,3,4] k=2 axis=1", x234, {"k": 2, "axis": 1}),
        ("[7] k=3", fam.randn(7), {"k": 3}),
        ("[3,4] k=0 is empty", x34, {"k": 0}),
        ("ties keep the lower index first", xt, {"k": 3}),
        ("ties smallest keep the lower index first", xt, {"k": 2, "largest": False}),
        ("int32", fam.randint(-3, 3, 2, 5), {"k": 3}),
    ):
        fam.case(name, "topk", [x], lambda v, a=a: _topk(v, a["k"], a.get("axis", -1), a.get("largest", True)), a, gradcheck=False if "ties" in name else None)  # noqa: E501

    for op in ("sort", "argsort"):
        for name, x, a in (
            ("[3,4]", x34, {}),
            ("[3,4] descending", x34, {"descending": True}),
            ("[3,4] axis=0", x34, {"axis": 0}),
            ("[2,3,4] axis=1 descending", x234, {"axis": 1, "descending": True}),
            ("[7]", fam.randn(7), {}),
            ("ties are stable", xt, {}),
            ("ties are stable descending", xt, {"descending": True}),
            ("NaN sorts last ascending", t([[2.0, NAN, -1.0, NAN, 0.0]]), {}),
            ("NaN sorts first descending", t([[2.0, NAN, -1.0, NAN, 0.0]]), {"descending": True}),
            ("infinities", t([INF, -1.0, -INF, 0.0]), {}),
            ("int32", fam.randint(-3, 3, 2, 5), {"axis": 1}),
            ("[0] empty", torch.zeros(0), {}),
        ):
            fn = lambda v, a=a: _sort(v, a.get("axis", -1), a.get("descending", False))  # noqa: E731
            if op == "argsort":
                fn = lambda v, a=a: _sort(v, a.get("axis", -1), a.get("descending", False))[1]  # noqa: E731
            grad = "NaN" not in name and "infinities" not in name
            fam.case(name, op, [x], fn, a, grad=grad, gradcheck=False if "ties" in name else None)

    for op, fn in (("cumsum", torch.cumsum), ("cumprod", torch.cumprod)):
        for name, x, ax in (
            ("[3,4] axis=0", x34, 0),
            ("[3,4] axis=1", x34, 1),
            ("[2,3,4] axis=-2", x234, -2),
            ("[7] axis=0", fam.randn(7), 0),
            ("[1,3] along the size-1 axis", fam.randn(1, 3), 0),
            ("[0,3] axis=0", torch.zeros(0, 3), 0),
            ("int32 axis=1", fam.randint(-4, 5, 2, 4), 1),
        ):
            fam.case(name, op, [x], lambda v, fn=fn, ax=ax: fn(v, ax).to(v.dtype), {"axis": ax})
    xz = t([[2.0, 0.0, 3.0, -1.5], [0.0, 1.5, 0.0, 2.0], [0.5, -2.0, 1.5, 1.0]])
    fam.case("zeros: the gradient is exact", "cumprod", [xz], lambda v: torch.cumprod(v, 1), {"axis": 1}, gradcheck=False)
    fam.case("NaN propagates", "cumsum", [t([1.0, NAN, 2.0])], lambda v: torch.cumsum(v, 0), {"axis": 0}, grad=False)

    return fam

