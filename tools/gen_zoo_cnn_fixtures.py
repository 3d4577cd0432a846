#!/usr/bin/python3
"""Golden fixtures for @myelin/zoo-cnn from torchvision 0.14 / PyTorch 1.13 (DESIGN.md §5).

Run from the repository root with the system interpreter that has PyTorch and torchvision:

    /usr/bin/python3 tools/gen_zoo_cnn_fixtures.py

It rewrites packages/zoo-cnn/fixtures/torchvision.json:

  models.<name>  for each full-size torchvision builder (default arguments), each building block, and
                 each 28×28 variant rebuilt from torchvision's classes (see SMALL below):
                 `params` (sum of numel over parameters(), what summary() must print) and `state`
                 ([key, shape] for every state_dict entry, in state_dict order, buffers included).
  resnet18       torchvision's resnet18 filled by a formula, in eval mode, and its logits:
                 value = offset + scale · k / 1024 with k = hash32((i + t · 0x9E3779B9) mod 2³²) mod 2001 − 1000
                 for element i of the t-th state_dict entry (t from 1; the input uses t = 0), where
                 hash32 is the "lowbias32" integer hash (x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15;
                 x *= 0x846ca68b; x ^= x >> 16, all mod 2³²). Every scale is a power of two and every
                 offset 0 or 1, so each value is exact in float32 and TypeScript rebuilds the same
                 weights bit for bit without committing 46 MB. Running variances are 1 ± 0.49 > 0.
                 `tensors` holds [scale, offset] per state entry, `input_shape` the input, `logits` the
                 output [2, 1000] of the float32 forward pass.
  outputs.<name> the same for each building block and 28×28 variant (eval mode; input shapes in
                 OUTPUT_INPUTS), so Inception, DenseNet, SE and the small variants are checked
                 numerically too, not only by layout.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
from torchvision import models
from torchvision.models.densenet import _DenseBlock, _DenseLayer, _Transition
from torch import nn
from torchvision.models.googlenet import BasicConv2d, Inception, InceptionAux
from torchvision.models.resnet import BasicBlock, Bottleneck
from torchvision.ops.misc import SqueezeExcitation

warnings.filterwarnings("ignore")
torch.manual_seed(0)
torch.set_num_threads(1)

OUT = Path(__file__).resolve().parent.parent / "packages" / "zoo-cnn" / "fixtures" / "torchvision.json"

FULL = {
    "alexnet": lambda: models.alexnet(),
    "vgg11": lambda: models.vgg11(),
    "vgg11_bn": lambda: models.vgg11_bn(),
    "vgg13": lambda: models.vgg13(),
    "vgg13_bn": lambda: models.vgg13_bn(),
    "vgg16": lambda: models.vgg16(),
    "vgg16_bn": lambda: models.vgg16_bn(),
    "vgg19": lambda: models.vgg19(),
    "vgg19_bn": lambda: models.vgg19_bn(),
    "resnet18": lambda: models.resnet18(),
    "resnet34": lambda: models.resnet34(),
    "resnet50": lambda: models.resnet50(),
    "googlenet": lambda: models.googlenet(init_weights=True),
    "googlenet_no_aux": lambda: models.googlenet(aux_logits=False, init_weights=True),
    "densenet121": lambda: models.densenet121(),
    "densenet161": lambda: models.densenet161(),
    "densenet169": lambda: models.densenet169(),
    "densenet201": lambda: models.densenet201(),
}

# Blocks, with the arguments the TypeScript test passes to the same-named Myelin classes.
BLOCKS = {
    "basic_block_64_64": lambda: BasicBlock(64, 64),
    "bottleneck_256_64": lambda: Bottleneck(256, 64),
    "inception_3a": lambda: Inception(192, 64, 96, 128, 16, 32, 32),
    "inception_aux_512": lambda: InceptionAux(512, 1000),
    "dense_layer_64_32_4": lambda: _DenseLayer(64, 32, 4, 0.0),
    "dense_block_6_64_4_32": lambda: _DenseBlock(6, 64, 4, 32, 0.0),
    "transition_256_128": lambda: _Transition(256, 128),
    "squeeze_excitation_64_16": lambda: SqueezeExcitation(64, 16),
}


def resnet_small() -> nn.Module:
    """resnetSmall(): torchvision's ResNet with a 3×3 stride-1 stem, no max-pool, stages 32/64/128."""
    m = models.ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    m.conv1 = nn.Conv2d(1, 32, 3, 1, 1, bias=False)
    m.bn1 = nn.BatchNorm2d(32)
    m.maxpool = nn.Identity()
    m.inplanes = 32
    m.layer1 = m._make_layer(BasicBlock, 32, 2)
    m.layer2 = m._make_layer(BasicBlock, 64, 2, stride=2)
    m.layer3 = m._make_layer(BasicBlock, 128, 2, stride=2)
    m.layer4 = nn.Identity()
    m.fc = nn.Linear(128, 10)
    return m


def vgg_small(batch_norm: bool) -> nn.Module:
    """vggSmall(): torchvision's VGG on cfg [32, 32, M, 64, 64, M, 128, 128, M], 1 input channel."""
    m = models.vgg.VGG(models.vgg.make_layers([32, 32, "M", 64, 64, "M", 128, 128, "M"], batch_norm), 10)
    m.features[0] = nn.Conv2d(1, 32, 3, padding=1)
    m.avgpool = nn.AdaptiveAvgPool2d(3)
    m.classifier = nn.Sequential(
        nn.Linear(128 * 9, 256), nn.ReLU(), nn.Dropout(), nn.Linear(256, 256), nn.ReLU(), nn.Dropout(),
        nn.Linear(256, 10),
    )
    return m


def alexnet_small() -> nn.Module:
    """alexnetSmall(): torchvision's AlexNet with 28×28 features (ALEXNET_SMALL)."""
    m = models.AlexNet(num_classes=10)
    m.features = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
        nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(),
        nn.Conv2d(128, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
    )
    m.avgpool = nn.AdaptiveAvgPool2d(3)
    m.classifier = nn.Sequential(
        nn.Dropout(), nn.Linear(64 * 9, 512), nn.ReLU(), nn.Dropout(), nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )
    return m


class GoogLeNetSmall(nn.Module):
    """googlenetSmall(): torchvision's BasicConv2d and Inception blocks on 28×28."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(1, 32, kernel_size=3, padding=1)
        self.inception3a = Inception(32, 16, 24, 32, 4, 8, 8)
        self.inception3b = Inception(64, 32, 32, 48, 8, 24, 16)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(120, 64, 48, 96, 8, 32, 32)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(224, 96, 64, 128, 16, 48, 48)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(320, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inception3b(self.inception3a(self.conv1(x)))
        x = self.inception5a(self.maxpool4(self.inception4a(self.maxpool3(x))))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


def densenet_small() -> nn.Module:
    """densenetSmall(): torchvision's DenseNet, growth 12, blocks (6, 6, 6), 3×3 stem, no pool0."""
    m = models.DenseNet(growth_rate=12, block_config=(6, 6, 6), num_init_features=24, num_classes=10)
    m.features.conv0 = nn.Conv2d(1, 24, 3, padding=1, bias=False)
    del m.features.pool0
    return m


def lenet5() -> nn.Module:
    """lenet5(): the Sequential `myelin train lenet5` has always built (apps/cli/src/models.ts)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def lenet5_classic() -> nn.Module:
    """lenet5({ classic: true }): the same layers with tanh and average pooling (LeCun et al., 1998)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )


# The 28×28 variants, rebuilt from torchvision's classes; each must map [2, 1, 28, 28] to [2, 10].
SMALL = {
    "lenet5": lenet5,
    "lenet5_classic": lenet5_classic,
    "alexnet_small": alexnet_small,
    "vgg_small": lambda: vgg_small(False),
    "vgg_small_bn": lambda: vgg_small(True),
    "resnet_small": resnet_small,
    "googlenet_small": GoogLeNetSmall,
    "densenet_small": densenet_small,
}


def describe(m: nn.Module) -> dict:
    return {
        "params": sum(p.numel() for p in m.parameters()),
        "state": [[k, list(v.shape)] for k, v in m.state_dict().items()],
    }


M32 = np.uint64(0xFFFFFFFF)


def hash32(x: np.ndarray) -> np.ndarray:
    """lowbias32 (Chris Wellons' hash-prospector), on uint64 holding uint32 values."""
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & M32
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & M32
    return x ^ (x >> np.uint64(16))


def formula(t: int, shape: list[int], scale: float, offset: float) -> torch.Tensor:
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n, dtype=np.uint64)
    k = (hash32((i + np.uint64((t * 0x9E3779B9) & 0xFFFFFFFF)) & M32) % np.uint64(2001)).astype(np.int64) - 1000
    v = offset + scale * (k.astype(np.float64) / 1024.0)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def scale_offset(key: str, shape: list[int]) -> tuple[float, float]:
    """Small values that keep every activation of the eval-mode network O(1)."""
    if key.endswith("running_var"):
        return 0.5, 1.0
    if key.endswith("running_mean") or key.endswith("bias"):
        return 0.125, 0.0
    if len(shape) == 1:  # BatchNorm weight (γ)
        return 0.25, 1.0
    fan_in = int(np.prod(shape[1:]))
    e = 0  # smallest e with 4^e ≥ fan_in, so 2^(1−e) ≈ 2/√fan_in (He-like for U(−1, 1))
    while 4**e < fan_in:
        e += 1
    return 2.0 ** (1 - e), 0.0


def fill(net: nn.Module) -> list[list[float]]:
    """Load the formula's values into `net`; returns [scale, offset] per state_dict entry."""
    tensors = []
    new = {}
    for t, (k, v) in enumerate(net.state_dict().items(), start=1):
        shape = list(v.shape)
        if k.endswith("num_batches_tracked"):
            new[k] = torch.zeros_like(v)
            tensors.append([0.0, 0.0])
            continue
        s, o = scale_offset(k, shape)
        new[k] = formula(t, shape, s, o)
        tensors.append([s, o])
    net.load_state_dict(new)
    return tensors


def g7(y: torch.Tensor) -> list[float]:
    # 7 significant digits: float32 carries ~7.2, and the tests compare at 1e-4.
    return [float(f"{v:.7g}") for v in y.flatten().tolist()]


def resnet18_case() -> dict:
    net = models.resnet18().eval()
    tensors = fill(net)
    x = formula(0, [2, 3, 64, 64], 1.0, 0.0)
    with torch.no_grad():
        y = net(x)
    print(f"resnet18 logits: std {y.std():.4f}, max |y| {y.abs().max():.4f}, "
          f"mean |y0 − y1| {(y[0] - y[1]).abs().mean():.4f}")
    return {"input_shape": [2, 3, 64, 64], "tensors": tensors, "logits": g7(y)}


# Input shapes for the eval-mode outputs of the blocks and the 28×28 variants.
OUTPUT_INPUTS = {
    "basic_block_64_64": [1, 64, 4, 4],
    "bottleneck_256_64": [1, 256, 4, 4],
    "inception_3a": [1, 192, 4, 4],
    "inception_aux_512": [1, 512, 4, 4],
    "dense_layer_64_32_4": [1, 64, 4, 4],
    "dense_block_6_64_4_32": [1, 64, 4, 4],
    "transition_256_128": [1, 256, 4, 4],
    "squeeze_excitation_64_16": [1, 64, 4, 4],
    **{name: [2, 1, 28, 28] for name in SMALL},
}


def outputs_case(name: str) -> dict:
    net = {**BLOCKS, **SMALL}[name]().eval()
    tensors = fill(net)
    shape = OUTPUT_INPUTS[name]
    with torch.no_grad():
        y = net(formula(0, shape, 1.0, 0.0))
    return {"input_shape": shape, "tensors": tensors, "output_shape": list(y.shape), "output": g7(y)}


def main() -> None:
    out = {
        "generator": "tools/gen_zoo_cnn_fixtures.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "models": {},
    }
    for name, make in {**FULL, **BLOCKS, **SMALL}.items():
        m = make()
        if name in SMALL:
            with torch.no_grad():
                assert m.eval()(torch.zeros(2, 1, 28, 28)).shape == (2, 10), name
        out["models"][name] = describe(m)
        print(f"{name}: {out['models'][name]['params']:,} parameters")
    out["resnet18"] = resnet18_case()
    out["outputs"] = {name: outputs_case(name) for name in OUTPUT_INPUTS}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
