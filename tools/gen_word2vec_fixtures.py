#!/usr/bin/python3
"""Fixtures for @myelin/zoo-word2vec's tests, from gensim 4 (Debian's python3-gensim), numpy and
scipy: independent goldens, written under packages/zoo-word2vec/fixtures/.

    /usr/bin/python3 tools/gen_word2vec_fixtures.py [MOBY_DICK_TXT]

- gensim-vectors.{txt,bin} + gensim-vectors.json: a small model trained by gensim, saved by gensim
  in both word2vec formats, and the float32 values gensim holds (Myelin must read them exactly);
  its most_similar / most_similar_cosmul / evaluate_word_analogies / similarity answers.
- myelin-vectors.bin/.txt (written by Myelin's test helper from gensim-vectors.json, committed) are
  loaded here by gensim's load_word2vec_format: gensim must see exactly the JSON's values.
- tables.json: gensim's cum_table and sample_int for a vocabulary; Huffman optimal cost (heapq).
- steps.json: closed-form word2vec updates (the published equations, numpy, word2vec.c's logistic
  table) for tiny deterministic cases; one SGNS tensor step; PCA by numpy's SVD; Spearman by scipy.
- moby-gensim.json: gensim's quality on Moby Dick with the fast test's settings.
"""
import json
import os
import re
import sys

import numpy as np
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import common_texts
from scipy.stats import spearmanr

ROOT = os.path.join(os.path.dirname(__file__), "..", "packages", "zoo-word2vec", "fixtures")
os.makedirs(ROOT, exist_ok=True)


def dump(name, obj):
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(obj, f, indent=1)


def f32list(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


# 1. A small gensim model, exported by gensim.
model = Word2Vec(common_texts * 50, vector_size=8, window=2, min_count=1, sg=1, negative=5, workers=1, seed=3, epochs=5)
kv = model.wv
kv.save_word2vec_format(os.path.join(ROOT, "gensim-vectors.txt"), binary=False)
kv.save_word2vec_format(os.path.join(ROOT, "gensim-vectors.bin"), binary=True)
words = list(kv.index_to_key)
questions = [("human", "computer", "user", None), ("graph", "trees", "minors", None), ("system", "eps", "time", None)]
with open(os.path.join(ROOT, "gensim-questions.txt"), "w") as f:
    f.write(": toy\nhuman computer user system\ngraph trees minors survey\nsystem eps time response\nhuman interface unknownword graph\n")
score, sections = kv.evaluate_word_analogies(os.path.join(ROOT, "gensim-questions.txt"))
total = [s for s in sections if s["section"] == "Total accuracy"][0]
dump("gensim-vectors.json", {
    "words": words,
    "dim": 8,
    "vectors": f32list(kv.vectors),
    "most_similar": {w: [[n, float(s)] for n, s in kv.most_similar(w, topn=4)] for w in ["human", "graph", "system"]},
    "analogy_3cosadd": {f"{a} {b} {c}": kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] for a, b, c, _ in questions},
    "analogy_3cosmul": {f"{a} {b} {c}": kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0] for a, b, c, _ in questions},
    "evaluate": {"accuracy": score, "correct": len(total["correct"]), "asked": len(total["correct"]) + len(total["incorrect"]), "oov": 1},
    "similarity": {"human interface": float(kv.similarity("human", "interface")), "graph trees": float(kv.similarity("graph", "trees"))},
})

# 2. Files Myelin wrote (from gensim-vectors.json), read by gensim.
for ext, binary in (("bin", True), ("txt", False)):
    path = os.path.join(ROOT, f"myelin-vectors.{ext}")
    if os.path.exists(path):
        m = KeyedVectors.load_word2vec_format(path, binary=binary)
        dump(f"myelin-vectors.{ext}.gensim.json", {"words": list(m.index_to_key), "vectors": f32list(m.vectors)})

# 3. gensim's sampling tables for a vocabulary; Huffman optimum.
counts = {"the": 1000, "whale": 300, "sea": 120, "ship": 80, "ahab": 40, "oar": 12, "a": 700, "rope": 5}
corpus = [[w] * c for w, c in counts.items()]
tm = Word2Vec(vector_size=4, min_count=1, sample=1e-2, negative=5, workers=1)
tm.build_vocab([[w for s in corpus for w in s]])
order = list(tm.wv.index_to_key)
import heapq
cs = sorted(counts.values())
heap = list(cs)
heapq.heapify(heap)
cost = 0
while len(heap) > 1:
    a, b = heapq.heappop(heap), heapq.heappop(heap)
    cost += a + b
    heapq.heappush(heap, a + b)
dump("tables.json", {
    "words": order,
    "counts": [int(tm.wv.get_vecattr(w, "count")) for w in order],
    "sample": 1e-2,
    "cum_table": [int(x) for x in tm.cum_table],
    "sample_int": [int(tm.wv.get_vecattr(w, "sample_int")) for w in order],
    "huffman_cost": cost,
})

# 4. Closed-form updates (word2vec.c's equations and logistic table).
EXP = np.array([np.exp((i / 1000 * 2 - 1) * 6) / (np.exp((i / 1000 * 2 - 1) * 6) + 1) for i in range(1000)], dtype=np.float32)


def sig_tab(f):
    return EXP[int((np.float32(f) + np.float32(6)) * np.float32(1000 / 6 / 2))]


rng = np.random.default_rng(0)
V, D = 3, 8
syn0 = (rng.random((V, D), dtype=np.float32) - 0.5).astype(np.float32)
alpha = np.float32(0.1)
# HS, skip-gram, sentence [0, 1], window 1, no subsampling, counts [5, 3, 1]: word2vec.c's tree
# for 3 words: inner nodes 0 (1+3... see below) — derived here from word2vec.c's CreateBinaryTree.
def tree(counts):
    Vn = len(counts)
    count = list(counts) + [1e15] * Vn
    parent = [0] * (2 * Vn)
    binary = [0] * (2 * Vn)
    p1, p2 = Vn - 1, Vn
    for a in range(Vn - 1):
        mins = []
        for _ in range(2):
            if p1 >= 0 and count[p1] < count[p2]:
                mins.append(p1); p1 -= 1
            else:
                mins.append(p2); p2 += 1
        count[Vn + a] = count[mins[0]] + count[mins[1]]
        parent[mins[0]] = Vn + a
        parent[mins[1]] = Vn + a
        binary[mins[1]] = 1
    codes, points = [], []
    for a in range(Vn):
        code, point, b = [], [], a
        while b != 2 * Vn - 2:
            code.append(binary[b]); point.append(b); b = parent[b]
        L = len(code)
        c = [0] * L; pt = [0] * L
        pt[0] = Vn - 2
        for k in range(L):
            c[L - k - 1] = code[k]
            if k > 0:
                pt[L - k] = point[k] - Vn
        codes.append(c); points.append(pt)
    return codes, points


codes, points = tree([5, 3, 1])
s0 = syn0.copy()
s1 = np.zeros((V - 1, D), dtype=np.float32)
for center, ctx in ((0, 1), (1, 0)):
    l1 = s0[ctx]
    neu1e = np.zeros(D, dtype=np.float32)
    for c, p in zip(codes[center], points[center]):
        f = np.float32(np.dot(l1, s1[p]))
        if f <= -6 or f >= 6:
            continue
        g = np.float32((np.float32(1 - c) - sig_tab(f)) * alpha)
        neu1e += g * s1[p]
        s1[p] += g * l1
    s0[ctx] += neu1e
hs_case = {"counts": [5, 3, 1], "sentence": [0, 1], "alpha": float(alpha), "syn0": f32list(syn0), "codes": codes, "points": points,
           "syn0_after": f32list(s0), "syn1_after": f32list(s1)}

# CBOW with HS, sentence [2, 0, 1], window 1: mean of contexts predicts the center.
s0 = syn0.copy()
s1 = np.zeros((V - 1, D), dtype=np.float32)
sent = [2, 0, 1]
for i, center in enumerate(sent):
    ctxs = [sent[j] for j in (i - 1, i + 1) if 0 <= j < len(sent)]
    neu1 = np.mean([s0[c] for c in ctxs], axis=0).astype(np.float32)
    neu1e = np.zeros(D, dtype=np.float32)
    for c, p in zip(codes[center], points[center]):
        f = np.float32(np.dot(neu1, s1[p]))
        if f <= -6 or f >= 6:
            continue
        g = np.float32((np.float32(1 - c) - sig_tab(f)) * alpha)
        neu1e += g * s1[p]
        s1[p] += g * neu1
    for c in ctxs:
        s0[c] += neu1e
cbow_case = {"counts": [5, 3, 1], "sentence": sent, "alpha": float(alpha), "syn0": f32list(syn0), "syn0_after": f32list(s0), "syn1_after": f32list(s1)}

# One SGNS step on tensors: exact logistic, summed updates.
U = rng.standard_normal((4, 3)).astype(np.float64) * 0.5
W = rng.standard_normal((4, 3)).astype(np.float64) * 0.5
inputs, targets, negs, lr = [0, 2], [1, 3], [[2, 3], [0, 0]], 0.2
dU, dW, loss = np.zeros_like(U), np.zeros_like(W), 0.0
sigm = lambda z: 1 / (1 + np.exp(-z))
for b in range(2):
    u = U[inputs[b]]
    for k, (t, lab) in enumerate([(targets[b], 1)] + [(n, 0) for n in negs[b]]):
        s = u @ W[t]
        sign = 1 if lab else -1
        loss -= np.log(sigm(sign * s))
        g = lr * sign * sigm(-sign * s)
        dU[inputs[b]] += g * W[t]
        dW[t] += g * u
tensor_case = {"input": U.ravel().tolist(), "output": W.ravel().tolist(), "inputs": inputs, "targets": targets, "negatives": sum(negs, []),
               "lr": lr, "input_after": (U + dU).ravel().tolist(), "output_after": (W + dW).ravel().tolist(), "loss": loss / 2}

X = rng.standard_normal((12, 5)) @ np.diag([3, 2, 1, 0.5, 0.1])
Xc = X - X.mean(0)
_, S, Vt = np.linalg.svd(Xc, full_matrices=False)
for k in range(2):
    if Vt[k][np.argmax(np.abs(Vt[k]))] < 0:
        Vt[k] = -Vt[k]
pca_case = {"x": X.ravel().tolist(), "n": 12, "d": 5, "axes": Vt[:2].ravel().tolist(), "coords": (Xc @ Vt[:2].T).ravel().tolist(),
            "variance": (S[:2] ** 2 / 11).tolist()}
a = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
b = [2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0]
dump("steps.json", {"hs": hs_case, "cbow": cbow_case, "tensor": tensor_case, "pca": pca_case,
                    "spearman": {"a": a, "b": b, "rho": float(spearmanr(a, b).correlation)}})

# 5. gensim on Moby Dick with the fast test's settings: how much closer a noun sits to its plural
#    than to another noun's plural (mean cosine gap), over plural pairs from wamerican by rule.
if len(sys.argv) > 2:
    text = open(sys.argv[1], encoding="utf-8").read()
    word_list = set(open(sys.argv[2], encoding="utf-8").read().split("\n"))
    paras = re.split(r"\n\s*\n", text)
    sents = [re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+", re.sub(r"<[^<>]{0,200}>", " ", p).lower()) for p in paras]
    sents = [[w.replace("’", "'") for w in s] for s in sents if s]
    plurals = []
    for w in sorted(word_list):
        if not re.fullmatch("[a-z]{3,}", w) or w.endswith("s") or w + "'s" not in word_list:
            continue
        pl = w + "es" if re.search("(s|x|z|ch|sh)$", w) else (w[:-1] + "ies" if re.search("[^aeiou]y$", w) else w + "s")
        if pl in word_list:
            plurals.append((w, pl))
    res = []
    for seed in (1, 2, 3):
        m = Word2Vec(sents, vector_size=50, window=5, sg=1, negative=5, min_count=5, sample=1e-3, workers=2, seed=seed, epochs=5)
        pv = [(a, b) for a, b in plurals if a in m.wv and b in m.wv]
        same = np.mean([m.wv.similarity(a, b) for a, b in pv])
        other = np.mean([m.wv.similarity(pv[i][0], pv[(i + 7) % len(pv)][1]) for i in range(len(pv))])
        res.append(float(same - other))
    dump("moby-gensim.json", {"pairs": pv, "gap": res, "settings": "sg, dim 50, window 5, negative 5, min count 5, sample 1e-3, 5 epochs, 2 workers"})
