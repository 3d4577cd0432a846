"""Golden fixtures for @myelin/zoo-rnn's neural Turing machine (packages/zoo-rnn/src/ntm.ts).

The addressing, read and erase/add write of Graves et al. 2014 (Eqs. 2-9), written here in plain
PyTorch 1.13 straight from the paper's equations (independent of the TypeScript code): forward
values and the gradients of a fixed scalar loss with respect to every input.

Run: /usr/bin/python3 tools/gen_ntm_fixtures.py  (writes packages/zoo-rnn/fixtures/ntm.json)
"""
import json
import os

import torch

EPS = 1e-8
torch.manual_seed(21)
B, N, M = 2, 6, 4


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64)


memory = rnd(B, N, M).requires_grad_()
key = rnd(B, M).requires_grad_()
beta = (torch.rand(B, 1, dtype=torch.float64) * 3).requires_grad_()
gate = torch.rand(B, 1, dtype=torch.float64).requires_grad_()
shift = torch.softmax(rnd(B, 3), -1).detach().requires_grad_()
gamma = (1 + torch.rand(B, 1, dtype=torch.float64) * 2).requires_grad_()
prev = torch.softmax(rnd(B, N), -1).detach().requires_grad_()
erase = torch.rand(B, M, dtype=torch.float64).requires_grad_()
add = rnd(B, M).requires_grad_()
read_coef = rnd(B, M)
mem_coef = rnd(B, N, M)
w_coef = rnd(B, N)


def similarity(mem, k):
    # Eq. 6: K(u, v) = u.v / (|u| |v|), norms as sqrt(sum of squares + eps)
    dot = (mem * k[:, None, :]).sum(-1)
    return dot / (torch.sqrt((mem ** 2).sum(-1) + EPS) * torch.sqrt((k ** 2).sum(-1, keepdim=True) + EPS))


def address(mem, k, b, g, s, gam, w_prev):
    wc = torch.softmax(b * similarity(mem, k), -1)                      # Eq. 5
    wg = g * wc + (1 - g) * w_prev                                       # Eq. 7
    n = mem.shape[1]
    ws = torch.zeros_like(wg)
    for i in range(n):                                                   # Eq. 8, s over shifts (-1, 0, +1)
        for j in range(n):
            d = (i - j) % n
            if d == 1:
                ws[:, i] = ws[:, i] + wg[:, j] * s[:, 2]
            elif d == 0:
                ws[:, i] = ws[:, i] + wg[:, j] * s[:, 1]
            elif d == n - 1:
                ws[:, i] = ws[:, i] + wg[:, j] * s[:, 0]
    p = (ws + EPS) ** gam                                                # Eq. 9
    return p / p.sum(-1, keepdim=True)


w = address(memory, key, beta, gate, shift, gamma, prev)
read = (w[:, :, None] * memory).sum(1)                                   # Eq. 2
new_memory = memory * (1 - w[:, :, None] * erase[:, None, :]) + w[:, :, None] * add[:, None, :]  # Eqs. 3, 4
loss = (read * read_coef).sum() + (new_memory * mem_coef).sum() + (w * w_coef).sum()
names = ['memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev', 'erase', 'add']
tensors = [memory, key, beta, gate, shift, gamma, prev, erase, add]
grads = torch.autograd.grad(loss, tensors)


def flat(t):
    return {'shape': list(t.shape), 'data': [float(v) for v in t.detach().reshape(-1)]}


out = {
    'source': 'tools/gen_ntm_fixtures.py (PyTorch %s, float64)' % torch.__version__,
    'eps': EPS,
    'inputs': {n: flat(t) for n, t in zip(names, tensors)},
    'coefficients': {'read': flat(read_coef), 'memory': flat(mem_coef), 'weighting': flat(w_coef)},
    'similarity': flat(similarity(memory, key)),
    'weighting': flat(w),
    'read': flat(read),
    'newMemory': flat(new_memory),
    'loss': float(loss),
    'grads': {n: flat(g) for n, g in zip(names, grads)},
}
path = os.path.join(os.path.dirname(__file__), '..', 'packages', 'zoo-rnn', 'fixtures', 'ntm.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
print('wrote', path)
