"""Golden values for core's sparse and segment ops (packages/core-tests/test/sparse-torch.test.ts).

Run with /usr/bin/python3 (PyTorch 1.13). Everything in float64 on inputs rounded to float32 first
(so the float32 tensors our tests build hold exactly the values torch saw). Gradients are of
Σ⟨out, cot⟩ with random cotangents, by torch.autograd.

- `scatterReduce`: Tensor.scatter_reduce(0, index, src, reduce, include_self=False) into zeros for
  sum, mean, amax and amin (PyG's `scatter`), on random graphs (destination of each edge as the
  index, nodes without in-edges included), with a `sorted` twin (edges stably sorted by
  destination, with their CSR offsets) for `segmentReduce`. One graph has integer-valued messages,
  so amax / amin meet ties and torch splits their gradient evenly among them.
- `spmm`: CSR × dense by torch.sparse_csr_tensor(crow, col, values) @ x (canonical patterns: sorted,
  distinct columns per row, as torch's CSR requires) and torch.sparse.mm on the same entries as a
  COO tensor, whose autograd gives the gradients of the values and of x; `spmmCoo` cases keep
  entries unsorted with duplicates (COO only).
- `sddmm`: torch.sparse.sampled_addmm(S, a, bᵀ, beta=0) on a CSR pattern S, gradients by autograd
  of the per-entry dot products (a[rows] · b[cols]).sum(-1), checked equal to sampled_addmm first.
- `segmentSoftmax`: softmax over each destination's incoming edges (torch.softmax per segment).

Output: packages/core-tests/fixtures/sparse.json
"""
import json
import os

import torch

torch.manual_seed(20261206)
D = torch.float64


def f32(t):
    """Round to the nearest float32, kept as float64."""
    return t.float().double()


def rnd(*shape, scale=1.5):
    return f32(torch.randn(tuple(shape), dtype=D) * scale)


def L(t):
    return t.detach().reshape(-1).tolist()


def arr(t):
    return {'shape': list(t.shape), 'data': L(t)}


def grads_of(out, ins, cot):
    gs = torch.autograd.grad((out * cot).sum(), ins, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(ins, gs)]


def destinations(n, e):
    """The destination of each of e random edges among n nodes; the last node never receives one,
    so its segment is empty (and others may be too)."""
    return torch.randint(0, n - 1, (e,))


cases = []

# ---------------------------------------------------------------------------------------------
# scatter_reduce (include_self=False) and its sorted twin for segmentReduce
# ---------------------------------------------------------------------------------------------

TORCH_REDUCE = {'sum': 'sum', 'mean': 'mean', 'max': 'amax', 'min': 'amin'}


def scatter_case(name, msgs, index, n):
    # stable sort by destination: the order segmentReduce expects, with CSR offsets
    order = torch.sort(index, stable=True).indices
    counts = torch.bincount(index, minlength=n)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
    for reduce, treduce in TORCH_REDUCE.items():
        src = msgs.clone().requires_grad_(True)
        idx = index.view(-1, *([1] * (msgs.dim() - 1))).expand_as(msgs)
        out = torch.zeros((n, *msgs.shape[1:]), dtype=D).scatter_reduce(0, idx, src, treduce, include_self=False)
        cot = rnd(*out.shape, scale=1.0)
        (g,) = grads_of(out, [src], cot)
        sorted_src = msgs[order].clone().requires_grad_(True)
        out2 = torch.zeros_like(out).scatter_reduce(
            0, idx[order], sorted_src, treduce, include_self=False)
        (g2,) = grads_of(out2, [sorted_src], cot)
        assert torch.equal(out, out2)
        cases.append({
            'op': 'scatterReduce', 'name': f'{name} {reduce}', 'reduce': reduce, 'numSegments': n,
            'src': arr(msgs), 'index': L(index), 'out': arr(out), 'cot': arr(cot), 'grad': arr(g),
            'sortedSrc': arr(msgs[order]), 'offsets': L(offsets), 'sortedGrad': arr(g2),
        })


for name, n, e, row in [
    ('random graph 7 nodes 20 edges, F 3', 7, 20, (3,)),
    ('random graph 12 nodes 40 edges, rows 2×2', 12, 40, (2, 2)),
    ('random graph 5 nodes 9 edges, rank-1 messages', 5, 9, ()),
]:
    dst = destinations(n, e)
    scatter_case(name, rnd(e, *row), dst, n)

# integer-valued messages with forced ties (no zeros: include_self=False still lets torch count the zero `self`
# among the maxima when the result is 0): amax / amin hit ties
dst = destinations(6, 18)
ties = torch.tensor([-3, -2, -1, 1, 2, 3], dtype=D)[torch.randint(0, 6, (18, 2))]
for node in range(6):
    members = (dst == node).nonzero().flatten()
    if len(members) >= 2:
        # the first two edges into each node share its column-0 maximum and column-1 minimum
        ties[members[:2], 0] = ties[members, 0].max()
        ties[members[:2], 1] = ties[members, 1].min()
scatter_case('ties, 6 nodes 18 edges, F 2', ties, dst, 6)

# ---------------------------------------------------------------------------------------------
# SpMM
# ---------------------------------------------------------------------------------------------


def spmm_case(op, name, rows, cols, shape, f):
    values = rnd(len(rows))
    x = rnd(shape[1], f)
    v = values.clone().requires_grad_(True)
    xg = x.clone().requires_grad_(True)
    coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), v, shape)
    out = torch.sparse.mm(coo, xg)
    cot = rnd(shape[0], f, scale=1.0)
    dv, dx = grads_of(out, [v, xg], cot)
    case = {'op': op, 'name': name, 'shape': list(shape), 'rows': L(rows), 'cols': L(cols),
            'values': L(values), 'x': arr(x), 'out': arr(out), 'cot': arr(cot),
            'gradValues': L(dv), 'gradX': arr(dx)}
    if op == 'spmm':
        crow = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)])
        csr = torch.sparse_csr_tensor(crow, cols, values, shape)
        csr_out = csr @ x
        assert torch.allclose(csr_out, out.detach(), rtol=1e-12, atol=1e-12)
        case['rowPtr'] = L(crow)
        case['out'] = arr(csr_out)
    cases.append(case)


def canonical(n_rows, n_cols, density):
    """A random CSR pattern: sorted, distinct columns in each row; some rows empty."""
    mask = torch.rand(n_rows, n_cols) < density
    mask[0] = False  # an empty first row
    rows, cols = mask.nonzero(as_tuple=True)
    return rows, cols


for name, (r, c), density, f in [
    ('square 8×8, F 4', (8, 8), 0.35, 4),
    ('rectangular 6×10, F 3', (6, 10), 0.3, 3),
    ('rectangular 9×4, F 1', (9, 4), 0.4, 1),
]:
    rows, cols = canonical(r, c, density)
    spmm_case('spmm', name, rows, cols, (r, c), f)

# unsorted COO with duplicate entries (they add up)
rows = torch.tensor([3, 0, 2, 3, 0, 4, 2, 3, 0])
cols = torch.tensor([1, 2, 0, 1, 2, 4, 3, 0, 0])
spmm_case('spmmCoo', 'unsorted 5×5 with duplicates, F 3', rows, cols, (5, 5), 3)

# ---------------------------------------------------------------------------------------------
# SDDMM
# ---------------------------------------------------------------------------------------------

for name, (r, c), density, f in [
    ('7×9, F 5', (7, 9), 0.3, 5),
    ('5×5, F 1', (5, 5), 0.5, 1),
]:
    rows, cols = canonical(r, c, density)
    a = rnd(r, f)
    b = rnd(c, f)
    crow = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(torch.bincount(rows, minlength=r), 0)])
    pattern = torch.sparse_csr_tensor(crow, cols, torch.zeros(len(rows), dtype=D), (r, c))
    sampled = torch.sparse.sampled_addmm(pattern, a, b.t(), beta=0.0).values()
    ag = a.clone().requires_grad_(True)
    bg = b.clone().requires_grad_(True)
    out = (ag[rows] * bg[cols]).sum(-1)
    assert torch.allclose(out.detach(), sampled, rtol=1e-12, atol=1e-12)
    cot = rnd(len(rows), scale=1.0)
    da, db = grads_of(out, [ag, bg], cot)
    cases.append({'op': 'sddmm', 'name': name, 'rows': L(rows), 'cols': L(cols), 'a': arr(a), 'b': arr(b),
                  'out': L(sampled), 'cot': L(cot), 'gradA': arr(da), 'gradB': arr(db)})

# ---------------------------------------------------------------------------------------------
# Segment softmax (attention over each node's incoming edges)
# ---------------------------------------------------------------------------------------------

for name, n, e, heads in [('8 nodes 24 edges, 2 heads', 8, 24, 2), ('5 nodes 7 edges, 1 head', 5, 7, 1)]:
    dst = torch.sort(destinations(n, e)).values
    counts = torch.bincount(dst, minlength=n)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
    scores = rnd(e, heads, scale=2.0)
    s = scores.clone().requires_grad_(True)
    parts = [torch.softmax(s[offsets[i]:offsets[i + 1]], dim=0) for i in range(n)]
    out = torch.cat(parts)
    cot = rnd(e, heads, scale=1.0)
    (g,) = grads_of(out, [s], cot)
    cases.append({'op': 'segmentSoftmax', 'name': name, 'scores': arr(scores), 'offsets': L(offsets),
                  'out': arr(out), 'cot': arr(cot), 'grad': arr(g)})

path = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core-tests', 'fixtures', 'sparse.json')
with open(path, 'w') as fh:
    json.dump({'generator': 'tools/gen_sparse_fixtures.py', 'torch': torch.__version__, 'cases': cases}, fh)
print(f'wrote {len(cases)} cases to {os.path.normpath(path)}')
