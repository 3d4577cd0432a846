#!/usr/bin/env python3
"""Golden numbers for @myelin/zoo-gnn's graph layers, from plain PyTorch 1.13 with DENSE adjacency maths.

Writes packages/zoo-gnn/fixtures/layers.json. Run with the system Python that has torch:

    /usr/bin/python3 tools/gen_gnn_fixtures.py

Nothing here uses sparse ops, segment reductions or PyTorch Geometric (not installed): every layer
is written from its paper's equations (as PyG implements them) with an (N, N) adjacency matrix
A[dst, src], so the fixtures are independent of the TypeScript's edge-list path.
- GCN: Kipf & Welling 2017 eq. 2, D~^-1/2 (A + I) D~^-1/2 (PyG gcn_norm: in-degrees, weighted);
  Aggarwal 2023 eq. 10.5, I + D^-1/2 A D^-1/2.
- GraphSAGE: Hamilton et al. 2017 (mean; max-pool = max_j relu(W_pool x_j + b); LSTM over neighbours).
- GAT: Velickovic et al. 2018 eqs. 1-6 (PyG: self-loops replaced, heads concatenated or averaged).
- GIN: Xu et al. 2019 eq. 4.1. R-GCN: Schlichtkrull et al. 2018 eqs. 2-3 (basis decomposition,
  per-relation mean). Gated GNN: Li et al. 2016 (PyG GatedGraphConv: m = A (h W_l), GRUCell).
- Pooling: global sum/mean/max; TopKPooling (Gao & Ji 2019 gPool, PyG TopKPooling);
  dense DiffPool (Ying et al. 2018; PyG dense_diff_pool's link and entropy losses) and
  DenseGCNConv (PyG's dense GCN layer).

Each case stores the parameters by their PyG names, the output, and the gradients of
loss = sum(out * R) (R a fixed random matrix) with respect to the input features and parameters.
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'packages' / 'zoo-gnn' / 'fixtures' / 'layers.json'

torch.manual_seed(0)
DT = torch.float64


def flat(t):
    return [round(float(v), 10) for v in t.detach().reshape(-1).tolist()]


# A small directed graph: 7 nodes, no duplicate edges, no self-loops; node 6 has no incoming edge
# (only outgoing), node 5 has exactly one, node 0 has three.
N = 7
EDGES = [(1, 0), (2, 0), (3, 0), (0, 1), (2, 1), (0, 2), (4, 3), (1, 3), (3, 4), (5, 4), (6, 4), (4, 5), (6, 2)]
SRC = [s for s, _ in EDGES]
DST = [d for _, d in EDGES]
E = len(EDGES)
WEIGHT = [round(0.5 + 0.1 * k, 2) for k in range(E)]
ETYPE = [k % 3 for k in range(E)]
FIN = 4
X = torch.randn(N, FIN, dtype=DT)


def dense(weights=None, n=N):
    a = torch.zeros(n, n, dtype=DT)
    for k, (s, d) in enumerate(EDGES):
        a[d, s] += 1.0 if weights is None else weights[k]
    return a


def case(params, fn, out_rows, out_cols, extra=None):
    """Run fn(x, params) -> out; return the out, grads of sum(out * R) w.r.t. x and params."""
    x = X.clone().requires_grad_(True)
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    out = fn(x, ps)
    r = torch.randn(out_rows, out_cols, dtype=DT)
    (out * r).sum().backward()
    res = {
        'params': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in params.items()},
        'out': {'shape': list(out.shape), 'data': flat(out)},
        'R': flat(r),
        'gradX': flat(x.grad),
        'grads': {k: flat(v.grad) for k, v in ps.items()},
    }
    if extra:
        res.update(extra)
    return res


def rnd(*shape, scale=0.5):
    return torch.randn(*shape, dtype=DT) * scale


# ---------------------------------------------------------------------------------------------
# GCN
# ---------------------------------------------------------------------------------------------

def gcn_matrix(mode, self_loops, weighted):
    a = dense(WEIGHT if weighted else None)
    if mode == 'textbook':
        deg = a.sum(1)
        dis = torch.where(deg > 0, deg.pow(-0.5), torch.zeros_like(deg))
        return torch.eye(N, dtype=DT) + dis[:, None] * a * dis[None, :]
    if self_loops:
        a = a + torch.eye(N, dtype=DT)
    if mode == 'sym':
        deg = a.sum(1)  # in-degree at the destination, as PyG's gcn_norm
        dis = torch.where(deg > 0, deg.pow(-0.5), torch.zeros_like(deg))
        a = dis[:, None] * a * dis[None, :]
    return a


def gcn_case(mode, self_loops, weighted):
    fout = 3
    p = {'lin.weight': rnd(fout, FIN), 'bias': rnd(fout)}
    ahat = gcn_matrix(mode, self_loops, weighted)
    return case(p, lambda x, q: ahat @ (x @ q['lin.weight'].T) + q['bias'], N, fout)


# ---------------------------------------------------------------------------------------------
# GraphSAGE
# ---------------------------------------------------------------------------------------------

def neighbour_mask():
    return dense() > 0


def sage_case(aggr, normalize):
    fout = 3
    p = {'lin_l.weight': rnd(fout, FIN), 'lin_l.bias': rnd(fout), 'lin_r.weight': rnd(fout, FIN)}
    if aggr == 'max':
        p = {'lin.weight': rnd(FIN, FIN), 'lin.bias': rnd(FIN), **p}
    mask = neighbour_mask()

    def fn(x, q):
        if aggr == 'mean':
            a = dense()
            deg = a.sum(1, keepdim=True).clamp(min=1)
            agg = (a / deg) @ x
        else:
            h = F.relu(x @ q['lin.weight'].T + q['lin.bias'])
            big = torch.where(mask[:, :, None], h[None, :, :], torch.full_like(h[None, :, :].expand(N, N, FIN), -1e30))
            agg = big.max(1).values
            agg = torch.where(mask.any(1)[:, None], agg, torch.zeros_like(agg))
        out = agg @ q['lin_l.weight'].T + q['lin_l.bias'] + x @ q['lin_r.weight'].T
        if normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    return case(p, fn, N, fout)


def sage_lstm_case():
    """LSTM aggregator: each node's neighbours in both orders where it has two (node 1: 0 then 2, or
    2 then 0), so a test can accept either draw of the random order; nodes with 1 or 0 neighbours
    have one answer."""
    fout = 3
    lstm = torch.nn.LSTM(FIN, FIN, batch_first=True).double()
    p = {
        'aggr_module.lstm.weight_ih_l0': lstm.weight_ih_l0.detach().clone(),
        'aggr_module.lstm.weight_hh_l0': lstm.weight_hh_l0.detach().clone(),
        'aggr_module.lstm.bias_ih_l0': lstm.bias_ih_l0.detach().clone(),
        'aggr_module.lstm.bias_hh_l0': lstm.bias_hh_l0.detach().clone(),
        'lin_l.weight': rnd(fout, FIN),
        'lin_l.bias': rnd(fout),
        'lin_r.weight': rnd(fout, FIN),
    }
    orders = {}
    with torch.no_grad():
        for i in range(N):
            nb = [s for s, d in EDGES if d == i]
            outs = []
            import itertools

            for perm in itertools.permutations(nb):
                if not perm:
                    agg = torch.zeros(FIN, dtype=DT)
                else:
                    seq = X[list(perm)][None]
                    agg = lstm(seq)[0][0, -1]
                out = agg @ p['lin_l.weight'].T + p['lin_l.bias'] + X[i] @ p['lin_r.weight'].T
                outs.append({'order': list(perm), 'out': flat(out)})
            orders[str(i)] = outs
    return {
        'params': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in p.items()},
        'perNode': orders,
    }


# ---------------------------------------------------------------------------------------------
# GAT
# ---------------------------------------------------------------------------------------------

def gat_case(heads, concat, self_loops):
    c = 3
    p = {
        'lin.weight': rnd(heads * c, FIN),
        'att_src': rnd(1, heads, c),
        'att_dst': rnd(1, heads, c),
        'bias': rnd(heads * c if concat else c),
    }
    mask = neighbour_mask()
    if self_loops:
        mask = mask | torch.eye(N, dtype=torch.bool)

    def fn(x, q):
        h = (x @ q['lin.weight'].T).view(N, heads, c)
        a_s = (h * q['att_src']).sum(-1)  # (N, H)
        a_d = (h * q['att_dst']).sum(-1)
        e = F.leaky_relu(a_d[:, None, :] + a_s[None, :, :], 0.2)  # (i, j, H)
        e = e.masked_fill(~mask[:, :, None], float('-inf'))
        alpha = torch.softmax(e, dim=1)
        alpha = torch.nan_to_num(alpha, nan=0.0)  # a row with no in-edge: nothing to attend to
        out = torch.einsum('ijh,jhc->ihc', alpha, h)
        out = out.reshape(N, heads * c) if concat else out.mean(1)
        return out + q['bias']

    return case(p, fn, N, heads * c if concat else c)


# ---------------------------------------------------------------------------------------------
# GIN, R-GCN, gated GNN
# ---------------------------------------------------------------------------------------------

def gin_case(eps):
    hid = 5
    p = {'nn.0.weight': rnd(hid, FIN), 'nn.0.bias': rnd(hid), 'nn.2.weight': rnd(3, hid), 'nn.2.bias': rnd(3), 'eps': torch.tensor([eps], dtype=DT)}
    a = dense()

    def fn(x, q):
        h = (1 + q['eps']) * x + a @ x
        return F.relu(h @ q['nn.0.weight'].T + q['nn.0.bias']) @ q['nn.2.weight'].T + q['nn.2.bias']

    return case(p, fn, N, 3)


def rgcn_case(num_bases):
    R, fout = 3, 3
    if num_bases:
        p = {'weight': rnd(num_bases, FIN, fout), 'comp': rnd(R, num_bases), 'root': rnd(FIN, fout), 'bias': rnd(fout)}
    else:
        p = {'weight': rnd(R, FIN, fout), 'root': rnd(FIN, fout), 'bias': rnd(fout)}

    def fn(x, q):
        w = (q['comp'] @ q['weight'].view(num_bases, -1)).view(R, FIN, fout) if num_bases else q['weight']
        out = x @ q['root'] + q['bias']
        for r in range(R):
            a = torch.zeros(N, N, dtype=DT)
            for k, (s, d) in enumerate(EDGES):
                if ETYPE[k] == r:
                    a[d, s] += 1
            deg = a.sum(1, keepdim=True).clamp(min=1)
            out = out + (a / deg) @ x @ w[r]
        return out

    return case(p, fn, N, fout)


def gated_case(layers):
    c = 6  # > FIN: the input is zero-padded to c columns
    cell = torch.nn.GRUCell(c, c).double()
    p = {
        'weight': rnd(layers, c, c),
        'rnn.weight_ih': cell.weight_ih.detach().clone(),
        'rnn.weight_hh': cell.weight_hh.detach().clone(),
        'rnn.bias_ih': cell.bias_ih.detach().clone(),
        'rnn.bias_hh': cell.bias_hh.detach().clone(),
    }
    a = dense()

    def fn(x, q):
        h = torch.cat([x, torch.zeros(N, c - FIN, dtype=DT)], 1)
        for i in range(layers):
            m = a @ (h @ q['weight'][i])
            h = torch._VF.gru_cell(m, h, q['rnn.weight_ih'], q['rnn.weight_hh'], q['rnn.bias_ih'], q['rnn.bias_hh'])
        return h

    return case(p, fn, N, c)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

BATCH = [0, 0, 0, 1, 1, 2, 2]  # three graphs (sorted batch vector)


def global_pool_cases():
    out = {}
    for name in ('sum', 'mean', 'max'):
        def fn(x, q, name=name):
            rows = []
            for g in range(3):
                xs = x[[i for i, b in enumerate(BATCH) if b == g]]
                rows.append(xs.sum(0) if name == 'sum' else xs.mean(0) if name == 'mean' else xs.max(0).values)
            return torch.stack(rows)

        out[name] = case({}, fn, 3, FIN)
    return out


def topk_case(ratio):
    """gPool on the batched graph: score = x.w/|w|, top ceil(ratio*n_g) per graph, x' = x[idx]*tanh(score)."""
    p = {'weight': rnd(1, FIN)}
    w0 = p['weight'].reshape(-1)
    with torch.no_grad():
        score0 = (X * w0).sum(-1) / w0.norm()
    keep = []
    for g in range(3):
        nodes = [i for i, b in enumerate(BATCH) if b == g]
        k = -(-int(ratio * 1000) * len(nodes) // 1000)  # ceil(ratio * n) for ratio with 3 decimals
        order = sorted(nodes, key=lambda i: -float(score0[i]))
        keep += order[:k]

    def fn(x, q):
        w = q['weight'].reshape(-1)
        score = (x * w).sum(-1) / w.norm()
        return x[keep] * torch.tanh(score[keep])[:, None]

    kept = set(keep)
    new_id = {old: i for i, old in enumerate(keep)}
    edges = [(new_id[s], new_id[d]) for s, d in EDGES if s in kept and d in kept]
    return case(p, fn, len(keep), FIN, {'perm': keep, 'batch': [BATCH[i] for i in keep], 'edges': edges})


def diffpool_case():
    """Dense DiffPool on two graphs padded to 4 nodes (the second has 3 real nodes)."""
    B, n, f, k = 2, 4, 3, 2
    x = torch.randn(B, n, f, dtype=DT)
    adj = (torch.rand(B, n, n, dtype=DT) > 0.5).to(DT)
    adj = ((adj + adj.transpose(1, 2)) > 0).to(DT)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    s_logits = torch.randn(B, n, k, dtype=DT)
    xr = x.clone().requires_grad_(True)
    sr = s_logits.clone().requires_grad_(True)
    m = mask[:, :, None].to(DT)
    s = torch.softmax(sr, -1) * m
    xm = xr * m
    out = s.transpose(1, 2) @ xm
    out_adj = s.transpose(1, 2) @ adj @ s
    link = torch.norm(adj - s @ s.transpose(1, 2), p=2) / adj.numel()
    ent = (-s * torch.log(s + 1e-15)).sum(-1).mean()
    r1 = torch.randn(*out.shape, dtype=DT)
    r2 = torch.randn(*out_adj.shape, dtype=DT)
    (((out * r1).sum() + (out_adj * r2).sum()) + 3 * link + 5 * ent).backward()
    return {
        'x': flat(x), 'adj': flat(adj), 's': flat(s_logits), 'mask': [int(v) for v in mask.reshape(-1)],
        'shape': [B, n, f, k],
        'out': flat(out), 'outAdj': flat(out_adj), 'link': float(link), 'entropy': float(ent),
        'R1': flat(r1), 'R2': flat(r2), 'gradX': flat(xr.grad), 'gradS': flat(sr.grad),
    }


def dense_gcn_case():
    """PyG DenseGCNConv: adj diagonal set to 1, D^-1/2 A D^-1/2 (degrees clamped at 1), X W + b, masked."""
    B, n, f, o = 2, 4, 3, 2
    x = torch.randn(B, n, f, dtype=DT)
    adj = (torch.rand(B, n, n, dtype=DT) > 0.4).to(DT)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=DT)
    w = rnd(f, o)
    b = rnd(o)
    xr, wr, br = x.clone().requires_grad_(True), w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    a = adj.clone()
    idx = torch.arange(n)
    a[:, idx, idx] = 1
    dis = a.sum(-1).clamp(min=1).pow(-0.5)
    out = (dis[:, :, None] * a * dis[:, None, :]) @ (xr @ wr) + br
    out = out * mask[:, :, None]
    r = torch.randn(*out.shape, dtype=DT)
    (out * r).sum().backward()
    return {
        'x': flat(x), 'adj': flat(adj), 'mask': flat(mask), 'shape': [B, n, f, o],
        'params': {'weight': {'shape': [f, o], 'data': flat(w)}, 'bias': {'shape': [o], 'data': flat(b)}},
        'out': flat(out), 'R': flat(r), 'gradX': flat(xr.grad), 'grads': {'weight': flat(wr.grad), 'bias': flat(br.grad)},
    }


def main():
    fx = {
        'graph': {'numNodes': N, 'src': SRC, 'dst': DST, 'edgeWeight': WEIGHT, 'edgeType': ETYPE, 'batch': BATCH},
        'x': {'shape': [N, FIN], 'data': flat(X)},
        'gcn': {
            'sym': gcn_case('sym', True, False),
            'symWeighted': gcn_case('sym', True, True),
            'symNoLoops': gcn_case('sym', False, False),
            'textbook': gcn_case('textbook', True, False),
            'none': gcn_case('none', False, False),
        },
        'sage': {
            'mean': sage_case('mean', False),
            'meanNormalize': sage_case('mean', True),
            'max': sage_case('max', False),
            'lstm': sage_lstm_case(),
        },
        'gat': {
            'concat': gat_case(2, True, True),
            'mean': gat_case(2, False, True),
            'noLoops': gat_case(1, True, False),
        },
        'gin': gin_case(0.25),
        'rgcn': {'full': rgcn_case(0), 'bases': rgcn_case(2)},
        'gated': gated_case(2),
        'pool': {**global_pool_cases(), 'topk': topk_case(0.5), 'diffpool': diffpool_case(), 'denseGcn': dense_gcn_case()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fx, separators=(',', ':')) + '\n')
    print(f'wrote {OUT} ({OUT.stat().st_size} bytes)')


if __name__ == '__main__':
    main()
