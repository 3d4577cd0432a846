"""Golden values for @myelin/core's linear algebra (packages/core-tests/test/linalg.test.ts).

Run with /usr/bin/python3 (PyTorch 1.13). Everything is computed in float64; gradients come from
torch.autograd.grad of a fixed weighted loss of the op's outputs. For decompositions whose outputs
are defined only up to signs (qr, eigh, svd), the loss uses sign-invariant functions of them.
Output: packages/core-tests/fixtures/linalg.json
"""
import json
import os

import torch

torch.manual_seed(1234)
D = torch.float64


def rnd(*shape):
    return torch.randn(tuple(shape), dtype=D)


def spd(*shape):
    n = shape[-1]
    m = rnd(*shape)
    return m @ m.transpose(-1, -2) + n * torch.eye(n, dtype=D)


def sym(*shape):
    m = rnd(*shape)
    return m + m.transpose(-1, -2)


def L(t):
    return t.detach().reshape(-1).tolist()


cases = []


def add(op, inputs, outputs_fn, loss_fn, extra=None):
    """outputs_fn(*inputs) -> list of outputs; loss_fn(outputs, weights) -> scalar."""
    ins = [x.clone().requires_grad_(True) for x in inputs]
    outs = outputs_fn(*ins)
    weights = [rnd(*o.shape) for o in outs]
    loss = loss_fn(outs, weights)
    grads = torch.autograd.grad(loss, ins)
    cases.append({
        'op': op,
        'extra': extra or {},
        'inputs': [{'shape': list(x.shape), 'data': L(x)} for x in inputs],
        'outputs': [{'shape': list(o.shape), 'data': L(o)} for o in outs],
        'weights': [{'shape': list(w.shape), 'data': L(w)} for w in weights],
        'loss': loss.item(),
        'grads': [{'shape': list(g.shape), 'data': L(g)} for g in grads],
    })


def lin(outs, ws):
    return sum((o * w).sum() for o, w in zip(outs, ws))


def nonsingular(*shape):
    return rnd(*shape) + 2 * torch.eye(shape[-1], dtype=D)


for shape in [(3, 3), (2, 3, 3), (1, 1), (2, 1, 4, 4)]:
    A = nonsingular(*shape)
    add('det', [A], lambda a: [torch.linalg.det(a)], lin)
    add('inv', [A], lambda a: [torch.linalg.inv(a)], lin)
# singular matrices: the gradient of det is the cofactor matrix (PyTorch takes it from the SVD)
S3 = rnd(3, 2) @ rnd(2, 3)
add('det', [S3], lambda a: [torch.linalg.det(a)], lin, {'singular': True})
# (An exactly singular matrix such as [[1, 2], [2, 4]] is left out: torch 1.13 returns a zero
# gradient there; the test checks the cofactor matrix, the closed form, instead.)
A = rnd(4, 4)
A[0] *= -1
add('slogdet', [A], lambda a: list(torch.linalg.slogdet(a)), lambda o, w: (o[1] * w[1]).sum())
add('slogdet', [nonsingular(2, 3, 3)], lambda a: list(torch.linalg.slogdet(a)), lambda o, w: (o[1] * w[1]).sum())
add('solve', [nonsingular(3, 3), rnd(3, 2)], lambda a, b: [torch.linalg.solve(a, b)], lin)
add('solve', [nonsingular(2, 4, 4), rnd(2, 4, 1)], lambda a, b: [torch.linalg.solve(a, b)], lin)
add('solve', [nonsingular(3, 3), rnd(2, 3, 2)], lambda a, b: [torch.linalg.solve(a, b)], lin)
add('solve', [nonsingular(2, 3, 3), rnd(2, 3)], lambda a, b: [torch.linalg.solve(a, b)], lin)
add('solve', [nonsingular(2, 1, 3, 3), rnd(1, 2, 3, 2)], lambda a, b: [torch.linalg.solve(a, b)], lin)
add('solve', [nonsingular(3, 3), rnd(3)], lambda a, b: [torch.linalg.solve(a, b)], lin)
for shape in [(3, 3), (2, 4, 4), (1, 1)]:
    add('cholesky', [spd(*shape)], lambda a: [torch.linalg.cholesky(a)], lin)


def qr_fn(a):
    q, r = torch.linalg.qr(a)
    s = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).detach()
    return [q * s.unsqueeze(-2), r * s.unsqueeze(-1)]


for shape in [(4, 3), (3, 3), (2, 5, 2), (3, 5), (2, 2, 4)]:
    add('qr', [rnd(*shape)], qr_fn, lin)


def sq_loss(o, w):
    # eigenvalues/singular values linearly, vectors squared (sign-invariant).
    return (o[0] * w[0]).sum() + sum(((x * x) * wx).sum() for x, wx in zip(o[1:], w[1:]))


for shape in [(3, 3), (2, 4, 4), (1, 1)]:
    add('eigh', [sym(*shape)], lambda a: list(torch.linalg.eigh(a)), sq_loss)


def svd_fn(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return [s, u, vh]


for shape in [(4, 3), (3, 4), (3, 3), (2, 3, 2)]:
    add('svd', [rnd(*shape)], svd_fn, sq_loss)
for shape in [(4, 3), (3, 4), (2, 3, 3)]:
    add('pinv', [rnd(*shape)], lambda a: [torch.linalg.pinv(a)], lin)
# rank-deficient pinv (rank 1): forward only is compared
u = rnd(4, 1)
v = rnd(1, 3)
cases.append({'op': 'pinv_rank1', 'extra': {}, 'inputs': [{'shape': [4, 3], 'data': L(u @ v)}],
              'outputs': [{'shape': [3, 4], 'data': L(torch.linalg.pinv(u @ v))}], 'weights': [], 'grads': [], 'loss': 0})
add('lstsq', [rnd(5, 3), rnd(5, 2)], lambda a, b: [torch.linalg.pinv(a) @ b], lin,
    {'note': 'solution equals torch.linalg.lstsq(a, b).solution; gradient via pinv(a) @ b'})
A5, B5 = rnd(5, 3), rnd(5, 2)
assert torch.allclose(torch.linalg.lstsq(A5, B5).solution, torch.linalg.pinv(A5) @ B5)
for ordv in ['fro', 'nuc', 2, -2, 1, -1, 'inf', '-inf']:
    o = {'inf': float('inf'), '-inf': float('-inf')}.get(ordv, ordv) if isinstance(ordv, str) else ordv
    add('matrix_norm', [rnd(3, 4)], lambda a, o=o: [torch.linalg.matrix_norm(a, ord=o)], lin, {'ord': ordv})
add('matrix_norm', [rnd(2, 3, 3)], lambda a: [torch.linalg.matrix_norm(a, ord='fro')], lin, {'ord': 'fro'})
add('trace', [rnd(3, 4)], lambda a: [torch.trace(a)], lin)
add('diagonal', [rnd(2, 3, 4)], lambda a: [torch.diagonal(a, 0, -2, -1)], lin, {'offset': 0})
add('diagonal', [rnd(3, 4)], lambda a: [torch.diagonal(a, 1, -2, -1)], lin, {'offset': 1})
add('diagonal', [rnd(4, 3)], lambda a: [torch.diagonal(a, -2, -2, -1)], lin, {'offset': -2})

# Order statistics: distinct values so that the selected elements (and gradients) are unique.
def distinct(*shape):
    n = 1
    for d in shape:
        n *= d
    return (torch.randperm(n).to(D) + 0.25 * torch.rand(n, dtype=D)).reshape(shape)


for shape in [(7,), (2, 5), (3, 4)]:
    add('median_all', [distinct(*shape)], lambda a: [torch.median(a)], lin)
for shape, dim, keep in [((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 5), -1, False), ((1, 1), 0, False)]:
    xm = distinct(*shape)
    idx = torch.median(xm, dim=dim, keepdim=keep).indices
    add('median_dim', [xm], lambda a, dim=dim, keep=keep: [torch.median(a, dim=dim, keepdim=keep).values], lin,
        {'dim': dim, 'keepdim': keep, 'indices': L(idx)})
for q, dim, keep, interp in [
    (0.3, None, False, 'linear'), ([0.1, 0.5, 0.9], None, False, 'linear'), (0.25, 1, False, 'linear'),
    ([0.0, 0.4, 1.0], 0, True, 'linear'), (0.3, 1, False, 'lower'), (0.3, 1, False, 'higher'),
    (0.3, 1, False, 'midpoint'), (0.3, 1, False, 'nearest'), (0.5, 1, False, 'nearest'), (0.375, 1, False, 'nearest'),
]:
    xq = distinct(3, 5)
    qt = q if isinstance(q, float) else torch.tensor(q, dtype=D)
    add('quantile', [xq], lambda a, qt=qt, dim=dim, keep=keep, interp=interp:
        [torch.quantile(a, qt, dim=dim, keepdim=keep, interpolation=interp)], lin,
        {'q': q, 'dim': dim, 'keepdim': keep, 'interpolation': interp})

# Derivative tools (torch.autograd.functional) on a nonlinear function of x in R^3.
Wf = rnd(2, 3)


def vec_f(x):
    return torch.tanh(Wf @ x) * (x * x).sum()


def scal_f(x):
    return torch.log1p((x ** 4).sum()) + torch.sin(x).prod()


xf, vf, uf = rnd(3), rnd(3), rnd(3)
functional = {
    'W': L(Wf), 'x': L(xf), 'v': L(vf),
    'jacobian': L(torch.autograd.functional.jacobian(vec_f, xf)),
    'jvp': L(torch.autograd.functional.jvp(vec_f, xf, vf)[1]),
    'hessian': L(torch.autograd.functional.hessian(scal_f, xf)),
    'hvp': L(torch.autograd.functional.hvp(scal_f, xf, vf)[1]),
}

out = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core-tests', 'fixtures', 'linalg.json')
with open(out, 'w') as f:
    json.dump({'generator': 'tools/gen_linalg_fixtures.py', 'torch': torch.__version__, 'cases': cases, 'functional': functional}, f)
print('wrote', len(cases), 'cases to', out)
