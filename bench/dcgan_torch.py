"""PyTorch side of the bench's DCGAN training row (`bench/src/zoo-gan.ts`).

The DCGAN pair of `@myelin/zoo-gan` at the `dcgan-mnist` recipe's width (16): G z[100] ->
ConvTranspose 7x7 -> [64, 7, 7] BN ReLU -> ConvTranspose 4x4/2 -> [32, 14, 14] BN ReLU ->
ConvTranspose 4x4/2 -> [1, 28, 28] tanh; D Conv 4x4/2 -> [16, 14, 14] LeakyReLU 0.2 -> Conv 4x4/2 ->
[32, 7, 7] BN LeakyReLU -> Conv 7x7 -> one logit (no biases). One training step per batch: a
discriminator step on the real batch and as many generated images (non-saturating GAN loss on
logits), then a generator step; Adam 2e-4, betas (0.5, 0.999). Driven over stdin/stdout
(`torch_timing.py`):

    -> (start)                   <- "ready <G parameters> <D parameters> <threads> <torch version>"
    -> "run"                     <- "done <D loss> <G loss>"   (one pass over the samples)
    -> "quit"

Usage: OMP_NUM_THREADS=2 python3 bench/dcgan_torch.py --threads 2 --batch 64 --samples 128
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_timing import parse_args, serve


def generator(latent: int, w: int) -> nn.Module:
    return nn.Sequential(
        nn.ConvTranspose2d(latent, 4 * w, 7, 1, 0, bias=False),
        nn.BatchNorm2d(4 * w),
        nn.ReLU(),
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(2 * w),
        nn.ReLU(),
        nn.ConvTranspose2d(2 * w, 1, 4, 2, 1, bias=False),
        nn.Tanh(),
    )


def discriminator(w: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(2 * w),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2 * w, 1, 7, 1, 0, bias=False),
        nn.Flatten(),
    )


def main() -> None:
    a = parse_args(batch=64, samples=128, width=16)
    latent = 100
    g, d = generator(latent, a.width), discriminator(a.width)
    for m in (g, d):
        for name, t in m.named_parameters():
            if t.dim() == 1:
                nn.init.normal_(t, 1.0, 0.02)
            else:
                nn.init.normal_(t, 0.0, 0.02)
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    # Uniform [-1, 1) images, as the JS side gets (values do not affect speed).
    x = torch.rand(a.samples, 1, 28, 28) * 2 - 1
    count = lambda m: sum(t.numel() for t in m.parameters())

    def run() -> list[str]:
        dl = gl = torch.zeros(())
        for s in range(0, a.samples, a.batch):
            real = x[s : s + a.batch]
            n = real.shape[0]
            od.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = g(torch.randn(n, latent, 1, 1))
            dl = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
            dl.backward()
            od.step()
            og.zero_grad(set_to_none=True)
            gl = F.softplus(-d(g(torch.randn(n, latent, 1, 1)))).mean()
            gl.backward()
            og.step()
        return [f"{dl.item():.6f}", f"{gl.item():.6f}"]

    serve([count(g), count(d)], run)


if __name__ == "__main__":
    main()
