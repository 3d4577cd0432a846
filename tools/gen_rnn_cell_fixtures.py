"""Golden values for core's fused recurrent cells (packages/core-tests/test/rnn-cells.test.ts).

Run with /usr/bin/python3 (PyTorch 1.13). Two kinds of case, all in float64:

- `lstmCell` / `gruCell`: the pointwise half of a step on random pre-activations. LSTM: computed by
  torch.nn.LSTMCell itself with W_ih = I, W_hh = 0, h = 0 (its pre-activations are exactly the
  gates we store). GRU: torch.nn.GRUCell's documented equations, checked against GRUCell on a real
  step first (GRUCell cannot take per-row h·W_hhᵀ + b_hh apart from its h). Gradients of
  Σ⟨out, cot⟩ by torch.autograd.
- `LSTMCell` / `GRUCell`: a whole step of torch.nn.LSTMCell / GRUCell with random weights and
  biases: outputs and the gradients of every input and parameter.

Edge shapes: batch 1, hidden 1, an empty batch (N = 0).
Output: packages/core-tests/fixtures/rnn-cells.json
"""
import json
import os

import torch

torch.manual_seed(20261206)
D = torch.float64


def rnd(*shape, scale=1.5):
    return torch.randn(tuple(shape), dtype=D) * scale


def L(t):
    return t.detach().reshape(-1).tolist()


def arr(t):
    return {'shape': list(t.shape), 'data': L(t)}


def grads_of(outs, ins, cots):
    loss = sum((o * w).sum() for o, w in zip(outs, cots))
    gs = torch.autograd.grad(loss, ins, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(ins, gs)]


def identity_lstm(h):
    """An LSTMCell whose pre-activations are its input: W_ih = I (4H × 4H), W_hh = 0, no bias."""
    cell = torch.nn.LSTMCell(4 * h, h, bias=False).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.eye(4 * h, dtype=D))
        cell.weight_hh.zero_()
    return cell


cases = []


def pointwise_lstm(n, h, desc):
    gates = rnd(n, 4 * h).requires_grad_(True)
    c = rnd(n, h).requires_grad_(True)
    cell = identity_lstm(h)
    h1, c1 = cell(gates, (torch.zeros(n, h, dtype=D), c))
    cots = [rnd(n, h, scale=1.0), rnd(n, h, scale=1.0)]
    g_gates, g_c = grads_of([h1, c1], [gates, c], cots)
    cases.append({'op': 'lstmCell', 'name': f'lstmCell/{desc}', 'inputs': [arr(gates), arr(c)],
                  'outputs': [arr(h1), arr(c1)], 'cotangents': [arr(t) for t in cots],
                  'grads': [arr(g_gates), arr(g_c)]})


def gru_formula(gx, gh, hp, h):
    """torch.nn.GRUCell's documented equations on given pre-activations."""
    r = torch.sigmoid(gx[:, :h] + gh[:, :h])
    z = torch.sigmoid(gx[:, h:2 * h] + gh[:, h:2 * h])
    n = torch.tanh(gx[:, 2 * h:] + r * gh[:, 2 * h:])
    return (1 - z) * n + z * hp


def pointwise_gru(n, h, desc):
    # torch.nn.GRUCell cannot take arbitrary per-row gh (it computes h·W_hhᵀ + b_hh from the same h
    # that enters z·h), so the pointwise case uses its documented equations in float64 — after
    # checking them against torch.nn.GRUCell itself on a random step of the same shape.
    gx = rnd(n, 3 * h).requires_grad_(True)
    gh = rnd(n, 3 * h).requires_grad_(True)
    hp = rnd(n, h, scale=1.0).requires_grad_(True)
    x = rnd(n, 5)
    cell = torch.nn.GRUCell(5, h).double()
    with torch.no_grad():
        gx2 = x @ cell.weight_ih.T + cell.bias_ih
        gh2 = hp @ cell.weight_hh.T + cell.bias_hh
        assert torch.allclose(cell(x, hp), gru_formula(gx2, gh2, hp, h), atol=1e-12)
    h1 = gru_formula(gx, gh, hp, h)
    cots = [rnd(n, h, scale=1.0)]
    g = grads_of([h1], [gx, gh, hp], cots)
    cases.append({'op': 'gruCell', 'name': f'gruCell/{desc}', 'inputs': [arr(gx), arr(gh), arr(hp)],
                  'outputs': [arr(h1)], 'cotangents': [arr(t) for t in cots],
                  'grads': [arr(t) for t in g]})


def module_case(kind, n, i, h, desc, bias=True):
    cls = torch.nn.LSTMCell if kind == 'LSTMCell' else torch.nn.GRUCell
    cell = cls(i, h, bias=bias).double()
    params = [cell.weight_ih, cell.weight_hh] + ([cell.bias_ih, cell.bias_hh] if bias else [])
    with torch.no_grad():
        for p in params:
            p.copy_(rnd(*p.shape, scale=0.6))
    x = rnd(n, i, scale=1.0).requires_grad_(True)
    h0 = rnd(n, h, scale=1.0).requires_grad_(True)
    if kind == 'LSTMCell':
        c0 = rnd(n, h, scale=1.0).requires_grad_(True)
        outs = list(cell(x, (h0, c0)))
        ins = [x, h0, c0]
    else:
        outs = [cell(x, h0)]
        ins = [x, h0]
    cots = [rnd(*o.shape, scale=1.0) for o in outs]
    g = grads_of(outs, ins + params, cots)
    cases.append({'op': kind, 'name': f'{kind}/{desc}', 'bias': bias,
                  'inputs': [arr(t) for t in ins], 'params': [arr(p) for p in params],
                  'outputs': [arr(o) for o in outs], 'cotangents': [arr(t) for t in cots],
                  'grads': [arr(t) for t in g]})


SHAPES = [(1, 1, 'batch 1, hidden 1'), (3, 4, 'batch 3, hidden 4'), (1, 6, 'batch 1, hidden 6'),
          (4, 1, 'batch 4, hidden 1'), (0, 3, 'empty batch (N = 0), hidden 3')]
for n, h, desc in SHAPES:
    pointwise_lstm(n, h, desc)
    pointwise_gru(n, h, desc)
for kind in ('LSTMCell', 'GRUCell'):
    module_case(kind, 2, 3, 4, 'batch 2, input 3, hidden 4')
    module_case(kind, 1, 1, 1, 'batch 1, input 1, hidden 1')
    module_case(kind, 3, 2, 5, 'no bias, batch 3, input 2, hidden 5', bias=False)
    module_case(kind, 0, 2, 3, 'empty batch, input 2, hidden 3')

out = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core-tests', 'fixtures', 'rnn-cells.json')
with open(out, 'w') as f:
    json.dump({'generator': 'tools/gen_rnn_cell_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')
