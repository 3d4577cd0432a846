"""Golden numbers for @myelin/zoo-classic's shallow models, computed with numpy only (no sklearn).

Writes packages/zoo-classic/fixtures/shallow-rbf-lstsq.json: an RBF network's hidden layer on 60
standardised rows of sklearn's breast-cancer CSV (Debian's python3-sklearn), and the output layer
numpy.linalg.lstsq gives (plain), and the ridge solution of the normal equations (bias unpenalised);
plus Gram matrices of the RBF and polynomial kernels on 5 of those rows.

Run: /usr/bin/python3 tools/gen_classic_shallow_fixtures.py
"""
import csv
import json
import os

import numpy as np

CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv"
OUT = os.path.join(os.path.dirname(__file__), "..", "packages", "zoo-classic", "fixtures", "shallow-rbf-lstsq.json")

rows = list(csv.reader(open(CSV)))[1:]
data = np.array([[float(v) for v in r[:-1]] for r in rows])
labels = np.array([int(r[-1]) for r in rows])

cols = [0, 1, 20, 27]  # mean radius, mean texture, worst radius, worst concave points
X = data[:60][:, cols]
X = (X - X.mean(0)) / X.std(0)  # population std, as Standardizer
X = X.astype(np.float32).astype(np.float64)  # what the TS side holds
y = labels[:60]

centres = X[[0, 9, 19, 29, 39, 49]]
widths = np.array([0.8, 1.0, 1.2, 0.9, 1.5, 1.1], dtype=np.float32).astype(np.float64)
d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
phi = np.exp(-d2 / (2 * widths[None, :] ** 2))
A = np.hstack([phi, np.ones((60, 1))])
T = np.eye(2)[y]
W, *_ = np.linalg.lstsq(A, T, rcond=None)
ridge = 0.1
D = np.diag([1.0] * 6 + [0.0])
W_ridge = np.linalg.solve(A.T @ A + ridge * D, A.T @ T)

P = X[:5]
gram_rbf = np.exp(-0.25 * ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1))
gram_poly = (0.5 * P @ P.T + 1.0) ** 3

fixture = {
    "source": "tools/gen_classic_shallow_fixtures.py (numpy %s)" % np.__version__,
    "x": X.ravel().tolist(),
    "labels": y.tolist(),
    "dims": 4,
    "centres": centres.ravel().tolist(),
    "widths": widths.tolist(),
    "phi": phi.ravel().tolist(),
    "lstsq": {"weight": W[:6].T.ravel().tolist(), "bias": W[6].tolist(),
              "mse": float(((A @ W - T) ** 2).mean())},
    "ridge": {"lambda": ridge, "weight": W_ridge[:6].T.ravel().tolist(), "bias": W_ridge[6].tolist()},
    "gram": {"rows": 5, "rbf_gamma": 0.25, "rbf": gram_rbf.ravel().tolist(),
             "poly": {"degree": 3, "gamma": 0.5, "coef0": 1.0}, "polynomial": gram_poly.ravel().tolist()},
}
with open(OUT, "w") as f:
    json.dump(fixture, f)
print("wrote", OUT)
