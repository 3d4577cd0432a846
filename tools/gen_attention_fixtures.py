"""Golden values for core's scaledDotProductAttention (packages/core-tests/test/attention.test.ts).

Run with /usr/bin/python3 (PyTorch 1.13). PyTorch 1.13 has no F.scaled_dot_product_attention, so
each case builds it from the formula of PyTorch 2's documentation, in float64:

    bias = 0 (L, S); causal: bias[j > i] = -inf (top-left, torch.ones(L, S).tril());
    bool mask: bias = -inf where the mask is False; float mask: bias += mask
    out = softmax(q @ k^T * scale + bias, -1) @ v        (scale default 1/sqrt(D))

with torch's broadcasting of the leading dims and of the mask. Recorded: the output, the gradients
of sum(out * cot) with respect to q, k, v (torch.autograd), and for some cases the gradient of a
gradient: d/d(q, k, v) of sum(dq * w) where dq is the first gradient (create_graph=True).

Shapes cover L = 1, S = 1, L != S, D != Dv, causal with L < S and L > S, heads broadcast, every
mask form, and a case longer than the wasm kernel's key block (64) so its online softmax rescales.
Output: packages/core-tests/fixtures/attention.json
"""
import json
import math
import os

import torch

torch.manual_seed(20261206)
F64 = torch.float64


def rnd(*shape, scale=1.0):
    # rounded to float32 first, so the float32 tensors of the test hold exactly these inputs
    return (torch.randn(tuple(shape), dtype=F64) * scale).float().double()


def arr(t, digits=10):
    if t.dtype == torch.bool:
        return {'shape': list(t.shape), 'dtype': 'bool', 'data': [bool(x) for x in t.reshape(-1).tolist()]}
    # 9 significant digits give a float32 back exactly; 10 keep the float64 results well inside
    # the tests' tolerance (2e-5) and the file small
    data = [float(f'{x:.{digits}g}') for x in t.detach().reshape(-1).tolist()]
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': data}


def sdpa(q, k, v, mask=None, causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    bias = torch.zeros(L, S, dtype=F64)
    if causal:
        bias = bias.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))
    if mask is not None:
        if mask.dtype == torch.bool:
            bias = bias.masked_fill(~mask, float('-inf'))
        else:
            bias = bias + mask
    return torch.softmax(q @ k.transpose(-2, -1) * scale + bias, dim=-1) @ v


cases = []


def case(name, qs, ks, vs, mask=None, causal=False, scale=None, second=False, qscale=1.0):
    q = rnd(*qs, scale=qscale).requires_grad_(True)
    k = rnd(*ks).requires_grad_(True)
    v = rnd(*vs).requires_grad_(True)
    out = sdpa(q, k, v, mask, causal, scale)
    assert not torch.isnan(out).any(), name
    cot = rnd(*out.shape)
    grads = torch.autograd.grad((out * cot).sum(), (q, k, v), create_graph=second)
    c = {
        'name': name,
        'inputs': [arr(q), arr(k), arr(v)] + ([arr(mask)] if mask is not None else []),
        'causal': causal,
        'output': arr(out),
        'cotangent': arr(cot),
        'grads': [arr(g) for g in grads],
    }
    if scale is not None:
        c['scale'] = scale
    if second:
        # gradient of a gradient: w·dq summed, differentiated again with respect to q, k, v
        w = rnd(*q.shape)
        gg = torch.autograd.grad((grads[0] * w).sum(), (q, k, v))
        c['second'] = {'weight': arr(w), 'grads': [arr(g) for g in gg]}
    cases.append(c)


case('batch 1, L 1, S 1', (1, 1, 1), (1, 1, 1), (1, 1, 1))
case('L 3, S 5, D 4, Dv 2', (2, 3, 4), (2, 5, 4), (2, 5, 2), second=True)
case('L 5, S 1', (2, 5, 3), (2, 1, 3), (2, 1, 4))
case('L 1, S 6 (one decoding step)', (3, 1, 8), (3, 6, 8), (3, 6, 8))
case('batch 2, 3 heads, no batch dims on the mask', (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3))
case('causal, L 3 < S 5', (2, 3, 4), (2, 5, 4), (2, 5, 3), causal=True, second=True)
case('causal, L 5 > S 3', (2, 5, 4), (2, 3, 4), (2, 3, 3), causal=True)
case('scale 0.3', (2, 4, 3), (2, 4, 3), (2, 4, 3), scale=0.3)
case('k and v shared by the heads (broadcast)', (2, 3, 4, 5), (2, 1, 4, 5), (2, 1, 4, 2))
case('bool mask (S) per key', (2, 3, 4), (2, 5, 4), (2, 5, 3), mask=torch.tensor([True, False, True, True, False]))
case(
    'bool mask (B, 1, L, S) per batch entry',
    (2, 2, 3, 4),
    (2, 2, 5, 4),
    (2, 2, 5, 3),
    mask=(torch.rand(2, 1, 3, 5) > 0.4) | (torch.arange(5) == 0),
)
case('float mask (L, S)', (2, 3, 4), (2, 4, 4), (2, 4, 2), mask=rnd(3, 4), second=True)
case('float mask (1, H, 1, S) per head', (2, 3, 4, 4), (2, 3, 5, 4), (2, 3, 5, 2), mask=rnd(1, 3, 1, 5))
case(
    'bool mask with causal',
    (2, 4, 3),
    (2, 4, 3),
    (2, 4, 3),
    mask=torch.tensor([[True, True, False, True]] * 4),
    causal=True,
)
# Longer than one key block of the wasm kernel (64): the running max and sum rescale across blocks.
case('B·H 1·2, L 70, S 140, D 8, causal', (1, 2, 70, 8), (1, 2, 140, 8), (1, 2, 140, 4), causal=True, qscale=2.0)
case('L 20, S 130, D 9, float mask (L, S)', (1, 20, 9), (1, 130, 9), (1, 130, 5), mask=rnd(20, 130, scale=2.0), qscale=2.0)

out = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core-tests', 'fixtures', 'attention.json')
with open(out, 'w') as fh:
    json.dump({'generator': 'tools/gen_attention_fixtures.py', 'torch': torch.__version__, 'cases': cases}, fh)
print(f'{len(cases)} cases -> {os.path.normpath(out)} ({os.path.getsize(out) // 1024} KiB)')
