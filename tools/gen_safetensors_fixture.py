"""Write the safetensors fixtures of packages/core/test/safetensors.test.ts from PyTorch.

Run with the system interpreter that has PyTorch 1.13 (no `safetensors` package there):

    /usr/bin/python3 tools/gen_safetensors_fixture.py

The layout is written by hand, following the reference writer (huggingface/safetensors,
`safetensors/src/tensor.rs`, `prepare` + `serialize`): an 8-byte little-endian header length, the
compact JSON header (`__metadata__` first, then the tensors in data order) padded with spaces to a
multiple of 8, then each tensor's bytes, taken from `tensor.numpy().tobytes()` (bfloat16 via an
int16 view, since NumPy has no bfloat16). Tensors are ordered as the reference orders them: by
descending rank in its `Dtype` enum, then by name.

Outputs, in packages/core/test/fixtures/:
  torch_mixed.safetensors            the canonical layout (the TS writer must reproduce it byte for byte)
  torch_mixed_unordered.safetensors  the same tensors, data and header in another order (readers accept it)
  torch_mixed.expected.json          dtype, shape and expected values of every tensor, plus the
                                     float32 → float16 / bfloat16 rounding torch performs
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "packages" / "core" / "test" / "fixtures"

# Reference `Dtype` enum order ("MUST be in increasing alignment order").
RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]

ST_DTYPE = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}

METADATA = {"format": "pt", "producer": f"tools/gen_safetensors_fixture.py (torch {torch.__version__})"}


def raw_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    arr = t.numpy()
    if arr.dtype.byteorder == ">":
        arr = arr.byteswap().newbyteorder()
    return arr.tobytes()


def f32_bits(t: torch.Tensor) -> list[int]:
    """The float32 bit patterns of a float tensor's values (exact, and JSON-safe for inf/nan)."""
    return [int(b) for b in t.to(torch.float32).contiguous().numpy().view(np.uint32).reshape(-1)]


def build_tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1234)
    inf, nan = math.inf, math.nan
    return {
        "layer.weight": torch.randn(3, 4, generator=g, dtype=torch.float32),
        "layer.bias": torch.tensor([0.5, -0.25, 1e-45, -0.0], dtype=torch.float32),
        "f32_special": torch.tensor([inf, -inf, nan, 3.4028234663852886e38, 1.1754943508222875e-38]),
        "scalar": torch.tensor(42.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        # 65504 = max half; 2^-14 = min normal; 2^-24 = min subnormal; 1e-6 rounds to a subnormal.
        "half": torch.tensor(
            [[1.0, -2.5, 65504.0, 2.0**-14, 2.0**-24], [1e-6, inf, -inf, nan, -0.0]], dtype=torch.float16
        ),
        # 2^-133 is a bfloat16 subnormal; 3.3895e38 is the largest finite bfloat16.
        "bf16": torch.tensor([[1.0, -3.140625, 2.0**-133], [3.3895313892515355e38, inf, nan]], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -2.5, 1e300, 2.0**-149], dtype=torch.float64),
        "int32": torch.tensor([-(2**31), 2**31 - 1, 0, -7], dtype=torch.int32),
        "int64": torch.tensor([[-(2**31), 2**31 - 1], [-1, 123456]], dtype=torch.int64),
        "int64_big": torch.tensor([1, 2**31, -5], dtype=torch.int64),
        "int16": torch.tensor([-32768, 32767, -1], dtype=torch.int16),
        "int8": torch.tensor([-128, 127, -1, 0], dtype=torch.int8),
        "uint8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
        "ρ.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
    }


def expected_entry(name: str, t: torch.Tensor) -> dict:
    entry: dict = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape)}
    if t.dtype.is_floating_point:
        # What entryToTypedArray must give: the value as float32 (F64 rounds to nearest).
        entry["f32_bits"] = f32_bits(t)
    elif name == "int64_big":
        entry["error_index"] = 1
        entry["error_value"] = str(2**31)
    else:
        entry["values"] = [int(v) for v in t.to(torch.int64).reshape(-1).tolist()]
    return entry


def header_json(header: dict) -> bytes:
    # serde_json's compact form: no spaces, non-ASCII written as UTF-8.
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_file(path: Path, data_order: list[str], header_order: list[str], tensors: dict[str, torch.Tensor]) -> None:
    offsets: dict[str, tuple[int, int]] = {}
    chunks: list[bytes] = []
    at = 0
    for name in data_order:
        b = raw_bytes(tensors[name])
        offsets[name] = (at, at + len(b))
        chunks.append(b)
        at += len(b)
    header: dict = {"__metadata__": METADATA}
    for name in header_order:
        t = tensors[name]
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": list(offsets[name])}
    hb = header_json(header)
    hb += b" " * ((8 - len(hb) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(hb)) + hb + b"".join(chunks))


def rounding_cases() -> dict:
    """float32 inputs and the float16 / bfloat16 torch rounds them to (round to nearest even)."""
    special = [
        1.0 + 2.0**-11,  # tie between 1 and 1 + 2^-10: even → 1
        1.0 + 3 * 2.0**-11,  # tie: even → 1 + 2^-9
        1.0 + 2.0**-11 + 2.0**-20,  # just above the tie → up
        65519.99,  # → 65504
        65520.0,  # tie with 2^16: → inf
        2.0**-25,  # tie between 0 and 2^-24: even → 0
        2.0**-25 + 2.0**-35,  # → 2^-24
        3 * 2.0**-25,  # tie between 2^-24 and 2^-23: even → 2^-23
        2.0**-14 - 2.0**-25,  # largest-subnormal boundary: rounds to the min normal
        -1e-8,  # → -0
        1e-3,
        -123.456,
        1e5,  # overflow → inf
        math.inf,
        -math.inf,
        math.nan,
        1.0 + 2.0**-8,  # bfloat16 tie: even → 1
        1.0 + 3 * 2.0**-8,  # bfloat16 tie: even → 1 + 2^-6
        3.4028234663852886e38,  # bfloat16: rounds up to inf
    ]
    g = torch.Generator().manual_seed(99)
    scales = torch.tensor([1e-7, 1e-5, 1e-2, 1.0, 1e2, 1e4, 1e30])
    rand = (torch.randn(7, 40, generator=g) * scales[:, None]).reshape(-1)
    x = torch.cat([torch.tensor(special, dtype=torch.float32), rand.to(torch.float32)])
    return {
        "f32_bits": f32_bits(x),
        "f16_bits": [int(b) for b in x.to(torch.float16).numpy().view(np.uint16)],
        "bf16_bits": [int(b) & 0xFFFF for b in x.to(torch.bfloat16).view(torch.int16).numpy()],
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tensors = build_tensors()
    canonical = sorted(tensors, key=lambda n: (-RANK.index(ST_DTYPE[tensors[n].dtype]), n.encode("utf-8")))
    write_file(OUT / "torch_mixed.safetensors", canonical, canonical, tensors)
    # Data in insertion order, header keys reversed: neither matches the other nor the canonical order.
    insertion = list(tensors)
    write_file(OUT / "torch_mixed_unordered.safetensors", insertion, list(reversed(insertion)), tensors)
    expected = {
        "generator": f"tools/gen_safetensors_fixture.py, torch {torch.__version__}, numpy {np.__version__}",
        "metadata": METADATA,
        "canonical_order": canonical,
        "tensors": {name: expected_entry(name, t) for name, t in tensors.items()},
        "rounding": rounding_cases(),
    }
    (OUT / "torch_mixed.expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(tensors)} tensors to {OUT}")


if __name__ == "__main__":
    main()
