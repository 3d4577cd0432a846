"""Golden numbers for @myelin/data's issue-21 augmentations and splits.

torchvision 0.14 / PyTorch 1.13 (functional transforms on float tensors) and scikit-learn's
KFold / StratifiedKFold. Run with /usr/bin/python3 from the repository root; writes
packages/data/test/fixtures/data21.json.
"""
import json
import os

import numpy as np
import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold, StratifiedKFold

torch.manual_seed(21)
out = {}


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


img = torch.rand(3, 5, 7)  # C, H, W with odd/even sizes
gray = torch.rand(1, 6, 6)
out["img"] = {"shape": list(img.shape), "data": flat(img)}
out["gray"] = {"shape": list(gray.shape), "data": flat(gray)}

affine = []
for angle, translate, scale, shear, interp, fill in [
    (30.0, [0, 0], 1.0, [0.0, 0.0], "bilinear", None),
    (-45.0, [1, -2], 1.2, [10.0, 0.0], "bilinear", None),
    (15.0, [0, 1], 0.8, [5.0, -7.0], "nearest", None),
    (90.0, [0, 0], 1.0, [0.0, 0.0], "nearest", None),
    (20.0, [2, 1], 0.9, [0.0, 12.0], "bilinear", [0.5]),
    (-10.0, [-1, 0], 1.1, [8.0, 3.0], "nearest", [0.25]),
]:
    mode = InterpolationMode.BILINEAR if interp == "bilinear" else InterpolationMode.NEAREST
    for name, x in [("img", img), ("gray", gray)]:
        y = F.affine(x, angle=angle, translate=translate, scale=scale, shear=shear,
                     interpolation=mode, fill=fill)
        affine.append({"input": name, "angle": angle, "translate": translate, "scale": scale,
                       "shear": shear, "interpolation": interp,
                       "fill": None if fill is None else fill[0],
                       "shape": list(y.shape), "data": flat(y)})
out["affine"] = affine

resize = []
for size, interp in [([3, 4], "bilinear"), ([9, 11], "bilinear"), ([3, 4], "nearest"),
                     ([9, 11], "nearest"), ([1, 1], "bilinear"), ([5, 7], "bilinear"), (4, "bilinear"),
                     (8, "nearest")]:
    mode = InterpolationMode.BILINEAR if interp == "bilinear" else InterpolationMode.NEAREST
    y = F.resize(img, size, interpolation=mode, antialias=False)
    resize.append({"size": size, "interpolation": interp, "shape": list(y.shape), "data": flat(y)})
out["resize"] = resize
# A tall image (H > W): one number sets the width.
tall = img.transpose(1, 2).contiguous()  # [3, 7, 5]
tall_out = F.resize(tall, 4, antialias=False)
out["resizeTall"] = {"input": flat(tall), "shape": list(tall.shape),
                     "outShape": list(tall_out.shape), "data": flat(tall_out)}

crop = []
for size in [[3, 3], [4, 6], [2, 1], [5, 7], [7, 9], [1, 1]]:
    y = F.center_crop(img, size)
    crop.append({"size": size, "shape": list(y.shape), "data": flat(y)})
out["centerCrop"] = crop

out["vflip"] = flat(F.vflip(img))

color = []
for f in [0.0, 0.5, 1.3, 2.0]:
    color.append({"op": "brightness", "factor": f, "data": flat(F.adjust_brightness(img, f))})
    color.append({"op": "contrast", "factor": f, "data": flat(F.adjust_contrast(img, f))})
    color.append({"op": "saturation", "factor": f, "data": flat(F.adjust_saturation(img, f))})
for f in [-0.5, -0.2, 0.0, 0.1, 0.37, 0.5]:
    color.append({"op": "hue", "factor": f, "data": flat(F.adjust_hue(img, f))})
out["color"] = color
out["grayContrast"] = [{"factor": f, "data": flat(F.adjust_contrast(gray, f))} for f in [0.3, 1.7]]

# scikit-learn splits (unshuffled: deterministic, so they are the semantics to match)
kf = []
for n, k in [(10, 3), (7, 7), (12, 4), (5, 2)]:
    kf.append({"n": n, "k": k, "folds": [{"train": tr.tolist(), "test": te.tolist()}
                                          for tr, te in KFold(k).split(np.zeros(n))]})
out["kfold"] = kf
skf = []
for labels, k in [([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2], 3),
                  ([2, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 2, 0, 2], 3),
                  ([1, 1, 1, 0, 0, 0, 0, 0, 1, 0], 2),
                  ([3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 1, 1], 4)]:
    folds = [{"train": tr.tolist(), "test": te.tolist()}
             for tr, te in StratifiedKFold(k).split(np.zeros(len(labels)), labels)]
    skf.append({"labels": labels, "k": k, "folds": folds})
out["stratifiedKFold"] = skf

# Real data: sklearn's digits (1,797 × 64 ink counts 0-16).
digits = load_digits()
X = digits.data.astype(np.float64)
pca = PCA(n_components=10, whiten=True, svd_solver="full").fit(X)
Z = pca.transform(X[:3])
mu = X.mean(axis=0)
lam, U = np.linalg.eigh(np.cov(X, rowvar=False))
zca = U @ np.diag(1.0 / np.sqrt(np.maximum(lam, 0) + 0.1)) @ U.T
out["digits"] = {
    "pcaExplainedVariance": pca.explained_variance_.tolist(),
    "pcaWhitenedFirst3": Z.tolist(),  # up to the sign of each component
    "zcaEps0_1First3": ((X[:3] - mu) @ zca.T).tolist(),
}
# StratifiedKFold(5)'s test fold of every image
folds = np.empty(len(X), dtype=int)
for f, (_, te) in enumerate(StratifiedKFold(5).split(X, digits.target)):
    folds[te] = f
out["digits"]["stratifiedKFold5TestFold"] = folds.tolist()

path = os.path.join("packages", "data", "test", "fixtures", "data21.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print("wrote", path)
