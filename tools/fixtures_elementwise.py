"""Creation, elementwise unary and elementwise binary fixtures (incl. `where` and `clip`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fixtures_common import BOOL, F32, I32, Family

NAN = float("nan")
INF = float("inf")


def t(values, dtype=None) -> torch.Tensor:
    """A literal tensor: bool when the values are bools, else float32 unless `dtype` says."""
    if dtype is None:
        dtype = BOOL if torch.tensor(values).dtype == torch.bool else F32
    return torch.tensor(values, dtype=dtype)


def weak(v, other: torch.Tensor) -> torch.Tensor:
    """A JS number where a tensor is expected (docs/api-conventions.md): it takes the tensor's dtype
    when it fits (an integer with an int32 tensor), otherwise float32. JSON cannot tell 2 from 2.0,
    so the rule looks at the value, not at the Python type."""
    if float(v).is_integer() and other.dtype == I32:
        return torch.tensor(int(v), dtype=I32)
    return torch.tensor(float(v), dtype=other.dtype if other.dtype.is_floating_point else F32)


def as_float(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype.is_floating_point else x.to(F32)


# ------------------------------------------------------------------------------------------------
# creation


def creation() -> Family:
    fam = Family("creation")

    def c(name, op, fn, args, inputs=()):
        fam.case(name, op, list(inputs), fn, args=args)

    c("[2,3] float32", "zeros", lambda: torch.zeros(2, 3), {"shape": [2, 3]})
    c("[] int32", "zeros", lambda: torch.zeros((), dtype=I32), {"shape": [], "dtype": "int32"})
    c("[0,4] bool", "zeros", lambda: torch.zeros(0, 4, dtype=BOOL), {"shape": [0, 4], "dtype": "bool"})
    c("[3,1,2]", "ones", lambda: torch.ones(3, 1, 2), {"shape": [3, 1, 2]})
    c("[4] int32", "ones", lambda: torch.ones(4, dtype=I32), {"shape": [4], "dtype": "int32"})
    c("[2,2] bool", "ones", lambda: torch.ones(2, 2, dtype=BOOL), {"shape": [2, 2], "dtype": "bool"})
    c("[2,3] 2.5", "full", lambda: torch.full((2, 3), 2.5), {"shape": [2, 3], "value": 2.5})
    c("[3] -7 int32", "full", lambda: torch.full((3,), -7, dtype=I32), {"shape": [3], "value": -7, "dtype": "int32"})
    c("[] NaN", "full", lambda: torch.full((), NAN), {"shape": [], "value": NAN})
    c("[2] -Infinity", "full", lambda: torch.full((2,), -INF), {"shape": [2], "value": -INF})
    c("3.25", "scalar", lambda: torch.tensor(3.25), {"value": 3.25})
    c("-4 int32", "scalar", lambda: torch.tensor(-4, dtype=I32), {"value": -4, "dtype": "int32"})
    c("true bool", "scalar", lambda: torch.tensor(True), {"value": True, "dtype": "bool"})
    # arange: int32 when all arguments are integers (torch would give int64; we store int32).
    c("stop=5", "arange", lambda: torch.arange(5, dtype=I32), {"stop": 5})
    c("stop=0 is empty", "arange", lambda: torch.arange(0, dtype=I32), {"stop": 0})
    c("2..11 step 3", "arange", lambda: torch.arange(2, 11, 3, dtype=I32), {"start": 2, "stop": 11, "step": 3})
    c("5..-4 step -2", "arange", lambda: torch.arange(5, -4, -2, dtype=I32), {"start": 5, "stop": -4, "step": -2})
    c("0..1 step 0.1", "arange", lambda: torch.arange(0, 1, 0.1), {"start": 0, "stop": 1, "step": 0.1})
    c("-1..1 step 0.25", "arange", lambda: torch.arange(-1, 1, 0.25), {"start": -1, "stop": 1, "step": 0.25})
    c("1.5..4", "arange", lambda: torch.arange(1.5, 4), {"start": 1.5, "stop": 4})
    c(
        "0..4 float32 dtype",
        "arange",
        lambda: torch.arange(0, 4, 1, dtype=F32),
        {"start": 0, "stop": 4, "step": 1, "dtype": "float32"},
    )
    c("0..1 num=5", "linspace", lambda: torch.linspace(0, 1, 5), {"start": 0, "stop": 1, "num": 5})
    c("-3..7 num=11", "linspace", lambda: torch.linspace(-3, 7, 11), {"start": -3, "stop": 7, "num": 11})
    c("2..-1 num=7", "linspace", lambda: torch.linspace(2, -1, 7), {"start": 2, "stop": -1, "num": 7})
    c("num=1", "linspace", lambda: torch.linspace(4, 9, 1), {"start": 4, "stop": 9, "num": 1})
    c("num=0", "linspace", lambda: torch.linspace(4, 9, 0), {"start": 4, "stop": 9, "num": 0})
    c("n=3", "eye", lambda: torch.eye(3), {"n": 3})
    c("n=2 m=4", "eye", lambda: torch.eye(2, 4), {"n": 2, "m": 4})
    c("n=4 m=2", "eye", lambda: torch.eye(4, 2), {"n": 4, "m": 2})
    c("n=1", "eye", lambda: torch.eye(1), {"n": 1})

    x = fam.randn(2, 3)
    xi = fam.randint(-5, 5, 4)
    xb = fam.randbool(3)
    for name, inp in (("[2,3] float32", x), ("[4] int32", xi), ("[3] bool", xb), ("[] float32", t(1.5))):
        fam.case(name, "zerosLike", [inp], torch.zeros_like)
        fam.case(name, "onesLike", [inp], torch.ones_like)
    fam.case("[2,3] float32 -1.5", "fullLike", [x], lambda a: torch.full_like(a, -1.5), {"value": -1.5})
    fam.case("[4] int32 9", "fullLike", [xi], lambda a: torch.full_like(a, 9), {"value": 9})
    fam.case("[0,2] float32", "fullLike", [torch.zeros(0, 2)], lambda a: torch.full_like(a, 3.0), {"value": 3})

    # cast: float->int32 truncates toward zero; anything->bool is x != 0.
    xf = t([-2.7, -1.5, -0.5, -0.0, 0.0, 0.4, 1.5, 2.9, 1e-30, 100.25])
    fam.case("float32->int32 truncates", "cast", [xf], lambda a: a.to(I32), {"dtype": "int32"})
    fam.case("float32->bool", "cast", [xf], lambda a: a != 0, {"dtype": "bool"})
    fam.case("float32->bool NaN is true", "cast", [t([NAN, 0.0, INF])], lambda a: a != 0, {"dtype": "bool"})
    fam.case("float32->float32", "cast", [x], lambda a: a.to(F32) * 1, {"dtype": "float32"})
    fam.case("int32->float32", "cast", [xi], lambda a: a.to(F32), {"dtype": "float32"})
    fam.case("int32->bool", "cast", [t([0, -3, 2, 0], I32)], lambda a: a != 0, {"dtype": "bool"})
    fam.case("bool->int32", "cast", [xb], lambda a: a.to(I32), {"dtype": "int32"})
    fam.case("bool->float32", "cast", [xb], lambda a: a.to(F32), {"dtype": "float32"})
    fam.case("[] float32->int32", "cast", [t(-3.9)], lambda a: a.to(I32), {"dtype": "int32"})
    return fam


# ------------------------------------------------------------------------------------------------
# unary

UNARY = {
    "neg": torch.neg,
    "abs": torch.abs,
    "sign": torch.sign,
    "exp": torch.exp,
    "expm1": torch.expm1,
    "log": torch.log,
    "log1p": torch.log1p,
    "log2": torch.log2,
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "square": torch.square,
    "reciprocal": torch.reciprocal,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "logSigmoid": F.logsigmoid,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "relu": torch.relu,
    "relu6": F.relu6,
    "selu": F.selu,
    "silu": F.silu,
    "mish": F.mish,
    "hardSigmoid": F.hardsigmoid,
    "hardSwish": F.hardswish,
    "erf": torch.erf,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,  # half to even, as documented
    "trunc": torch.trunc,
    "isNaN": torch.isnan,
    "isFinite": torch.isfinite,
    "logicalNot": torch.logical_not,
}

# Ops added since: their cases are drawn after every other case of the family, so adding one leaves
# the earlier cases' random values (and the committed JSON) as they were.
UNARY_ADDED = {
    "tanhshrink": F.tanhshrink,
}

# Float-only ops cast int/bool inputs to float32 first (docs/api-conventions.md).
FLOAT_ONLY = {
    "exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "logSigmoid", "softplus", "softsign", "selu",
    "silu", "mish", "hardSigmoid", "hardSwish", "erf", "tanhshrink",
}  # fmt: skip

# Where each op is smooth and finite; the domain the random cases are drawn from.
DOMAIN = {
    "log": (0.1, 4.0),
    "log2": (0.1, 4.0),
    "sqrt": (0.1, 4.0),
    "rsqrt": (0.2, 4.0),
    "log1p": (-0.9, 3.0),
    "asin": (-0.95, 0.95),
    "acos": (-0.95, 0.95),
    "tan": (-1.3, 1.3),
    "exp": (-3.0, 3.0),
    "expm1": (-3.0, 3.0),
    "sinh": (-3.0, 3.0),
    "cosh": (-3.0, 3.0),
}

# Ops whose value at ±Infinity and ±0 does not depend on how it is computed.
INF_SAFE = {
    "neg", "abs", "sign", "exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "square",
    "reciprocal", "atan", "tanh", "sigmoid", "softplus", "relu", "relu6", "erf", "floor", "ceil",
    "round", "trunc", "isNaN", "isFinite", "logicalNot", "hardSigmoid",
}  # fmt: skip

# Points where the derivative jumps; PyTorch picks one side (relu'(0) = 0 is documented).
KINKS = {
    "abs": [0.0],
    "relu": [0.0],
    "relu6": [0.0, 6.0],
    "hardSigmoid": [-3.0, 3.0],
    "hardSwish": [-3.0, 3.0],
}

NO_GRAD = {"isNaN", "isFinite", "logicalNot"}


def _unary_inputs(fam: Family, op: str):
    lo, hi = DOMAIN.get(op, (-3.0, 3.0))
    if op == "reciprocal":
        mag = fam.uniform(0.2, 3.0, 7)
        sgn = torch.tensor([1, -1, 1, -1, -1, 1, 1], dtype=F32)
        yield "[7] odd size", mag * sgn
    else:
        yield "[7] odd size", fam.uniform(lo, hi, 7)
    yield "[2,3,4]", fam.uniform(lo, hi, 2, 3, 4)
    yield "[] scalar", fam.uniform(max(lo, 0.3), hi, decimals=2).reshape(())
    yield "[1,5,1] size-1 dims", fam.uniform(lo, hi, 1, 5, 1)
    yield "[0] empty", torch.zeros(0)


def _unary_cases(fam: Family, op: str, fn) -> None:
    grad = op not in NO_GRAD
    for name, x in _unary_inputs(fam, op):
        fam.case(name, op, [x], fn, grad=grad)
    if op in ("floor", "ceil", "round", "trunc"):
        x = t([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 3.7, -3.7, 2.0, -0.0])
        fam.case("halves and integers", op, [x], fn, grad=False)
    if op == "sign":
        fam.case("zeros", op, [t([0.0, -0.0, 2.0, -0.5])], fn, grad=False)
    # NaN in, NaN out (logical ops and predicates give their own answer).
    fam.case("NaN propagates", op, [t([NAN, 0.5, NAN, -0.25])], fn, grad=False)
    if op in INF_SAFE:
        x = t([INF, -INF, 0.0, -0.0, 1.0, -1.0, 100.0, -100.0])
        fam.case("infinities and zeros", op, [x], fn, grad=False)
    if op in KINKS:
        pts = KINKS[op]
        x = t(pts + [p + 0.5 for p in pts] + [p - 0.5 for p in pts])
        fam.case("at kinks (PyTorch's one-sided derivative)", op, [x], fn, gradcheck=False)
    # int32 and bool inputs: float-only ops compute in float32, the rest keep int32.
    xi = t([-3, 0, 2, 5, -1, 1], I32)
    if op in FLOAT_ONLY:
        if op in DOMAIN and DOMAIN[op][0] >= 0:
            xi = t([1, 2, 3, 4], I32)
        elif op in ("asin", "acos", "log1p"):
            xi = t([0, 0, 0, 0], I32) if op == "log1p" else t([-1, 0, 1], I32)
        fam.case("int32 input computes in float32", op, [xi], lambda a, fn=fn: fn(a.to(F32)))
        fam.case("bool input computes in float32", op, [t([True, False, True])], lambda a, fn=fn: fn(a.to(F32)))
    elif op in ("neg", "abs", "sign", "square"):
        fam.case("int32 stays int32", op, [xi], fn)
    elif op in ("isNaN", "isFinite", "logicalNot"):
        fam.case("int32 input", op, [xi], fn)
        fam.case("bool input", op, [t([True, False, True])], fn)


def unary() -> Family:
    fam = Family("elementwise-unary")
    for op, fn in UNARY.items():
        _unary_cases(fam, op, fn)

    # with parameters
    x = fam.randn(3, 5, scale=2)
    xs = fam.randn(7, scale=3)
    for op, fn, variants, kinks in (
        ("leakyRelu", lambda v, alpha=0.01: F.leaky_relu(v, alpha), [{}, {"alpha": 0.2}, {"alpha": -0.5}], [0.0]),
        ("elu", lambda v, alpha=1.0: F.elu(v, alpha), [{}, {"alpha": 0.5}, {"alpha": 2.5}], [0.0]),
        ("celu", lambda v, alpha=1.0: F.celu(v, alpha), [{}, {"alpha": 0.5}, {"alpha": 2.0}], [0.0]),
    ):
        for a in variants:
            tag = f"alpha={a['alpha']}" if a else "default alpha"
            fa = lambda v, a=a, fn=fn: fn(v, **a)  # noqa: E731
            fam.case(f"[3,5] {tag}", op, [x], fa, args=a)
            fam.case(f"[7] {tag}", op, [xs], fa, args=a)
        fam.case("[] scalar", op, [t(-0.75)], fn)
        fam.case("[0,3] empty", op, [torch.zeros(0, 3)], fn)
        fam.case("NaN propagates", op, [t([NAN, 1.0, -1.0])], fn, grad=False)
        xk = t(kinks + [k + 0.5 for k in kinks] + [k - 0.5 for k in kinks])
        fam.case("at kinks (PyTorch's one-sided derivative)", op, [xk], fn, gradcheck=False)

    for a in ({}, {"approximate": "none"}, {"approximate": "tanh"}):
        tag = a.get("approximate", "default")
        fam.case(f"[3,5] approximate={tag}", "gelu", [x], lambda v, a=a: F.gelu(v, **a), args=a)
        fam.case(f"[7] approximate={tag}", "gelu", [xs], lambda v, a=a: F.gelu(v, **a), args=a)
    fam.case("[] scalar", "gelu", [t(0.3)], F.gelu)
    fam.case("[0] empty", "gelu", [torch.zeros(0)], F.gelu)
    fam.case("NaN propagates", "gelu", [t([NAN, 1.0])], F.gelu, grad=False)

    for a, lo, hi in (({}, -1.0, 1.0), ({"min": -0.5, "max": 2.0}, -0.5, 2.0), ({"min": 0.0, "max": 6.0}, 0.0, 6.0)):
        tag = f"min={lo} max={hi}" if a else "default [-1,1]"
        fn = lambda v, lo=lo, hi=hi: F.hardtanh(v, lo, hi)  # noqa: E731
        fam.case(f"[3,5] {tag}", "hardTanh", [x], fn, args=a)
        fam.case(f"[7] {tag}", "hardTanh", [xs], fn, args=a)
        fam.case(f"{tag} at kinks (PyTorch's one-sided derivative)", "hardTanh", [t([lo, hi, lo - 0.5, hi + 0.5, (lo + hi) / 2])], fn, args=a, gradcheck=False)  # noqa: E501
    fam.case("[] scalar", "hardTanh", [t(1.75)], lambda v: F.hardtanh(v))
    fam.case("NaN propagates", "hardTanh", [t([NAN, 3.0])], lambda v: F.hardtanh(v), grad=False)

    for lo, hi in ((-0.5, 0.7), (0.0, 1.0), (-2.0, -1.0)):
        fn = lambda v, lo=lo, hi=hi: torch.clamp(v, lo, hi)  # noqa: E731
        a = {"min": lo, "max": hi}
        fam.case(f"[3,5] [{lo},{hi}]", "clip", [x], fn, args=a)
        fam.case(f"[7] [{lo},{hi}]", "clip", [xs], fn, args=a)
    fam.case(
        "at the bounds (PyTorch's clamp passes the gradient at the bounds)",
        "clip",
        [t([-0.5, 0.7, 0.1, -0.6, 0.8])],
        lambda v: torch.clamp(v, -0.5, 0.7),
        args={"min": -0.5, "max": 0.7},
        gradcheck=False,
    )
    fam.case("[] scalar", "clip", [t(5.0)], lambda v: torch.clamp(v, -1, 1), args={"min": -1, "max": 1})
    fam.case("[0,2] empty", "clip", [torch.zeros(0, 2)], lambda v: torch.clamp(v, -1, 1), args={"min": -1, "max": 1})
    fam.case("NaN stays NaN", "clip", [t([NAN, 3.0, -3.0])], lambda v: torch.clamp(v, -1, 1), args={"min": -1, "max": 1}, grad=False)  # noqa: E501
    fam.case("infinite bounds", "clip", [t([-5.0, 0.5, 5.0])], lambda v: torch.clamp(v, -INF, 1), args={"min": -INF, "max": 1})  # noqa: E501
    fam.case("int32 with integer bounds stays int32", "clip", [t([-5, -2, 0, 3, 9], I32)], lambda v: torch.clamp(v, -2, 3), args={"min": -2, "max": 3})  # noqa: E501

    for op, fn in UNARY_ADDED.items():
        _unary_cases(fam, op, fn)
    return fam


# ------------------------------------------------------------------------------------------------
# binary

BINARY = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": lambda a, b: torch.div(as_float(a), as_float(b)),  # true division, always float32
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "mod": torch.remainder,
    "floorDiv": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    "atan2": lambda a, b: torch.atan2(as_float(a), as_float(b)),
    "equal": torch.eq,
    "notEqual": torch.ne,
    "less": torch.lt,
    "lessEqual": torch.le,
    "greater": torch.gt,
    "greaterEqual": torch.ge,
    "logicalAnd": torch.logical_and,
    "logicalOr": torch.logical_or,
    "logicalXor": torch.logical_xor,
}
ARITH = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "mod", "floorDiv", "atan2"}
COMPARE = {"equal", "notEqual", "less", "lessEqual", "greater", "greaterEqual"}
LOGICAL = {"logicalAnd", "logicalOr", "logicalXor"}


def binary_fn(op: str, a_num=None, b_num=None):
    """Our binary op as a torch function of the tensor operands; a_num / b_num are JS numbers."""
    fn = BINARY[op]

    def promote_bools(a, b):
        # Arithmetic on two bool tensors promotes to int32 (docs/api-conventions.md); PyTorch keeps
        # bool for add/mul (logical or/and) and rejects sub on bools, so cast bools first.
        if op in ARITH and BOOL in (a.dtype, b.dtype):
            dt = I32 if a.dtype == b.dtype else torch.promote_types(a.dtype, b.dtype)
            return a.to(dt), b.to(dt)
        return a, b

    if a_num is not None:
        return lambda b: fn(*promote_bools(weak(a_num, b), b))
    if b_num is not None:
        return lambda a: fn(*promote_bools(a, weak(b_num, a)))
    return lambda a, b: fn(*promote_bools(a, b))


def _operands(fam: Family, op: str, *shape: int):
    """Random operands on which `op` is smooth."""
    if op == "pow":
        return fam.uniform(0.3, 2.5, *shape), fam.uniform(-2.0, 2.5, *shape)
    if op in ("div", "mod", "floorDiv"):
        b = fam.uniform(0.4, 2.5, *shape) * torch.where(fam.randbool(*shape), 1.0, -1.0)
        return fam.randn(*shape, scale=3), b
    if op in COMPARE or op in LOGICAL:
        # Few distinct values, so that ties and zeros occur.
        pick = t([-1.0, 0.0, 0.5, 1.0])
        return pick[fam.randint(0, 4, *shape).long()], pick[fam.randint(0, 4, *shape).long()]
    return fam.randn(*shape, scale=2), fam.randn(*shape, scale=2)


def _broadcast_pair(fam, op, sa, sb):
    a, _ = _operands(fam, op, *sa)
    _, b = _operands(fam, op, *sb)
    return a, b


def binary() -> Family:
    fam = Family("elementwise-binary")
    for op in BINARY:
        grad = op not in COMPARE and op not in LOGICAL
        f = binary_fn(op)
        a, b = _operands(fam, op, 2, 3)
        fam.case("[2,3] same shape", op, [a, b], f, grad=grad)
        a, b = _operands(fam, op, 7)
        fam.case("[7] odd size", op, [a, b], f, grad=grad)
        for sa, sb in (((2, 1, 3), (4, 3)), ((3,), (2, 3)), ((5, 1), (1, 4)), ((), (2, 3)), ((2, 3), (1,))):
            a, b = _broadcast_pair(fam, op, sa, sb)
            fam.case(f"broadcast {list(sa)} with {list(sb)}", op, [a, b], f, grad=grad)
        a, b = _broadcast_pair(fam, op, (), ())
        fam.case("[] with []", op, [a, b], f, grad=grad)
        a, b = _broadcast_pair(fam, op, (0, 3), (3,))
        fam.case("empty [0,3] with [3]", op, [a, b], f, grad=grad)

        # Weak scalar operands (a JS number): args.a / args.b replace that operand.
        bnum = {"pow": 2, "div": -2.5, "mod": 1.5, "floorDiv": 0.75}.get(op, 0.5 if op in COMPARE or op in LOGICAL else 2.5)
        anum = {"pow": 1.5, "div": 3, "mod": -4.25, "floorDiv": -3.5}.get(op, 1 if op in COMPARE else -1.5)
        a, b = _operands(fam, op, 2, 3)
        fam.case(f"tensor with number {bnum}", op, [a], binary_fn(op, b_num=bnum), {"b": bnum}, grad=grad)
        fam.case(f"number {anum} with tensor", op, [b], binary_fn(op, a_num=anum), {"a": anum}, grad=grad)

        # dtypes: int32 with int32 stays int32 (div is always float32), int32 with float32 promotes.
        if op == "pow":
            ia, ib = t([2, -3, 0, 5, 1, -1], I32), t([3, 2, 0, 1, 4, 5], I32)
        elif op in ("mod", "floorDiv", "div"):
            ia, ib = t([7, -7, 7, -7, 0, 9], I32), t([2, 2, -2, -2, 3, -4], I32)
        else:
            ia, ib = t([-3, 0, 2, 5, -1, 2], I32), t([2, 0, -2, 5, 3, 1], I32)
        fam.case("int32 with int32", op, [ia, ib], f)
        fam.case("int32 with int32 number", op, [ia], binary_fn(op, b_num=2), {"b": 2})
        fam.case("int32 with fractional number promotes", op, [ia], binary_fn(op, b_num=1.5), {"b": 1.5})
        if op in ("div", "mod", "floorDiv"):
            fb = t([1.5, -0.5, 2.0, -3.0, 0.25, 1.0])
            fam.case("int32 with float32 promotes", op, [ia, fb], f)
        else:
            fam.case("int32 with float32 promotes", op, [ia, fam.randn(6)], f, grad=grad)
        ba, bb = t([True, False, True, False]), t([True, True, False, False])
        if op not in ("div", "mod", "floorDiv", "pow"):
            note = "PyTorch keeps bool for add/mul; our arithmetic on two bools promotes to int32" if op in ARITH else None
            fam.case("bool with bool", op, [ba, bb], f, note=note)
        if op not in ("mod", "floorDiv"):
            fam.case("bool with float32 promotes", op, [ba, fam.randn(4)], f, grad=grad)

    # PyTorch semantics at the awkward points.
    fam.case("ties split the gradient", "maximum", [t([1.0, 2.0, -1.0, 0.5]), t([1.0, 1.0, -1.0, 0.7])], torch.maximum, gradcheck=False)  # noqa: E501
    fam.case("ties split the gradient", "minimum", [t([1.0, 2.0, -1.0, 0.5]), t([1.0, 1.0, -1.0, 0.7])], torch.minimum, gradcheck=False)  # noqa: E501
    fam.case("NaN propagates", "maximum", [t([NAN, 1.0, 2.0]), t([0.0, NAN, 1.0])], torch.maximum, grad=False)
    fam.case("NaN propagates", "minimum", [t([NAN, 1.0, 2.0]), t([0.0, NAN, 1.0])], torch.minimum, grad=False)
    fam.case("sign of the divisor", "mod", [t([7.5, -7.5, 7.5, -7.5, 0.0, 3.0]), t([2.0, 2.0, -2.0, -2.0, 3.0, 3.0])], torch.remainder, grad=False)  # noqa: E501
    fam.case("by zero", "mod", [t([1.0, -1.0, 0.0]), t([0.0, 0.0, 0.0])], torch.remainder, grad=False)
    fam.case("rounds toward -inf", "floorDiv", [t([7.0, -7.0, 7.0, -7.0, -0.5, 6.0]), t([2.0, 2.0, -2.0, -2.0, 3.0, 3.0])], BINARY["floorDiv"], grad=False)  # noqa: E501
    fam.case("by zero", "div", [t([1.0, -1.0, 0.0]), t([0.0, 0.0, 0.0])], torch.div, grad=False)
    fam.case("int32 by int32 zero is float", "div", [t([1, -1, 0], I32), t([0, 0, 0], I32)], BINARY["div"], grad=False)
    fam.case(
        "special values",
        "pow",
        [t([0.0, 0.0, -2.0, -2.0, -8.0, 4.0, INF, NAN, 1.0]), t([0.0, 2.0, 3.0, 0.5, 1 / 3, -0.5, -1.0, 0.0, NAN])],
        torch.pow,
        grad=False,
    )
    # x ** y at x = 0: torch masks the log(0) of d/dy (where y >= 0) and 0^(y-1) of d/dx where y = 0.
    fam.case("zero base: gradient (PyTorch masks log 0)", "pow", [t([0.0, 0.0, 0.0, 2.0]), t([2.0, 1.0, 0.0, 3.0])], torch.pow, gradcheck=False)  # noqa: E501
    fam.case("zero base with number exponent 2", "pow", [t([0.0, -1.5, 3.0])], binary_fn("pow", b_num=2), {"b": 2})
    fam.case("negative base with integer exponent", "pow", [t([-2.0, -1.5, -3.0]), t([2.0, 3.0, -1.0])], torch.pow, grad=[True, False])  # noqa: E501
    fam.case("quadrants and zeros", "atan2", [t([1.0, 1.0, -1.0, -1.0, 0.0, 0.0, 2.0]), t([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.0])], BINARY["atan2"], grad=False)  # noqa: E501
    fam.case("NaN is unequal to itself", "equal", [t([NAN, 1.0]), t([NAN, 1.0])], torch.eq)
    fam.case("NaN is unequal to itself", "notEqual", [t([NAN, 1.0]), t([NAN, 1.0])], torch.ne)
    fam.case("NaN compares false", "less", [t([NAN, 1.0, -INF]), t([1.0, NAN, 0.0])], torch.lt)
    fam.case("NaN is truthy", "logicalAnd", [t([NAN, 0.0, 2.0]), t([1.0, 1.0, -0.0])], torch.logical_and)

    # where(cond, a: N, b: N)
    def where_fn(a_num=None, b_num=None):
        def fn(c, *rest):
            rest = list(rest)
            a = rest.pop(0) if a_num is None else None
            b = rest.pop(0) if b_num is None else None
            if a is None:
                a = weak(a_num, b)
            if b is None:
                b = weak(b_num, a)
            dt = torch.promote_types(a.dtype, b.dtype)
            return torch.where(c, a.to(dt), b.to(dt))

        return fn

    c = fam.randbool(2, 3)
    fam.case("[2,3] all same shape", "where", [c, fam.randn(2, 3), fam.randn(2, 3)], where_fn())
    fam.case("broadcast cond [3], a [2,1], b []", "where", [fam.randbool(3), fam.randn(2, 1), t(0.5)], where_fn())
    fam.case("broadcast cond [2,1], a [3], b [2,3]", "where", [fam.randbool(2, 1), fam.randn(3), fam.randn(2, 3)], where_fn())  # noqa: E501
    fam.case("b is number 0", "where", [c, fam.randn(2, 3)], where_fn(b_num=0), {"b": 0})
    fam.case("a is number -1.5", "where", [c, fam.randn(2, 3)], where_fn(a_num=-1.5), {"a": -1.5})
    fam.case("int32 branches stay int32", "where", [c, fam.randint(-5, 5, 2, 3), fam.randint(-5, 5, 2, 3)], where_fn())  # noqa: E501
    fam.case("int32 and float32 branches promote", "where", [c, fam.randint(-5, 5, 2, 3), fam.randn(2, 3)], where_fn())  # noqa: E501
    fam.case("[] scalars", "where", [t(True), t(1.5), t(-2.5)], where_fn())
    fam.case("empty", "where", [torch.zeros(0, 3, dtype=BOOL), torch.zeros(0, 3), fam.randn(3)], where_fn())
    fam.case("NaN in the unselected branch", "where", [t([True, False]), t([1.0, NAN]), t([NAN, 2.0])], where_fn())
    return fam
