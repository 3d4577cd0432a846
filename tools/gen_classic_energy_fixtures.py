"""Golden numbers for @myelin/zoo-classic's energy-based models, by brute-force enumeration in numpy.

Writes packages/zoo-classic/fixtures/energy-rbm.json and energy-hopfield.json. Independent of the
TypeScript code: free energies are sums over every hidden configuration, the partition function a
sum over every (v, h) pair, and the exact log-likelihood gradient a model expectation over all of
them; Storkey's rule is the literal triple sum of Storkey (1997).

Run: /usr/bin/python3 tools/gen_classic_energy_fixtures.py
"""
import itertools
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'packages', 'zoo-classic', 'fixtures')
rng = np.random.default_rng(20261206)


def configs(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def energy(v, h, W, b, c, gaussian):
    vis = 0.5 * np.sum((v - b) ** 2) if gaussian else -b @ v
    return vis - c @ h - h @ W @ v


def rbm_case(V, H, gaussian, batch):
    W = rng.normal(0, 0.8, (H, V))
    b = rng.normal(0, 0.5, V)
    c = rng.normal(0, 0.5, H)
    hs = configs(H)
    if gaussian:
        data = rng.normal(0, 1, (batch, V))
    else:
        data = (rng.random((batch, V)) < 0.5).astype(float)
    # Free energy by summing over every hidden configuration.
    free = [float(-np.log(sum(np.exp(-energy(v, h, W, b, c, gaussian)) for h in hs))) for v in data]
    pairs = [(v, h) for v in data for h in hs[:2]]
    energies = [float(energy(v, h, W, b, c, gaussian)) for v, h in pairs]
    case = {
        'visible': 'gaussian' if gaussian else 'bernoulli',
        'weight': W.tolist(),
        'visibleBias': b.tolist(),
        'hiddenBias': c.tolist(),
        'data': data.tolist(),
        'freeEnergy': free,
        'energyPairs': {'v': [p[0].tolist() for p in pairs], 'h': [p[1].tolist() for p in pairs], 'energy': energies},
    }
    if not gaussian:
        vs = configs(V)
        # p(v, h) over every joint configuration; log Z and the model expectations.
        logw = np.array([[-energy(v, h, W, b, c, False) for h in hs] for v in vs])
        logZ = np.log(np.exp(logw).sum())
        p = np.exp(logw - logZ)
        model_hv = sum(p[i, j] * np.outer(hs[j], vs[i]) for i in range(len(vs)) for j in range(len(hs)))
        model_v = sum(p[i, j] * vs[i] for i in range(len(vs)) for j in range(len(hs)))
        model_h = sum(p[i, j] * hs[j] for i in range(len(vs)) for j in range(len(hs)))
        # Data expectations with p(h|v) computed by enumeration, not the sigmoid formula.
        def cond_h(v):
            w = np.array([np.exp(-energy(v, h, W, b, c, False)) for h in hs])
            w /= w.sum()
            return (w[:, None] * hs).sum(0)
        ph = np.array([cond_h(v) for v in data])
        data_hv = sum(np.outer(ph[n], data[n]) for n in range(batch)) / batch
        case['logZ'] = float(logZ)
        case['logLikelihood'] = [float(-f - logZ) for f in free]
        case['hiddenProbs'] = ph.tolist()
        # Gradient of the mean negative log-likelihood: −(data − model).
        case['nllGradient'] = {
            'weight': (model_hv - data_hv).tolist(),
            'visibleBias': (model_v - data.mean(0)).tolist(),
            'hiddenBias': (model_h - ph.mean(0)).tolist(),
        }
        # The CD-k positive phase alone: what the gradient is when the chain returns the batch itself.
    return case


def storkey(patterns):
    P, N = patterns.shape
    W = np.zeros((N, N))
    for xi in patterns:
        new = np.zeros((N, N))
        for i in range(N):
            for j in range(N):
                hij = sum(W[i, k] * xi[k] for k in range(N) if k != i and k != j)
                hji = sum(W[j, k] * xi[k] for k in range(N) if k != i and k != j)
                new[i, j] = W[i, j] + (xi[i] * xi[j] - xi[i] * hji - hij * xi[j]) / N
        W = new
        np.fill_diagonal(W, 0)
    return W


def main():
    os.makedirs(OUT, exist_ok=True)
    rbm = {
        'source': 'tools/gen_classic_energy_fixtures.py (numpy enumeration)',
        'bernoulli': rbm_case(4, 3, False, 5),
        'gaussian': rbm_case(3, 3, True, 4),
    }
    with open(os.path.join(OUT, 'energy-rbm.json'), 'w') as f:
        json.dump(rbm, f, indent=1)
    pats = np.where(rng.random((3, 8)) < 0.5, -1.0, 1.0)
    hop = {
        'source': 'tools/gen_classic_energy_fixtures.py (Storkey 1997, literal sums)',
        'patterns': pats.tolist(),
        'storkey': storkey(pats).tolist(),
        'pseudoInverse': (lambda W: (np.fill_diagonal(W, 0), W)[1])(pats.T @ np.linalg.inv(pats @ pats.T) @ pats).tolist(),
    }
    with open(os.path.join(OUT, 'energy-hopfield.json'), 'w') as f:
        json.dump(hop, f, indent=1)


if __name__ == '__main__':
    main()
