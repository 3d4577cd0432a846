"""PyTorch side of the bench's ResNet training row (`node bench/dist/index.js resnet`).

The 28x28 ResNet of `@myelin/zoo-cnn`'s `resnetSmall()` (3x3 stride-1 stem, no max-pool, BasicBlocks
[2, 2, 2] at 32/64/128 channels, global average pool, fc), trained with softmax cross-entropy and
SGD (Nesterov momentum 0.9) on the CPU. The bench spawns this script once and drives it over
stdin/stdout (`torch_timing.py`), so PyTorch takes its turn in the same alternating rounds as the JS libraries:

    -> (start)                   <- "ready <trainable parameters> <threads> <torch version>"
    -> "run"                     <- "done <loss of the last step>"   (one pass over the samples)
    -> "quit"

Usage: OMP_NUM_THREADS=2 python3 bench/resnet_torch.py --threads 2 --batch 64 --samples 256
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_timing import parse_args, serve


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNetSmall(nn.Module):
    def __init__(self, layers=(2, 2, 2), width: int = 32, classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks = []
        inplanes = width
        for i, n in enumerate(layers):
            planes = width * 2**i
            for b in range(n):
                blocks.append(BasicBlock(inplanes, planes, 2 if i > 0 and b == 0 else 1))
                inplanes = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def main() -> None:
    a = parse_args(batch=64, samples=256)
    model = ResNetSmall()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    # Uniform [0, 1) images and labels 0..9, as the JS libraries get (values do not affect speed).
    x = torch.rand(a.samples, 1, 28, 28)
    y = torch.randint(0, 10, (a.samples,))
    params = sum(t.numel() for t in model.parameters() if t.requires_grad)

    def run() -> list[str]:
        loss = torch.zeros(())
        for s in range(0, a.samples, a.batch):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[s : s + a.batch]), y[s : s + a.batch])
            loss.backward()
            opt.step()
        return [f"{loss.item():.6f}"]

    serve([params], run)


if __name__ == "__main__":
    main()
