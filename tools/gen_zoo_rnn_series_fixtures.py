#!/usr/bin/env python3
"""Golden numbers for @myelin/zoo-rnn's seq2seq and time-series code, from PyTorch 1.13 and numpy.

Writes packages/zoo-rnn/fixtures/series.json. Run with the system Python that has torch:

    /usr/bin/python3 tools/gen_zoo_rnn_series_fixtures.py

The airline figures read statsmodels' `results_sarimax.py` from the data cache that
`loadSeries('airline')` fills (~/.cache/myelin/datasets/statsmodels, or $MYELIN_CACHE_DIR).

Everything here is written from the papers' equations, independently of the TypeScript:
- attention: Bahdanau et al. 2015 (additive), Luong et al. 2015 eq. 8 (dot, general, concat);
- MASE: Hyndman & Koehler 2006, with the seasonal-naive forecast as the benchmark;
- echo-state network: Lukosevicius 2012 eqs. 2-3 (leaky update), eq. 9 (ridge readout);
- Gaussian NLL: torch.nn.GaussianNLLLoss(full=True).
"""
import ast
import json
import os
import re
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'packages' / 'zoo-rnn' / 'fixtures' / 'series.json'


def arr(x):
    return np.asarray(x, dtype=np.float64).round(10).tolist()


def attention_cases(rng):
    B, S, Q, K, A = 2, 3, 4, 4, 5
    q = rng.standard_normal((B, Q))
    keys = rng.standard_normal((B, S, K))
    mask = np.array([[False, False, False], [False, False, True]])  # True = padding
    w = {
        'query.weight': rng.standard_normal((A, Q)) * 0.5,
        'key.weight': rng.standard_normal((A, K)) * 0.5,
        'key.bias': rng.standard_normal(A) * 0.5,
        'v.weight': rng.standard_normal((1, A)) * 0.5,
        'Wa_general.weight': rng.standard_normal((Q, K)) * 0.5,  # Linear(K -> Q)
        'Wa_concat.weight': rng.standard_normal((A, Q + K)) * 0.5,
        'v_concat.weight': rng.standard_normal((1, A)) * 0.5,
    }
    tq, tk = torch.tensor(q), torch.tensor(keys)
    t = {k: torch.tensor(v) for k, v in w.items()}
    scores = {
        # v^T tanh(W_q q + W_k k + b)
        'bahdanau': (torch.tanh((tq @ t['query.weight'].T)[:, None, :] + tk @ t['key.weight'].T + t['key.bias'])
                     @ t['v.weight'].T)[..., 0],
        'dot': torch.einsum('bq,bsq->bs', tq, tk),
        'general': torch.einsum('bq,bsq->bs', tq, tk @ t['Wa_general.weight'].T),
        'concat': (torch.tanh(torch.cat([tq[:, None, :].expand(B, S, Q), tk], -1) @ t['Wa_concat.weight'].T)
                   @ t['v_concat.weight'].T)[..., 0],
    }
    out = {}
    for name, s in scores.items():
        s = s.masked_fill(torch.tensor(mask), float('-inf'))
        a = torch.softmax(s, -1)
        ctx = torch.einsum('bs,bsk->bk', a, tk)
        out[name] = {'weights': arr(a.numpy()), 'context': arr(ctx.numpy())}
    return {
        'query': arr(q), 'keys': arr(keys), 'mask': mask.tolist(),
        'params': {k: arr(v) for k, v in w.items()}, 'expected': out,
    }


def airline_values():
    cache = Path(os.environ.get('MYELIN_CACHE_DIR') or Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'myelin')
    text = (cache / 'datasets' / 'statsmodels' / 'results_sarimax.py').read_text()
    m = re.search(r'^air2_data\s*=\s*(\[[^\]]*\])', text, re.M)
    y = ast.literal_eval(m.group(1))
    assert len(y) == 144 and y[0] == 112 and y[-1] == 432
    return np.array(y, dtype=np.float64)


def mase_cases(rng):
    y = airline_values()
    h, m = 24, 12
    train, test = y[:-h], y[-h:]
    # Seasonal naive: the last observed season repeated.
    naive = np.array([train[len(train) - m + (k % m)] for k in range(h)])
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    small = rng.standard_normal(10).cumsum()
    fc = small[6:] + rng.standard_normal(4) * 0.3
    return {
        'airline': {
            'horizon': h, 'period': m,
            'seasonalNaive': arr(naive),
            'seasonalNaiveMase': float(np.mean(np.abs(test - naive)) / scale),
            'seasonalNaiveRmse': float(np.sqrt(np.mean((test - naive) ** 2))),
            'inSampleScale': float(scale),
        },
        'small': {
            'insample': arr(small[:6]), 'actual': arr(small[6:]), 'forecast': arr(fc),
            'mase1': float(np.mean(np.abs(small[6:] - fc)) / np.mean(np.abs(np.diff(small[:6])))),
            'mase2': float(np.mean(np.abs(small[6:] - fc)) / np.mean(np.abs(small[2:6] - small[:4]))),
        },
    }


def esn_cases(rng):
    N, T, a = 5, 8, 0.7
    win = rng.uniform(-1, 1, (N, 2))
    W = rng.uniform(-0.5, 0.5, (N, N))
    u = rng.standard_normal(T)
    x = np.zeros(N)
    states = []
    for t in range(T):
        xt = np.tanh(win @ np.array([1.0, u[t]]) + W @ x)
        x = (1 - a) * x + a * xt
        states.append(x.copy())
    # Spectral radius: a random matrix, and one whose dominant eigenvalues are a complex pair.
    M = rng.standard_normal((30, 30)) / np.sqrt(30)
    R = np.diag(np.linspace(0.1, 0.5, 6))
    R[:2, :2] = [[0.6, -0.8], [0.8, 0.6]]  # eigenvalues 0.6 +- 0.8i, |lambda| = 1
    P = rng.standard_normal((6, 6))
    C = P @ R @ np.linalg.inv(P)
    # Ridge: W = (Z^T Z + beta I)^-1 Z^T Y.
    Z = rng.standard_normal((20, 4))
    Y = rng.standard_normal((20, 2))
    beta = 0.5
    Wr = np.linalg.solve(Z.T @ Z + beta * np.eye(4), Z.T @ Y)
    return {
        'reservoir': {'win': arr(win.ravel()), 'w': arr(W.ravel()), 'leak': a, 'inputs': arr(u), 'states': arr(np.array(states).ravel())},
        'spectral': [
            {'n': 30, 'matrix': arr(M.ravel()), 'radius': float(np.max(np.abs(np.linalg.eigvals(M))))},
            {'n': 6, 'matrix': arr(C.ravel()), 'radius': float(np.max(np.abs(np.linalg.eigvals(C))))},
        ],
        'ridge': {'z': arr(Z.ravel()), 'y': arr(Y.ravel()), 'beta': beta, 'w': arr(Wr.ravel())},
    }


def gaussian_nll_case(rng):
    mu = rng.standard_normal((3, 4))
    sigma = rng.uniform(0.3, 2.0, (3, 4))
    y = rng.standard_normal((3, 4))
    loss = torch.nn.GaussianNLLLoss(full=True, reduction='mean')(torch.tensor(mu), torch.tensor(y), torch.tensor(sigma ** 2))
    return {'mu': arr(mu), 'sigma': arr(sigma), 'target': arr(y), 'nll': float(loss)}


def quantile_case(rng):
    x = rng.standard_normal(17)
    return {'sample': arr(x), 'q': [0.1, 0.5, 0.9], 'expected': [float(np.quantile(x, q)) for q in (0.1, 0.5, 0.9)]}


def main():
    rng = np.random.default_rng(20261206)
    data = {
        'generator': 'tools/gen_zoo_rnn_series_fixtures.py (numpy %s, torch %s)' % (np.__version__, torch.__version__),
        'attention': attention_cases(rng),
        'mase': mase_cases(rng),
        'esn': esn_cases(rng),
        'gaussianNll': gaussian_nll_case(rng),
        'quantile': quantile_case(rng),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + '\n')
    print('wrote', OUT)


if __name__ == '__main__':
    main()
