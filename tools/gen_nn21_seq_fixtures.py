#!/usr/bin/python3
"""Golden fixtures for the issue-21 sequence part of @myelin/nn, from PyTorch 1.13.

Run from the repository root with the system interpreter that has PyTorch:

    /usr/bin/python3 tools/gen_nn21_seq_fixtures.py

It writes packages/nn/fixtures/nn21-seq.json with
  - "cases": the case format of tools/nn_fixtures_common.py (run by fixtures.ts's runCase):
    the Transformer wrapper, scaled dot-product attention, Luong/Bahdanau attention (the published
    equations written in plain torch), the RBF layer (its equation in plain torch) and the losses;
  - "packed": RNN/LSTM/GRU over packed ragged batches (pack_padded_sequence → module →
    pad_packed_sequence) with outputs, final states and gradients (the case format plus the
    packing arguments);
  - "pack": pack_padded_sequence / pad_packed_sequence / pad_sequence / pack_sequence results
    (data, batch_sizes, sorted and unsorted indices).
Seeds are fixed.
"""

from __future__ import annotations

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence  # noqa: E402

from fixtures_common import encode_tensor  # noqa: E402
from nn_fixtures_common import I, NNFamily  # noqa: E402

warnings.filterwarnings("ignore")
torch.manual_seed(2121)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "nn", "fixtures", "nn21-seq.json")


class Fn(tnn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


# ---------------------------------------------------------------------------------------------
# Packed sequences through the recurrent layers
# ---------------------------------------------------------------------------------------------

def packed(fam: NNFamily) -> list:
    out = []

    def case(name, cls, args, opts, torch_mod, T, N, I_, lengths, batch_first=False, enforce=True, state=False):
        shape = (N, T, I_) if batch_first else (T, N, I_)
        x = fam.randn(*shape)
        dirs = 2 if opts.get("bidirectional") else 1
        layers = opts.get("numLayers", 1)
        H = args[1]
        inputs = [x]
        if state:
            inputs.append(fam.randn(layers * dirs, N, H))
            if cls == "LSTM":
                inputs.append(fam.randn(layers * dirs, N, H))

        def fwd(m, x, *st):
            p = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
            hx = None
            if st:
                hx = (st[0], st[1]) if cls == "LSTM" else st[0]
            o, h = m(p, hx)
            padded, _ = pad_packed_sequence(o, batch_first=batch_first)
            outs = [padded, o.data]
            outs += list(h) if cls == "LSTM" else [h]
            return outs

        n_before = len(fam.cases)
        fam.module_case(name, cls, args, torch_mod, inputs, options=opts or None, forward=fwd)
        c = fam.cases.pop()
        assert len(fam.cases) == n_before
        c["packed"] = {"lengths": lengths, "batchFirst": batch_first, "enforceSorted": enforce}
        out.append(c)

    torch.manual_seed(1)
    case("ragged sorted", "GRU", [3, 4], {}, tnn.GRU(3, 4), 5, 3, 3, [5, 3, 2])
    case("ragged unsorted enforceSorted false", "LSTM", [3, 4], {}, tnn.LSTM(3, 4), 4, 3, 3, [2, 4, 1], enforce=False)
    case("bidirectional 2 layers unsorted", "LSTM", [2, 3], {"numLayers": 2, "bidirectional": True},
         tnn.LSTM(2, 3, num_layers=2, bidirectional=True), 5, 4, 2, [3, 5, 1, 4], enforce=False)
    case("bidirectional 2 layers batchFirst with h0", "GRU", [3, 2], {"numLayers": 2, "bidirectional": True, "batchFirst": True},
         tnn.GRU(3, 2, num_layers=2, bidirectional=True, batch_first=True), 4, 3, 3, [1, 4, 2],
         batch_first=True, enforce=False, state=True)
    case("tanh bidirectional", "RNN", [2, 3], {"bidirectional": True}, tnn.RNN(2, 3, bidirectional=True),
         3, 2, 2, [3, 2])
    case("relu 2 layers with h0 unsorted", "RNN", [2, 3], {"numLayers": 2, "nonlinearity": "relu"},
         tnn.RNN(2, 3, num_layers=2, nonlinearity="relu"), 4, 3, 2, [2, 4, 3], enforce=False, state=True)
    case("LSTM with h0 c0 unsorted", "LSTM", [2, 3], {}, tnn.LSTM(2, 3), 3, 3, 2, [1, 3, 2], enforce=False, state=True)
    case("one sequence", "LSTM", [2, 3], {"bidirectional": True}, tnn.LSTM(2, 3, bidirectional=True), 4, 1, 2, [4])
    case("all lengths equal", "GRU", [2, 3], {"bidirectional": True}, tnn.GRU(2, 3, bidirectional=True), 3, 3, 2, [3, 3, 3])
    case("every length 1", "LSTM", [2, 2], {"numLayers": 2}, tnn.LSTM(2, 2, num_layers=2), 1, 3, 2, [1, 1, 1])
    case("a length of 1 and padding past the longest", "GRU", [2, 3], {}, tnn.GRU(2, 3), 5, 3, 2, [4, 2, 1])
    case("projSize bidirectional unsorted", "LSTM", [3, 4], {"projSize": 2, "bidirectional": True},
         tnn.LSTM(3, 4, proj_size=2, bidirectional=True), 4, 3, 3, [2, 4, 3], enforce=False)
    return out


def pack_cases(fam: NNFamily) -> list:
    res = []

    def enc_opt(t):
        return None if t is None else [int(v) for v in t]

    def pp(name, x, lengths, batch_first=False, enforce=True, total=None):
        p = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
        padded, lens = pad_packed_sequence(p, batch_first=batch_first, total_length=total, padding_value=-1.5)
        res.append({
            "name": name, "kind": "packPadded", "x": encode_tensor(x), "lengths": lengths,
            "batchFirst": batch_first, "enforceSorted": enforce, "totalLength": total,
            "data": encode_tensor(p.data), "batchSizes": [int(v) for v in p.batch_sizes],
            "sortedIndices": enc_opt(p.sorted_indices), "unsortedIndices": enc_opt(p.unsorted_indices),
            "padded": encode_tensor(padded), "paddedLengths": [int(v) for v in lens],
        })

    pp("sorted time-major", fam.randn(4, 3, 2), [4, 2, 1])
    pp("unsorted batchFirst, totalLength 6", fam.randn(3, 5, 2), [2, 5, 3], batch_first=True, enforce=False, total=6)
    pp("one sequence, 1-D features", fam.randn(3, 1), [2])
    pp("all equal, extra dims", fam.randn(2, 2, 2, 3), [2, 2])
    pp("unsorted every length 1", fam.randn(1, 4, 2), [1, 1, 1, 1], enforce=False)

    seqs = [fam.randn(3, 2), fam.randn(1, 2), fam.randn(4, 2)]
    for bf in (False, True):
        res.append({"name": f"pad_sequence batchFirst {bf}", "kind": "padSequence",
                    "seqs": [encode_tensor(s) for s in seqs], "batchFirst": bf, "paddingValue": 0.5,
                    "padded": encode_tensor(pad_sequence(seqs, batch_first=bf, padding_value=0.5))})
    p = pack_sequence(seqs, enforce_sorted=False)
    res.append({"name": "pack_sequence unsorted", "kind": "packSequence", "seqs": [encode_tensor(s) for s in seqs],
                "data": encode_tensor(p.data), "batchSizes": [int(v) for v in p.batch_sizes],
                "sortedIndices": enc_opt(p.sorted_indices), "unsortedIndices": enc_opt(p.unsorted_indices)})
    return res


# ---------------------------------------------------------------------------------------------
# Transformer wrapper and scaled dot-product attention
# ---------------------------------------------------------------------------------------------

def transformer(fam: NNFamily) -> None:
    E, H, ff = 8, 2, 12
    torch.manual_seed(3)
    m = tnn.Transformer(E, H, 2, 2, ff, dropout=0.0)
    src, tgt = fam.randn(5, 2, E), fam.randn(4, 2, E)
    mask = tnn.Transformer.generate_square_subsequent_mask(4)
    fam.module_case("2+2 layers post-norm causal tgtMask", "Transformer", [E, H],
                    m, [src, tgt, mask],
                    options={"numEncoderLayers": 2, "numDecoderLayers": 2, "dimFeedforward": ff, "dropout": 0},
                    forward=lambda mod, s, t, mk: mod(s, t, tgt_mask=mk),
                    call={"args": [I(0), I(1), {"tgtMask": I(2)}]}, grad=[True, True, False])
    torch.manual_seed(4)
    m = tnn.Transformer(E, H, 1, 2, ff, dropout=0.0, batch_first=True, norm_first=True, activation="gelu")
    src, tgt = fam.randn(3, 5, E), fam.randn(3, 3, E)
    skp = torch.tensor([[False] * 5, [False, False, False, True, True], [False, False, False, False, True]])
    tkp = torch.tensor([[False, False, False], [False, False, True], [False, False, False]])
    causal3 = tnn.Transformer.generate_square_subsequent_mask(3)
    fam.module_case("batchFirst normFirst gelu with key padding masks", "Transformer", [E, H], m,
                    [src, tgt, skp, tkp, causal3],
                    options={"numEncoderLayers": 1, "numDecoderLayers": 2, "dimFeedforward": ff, "dropout": 0,
                             "batchFirst": True, "normFirst": True, "activation": "gelu"},
                    forward=lambda mod, s, t, a, b, c: mod(s, t, tgt_mask=c, src_key_padding_mask=a,
                                                           tgt_key_padding_mask=b, memory_key_padding_mask=a),
                    call={"args": [I(0), I(1), {"srcKeyPaddingMask": I(2), "tgtKeyPaddingMask": I(3),
                                                "memoryKeyPaddingMask": I(2), "tgtMask": I(4)}]},
                    grad=[True, True, False, False, False])
    torch.manual_seed(5)
    m = tnn.Transformer(E, H, 1, 1, ff, dropout=0.0)
    src, tgt = fam.randn(3, 1, E), fam.randn(2, 1, E)
    smask = torch.tensor([[False, True, False], [False, False, True], [True, False, False]])
    mmask = torch.tensor([[0.0, -1.0, 0.5], [0.25, 0.0, -2.0]])
    fam.module_case("batch 1 bool srcMask float memoryMask", "Transformer", [E, H], m, [src, tgt, smask, mmask],
                    options={"numEncoderLayers": 1, "numDecoderLayers": 1, "dimFeedforward": ff, "dropout": 0},
                    forward=lambda mod, s, t, a, b: mod(s, t, src_mask=a, memory_mask=b),
                    call={"args": [I(0), I(1), {"srcMask": I(2), "memoryMask": I(3)}]},
                    grad=[True, True, False, False])
    torch.manual_seed(6)
    m = tnn.Transformer(E, H, 1, 1, ff, dropout=0.0)
    fam.module_case("unbatched", "Transformer", [E, H], m, [fam.randn(3, E), fam.randn(2, E)],
                    options={"numEncoderLayers": 1, "numDecoderLayers": 1, "dimFeedforward": ff, "dropout": 0})


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    """F.scaled_dot_product_attention of PyTorch 2 written out (torch 1.13 has none)."""
    s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(torch.ones(L, S, dtype=torch.bool).triu(1), float("-inf"))
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
    return torch.softmax(s, -1) @ v


def sdpa(fam: NNFamily) -> None:
    q, k, v = fam.randn(2, 2, 4, 3), fam.randn(2, 2, 5, 3), fam.randn(2, 2, 5, 2)
    fam.fn_case("[2,2,4,3] no mask", "scaledDotProductAttention", [q, k, v], lambda a, b, c: sdpa_ref(a, b, c))
    q, k, v = fam.randn(1, 4, 3), fam.randn(1, 4, 3), fam.randn(1, 4, 3)
    fam.fn_case("batch 1 isCausal", "scaledDotProductAttention", [q, k, v],
                lambda a, b, c: sdpa_ref(a, b, c, causal=True),
                call={"args": [I(0), I(1), I(2)], "options": {"isCausal": True}})
    q, k, v = fam.randn(2, 3, 4), fam.randn(2, 5, 4), fam.randn(2, 5, 4)
    bm = torch.tensor([[True, True, False, True, False]] * 3)
    fam.fn_case("bool attnMask (true = attend), scale 0.3", "scaledDotProductAttention", [q, k, v, bm],
                lambda a, b, c, m: sdpa_ref(a, b, c, mask=m, scale=0.3),
                call={"args": [I(0), I(1), I(2)], "options": {"attnMask": I(3), "scale": 0.3}})
    fm = fam.randn(3, 5)
    fam.fn_case("float attnMask, one key", "scaledDotProductAttention", [q, k[:, :1], v[:, :1], fm[:, :1]],
                lambda a, b, c, m: sdpa_ref(a, b, c, mask=m),
                call={"args": [I(0), I(1), I(2)], "options": {"attnMask": I(3)}}, grad=[True, True, True, False])


# ---------------------------------------------------------------------------------------------
# Luong and Bahdanau attention: the papers' equations in plain torch
# ---------------------------------------------------------------------------------------------

class LuongRef(tnn.Module):
    """Luong et al. 2015, eq. 7-8: score(h_t, h̄_s) = h_t·h̄_s | h_t·W_a h̄_s | v_a·tanh(W_a[h_t; h̄_s])."""

    def __init__(self, score, qd, kd, ad):
        super().__init__()
        self.score = score
        if score == "general":
            self.wa = tnn.Linear(kd, qd, bias=False)
        if score == "concat":
            self.wa = tnn.Linear(qd + kd, ad, bias=False)
            self.va = tnn.Linear(ad, 1, bias=False)

    def forward(self, q, keys, mask=None):
        single = q.dim() == 2
        if single:
            q = q.unsqueeze(1)
        N, L, _ = q.shape
        S = keys.shape[1]
        if self.score == "dot":
            s = torch.einsum("nld,nsd->nls", q, keys)
        elif self.score == "general":
            s = torch.einsum("nld,nsd->nls", q, self.wa(keys))
        else:
            cat = torch.cat([q.unsqueeze(2).expand(N, L, S, q.shape[2]), keys.unsqueeze(1).expand(N, L, S, keys.shape[2])], -1)
            s = self.va(torch.tanh(self.wa(cat))).squeeze(-1)
        if mask is not None:
            s = s.masked_fill(mask.unsqueeze(1), float("-inf"))
        a = torch.softmax(s, -1)
        c = torch.einsum("nls,nsd->nld", a, keys)
        return (c.squeeze(1), a.squeeze(1)) if single else (c, a)


class BahdanauRef(tnn.Module):
    """Bahdanau et al. 2015, appendix A.1.2: e_ij = v_a·tanh(W_a s_{i-1} + U_a h_j)."""

    def __init__(self, qd, kd, ad):
        super().__init__()
        self.wa = tnn.Linear(qd, ad, bias=False)
        self.ua = tnn.Linear(kd, ad, bias=False)
        self.va = tnn.Linear(ad, 1, bias=False)

    def forward(self, q, keys, mask=None):
        single = q.dim() == 2
        if single:
            q = q.unsqueeze(1)
        e = self.va(torch.tanh(self.wa(q).unsqueeze(2) + self.ua(keys).unsqueeze(1))).squeeze(-1)
        if mask is not None:
            e = e.masked_fill(mask.unsqueeze(1), float("-inf"))
        a = torch.softmax(e, -1)
        c = a @ keys
        return (c.squeeze(1), a.squeeze(1)) if single else (c, a)


def seq_attention(fam: NNFamily) -> None:
    torch.manual_seed(7)
    mask = torch.tensor([[False, False, False, True], [False, True, True, True], [False, False, False, False]])
    for score in ("dot", "general", "concat"):
        kd = 4 if score == "dot" else 3
        ref = LuongRef(score, 4, kd, 5)
        opts = {"score": score, "keyDim": kd}
        if score == "concat":
            opts["attnDim"] = 5
        with torch.no_grad():
            for p in ref.parameters():
                p.mul_(2.0)  # larger weights: less uniform attention, a sharper test
        fam.module_case(f"{score} one step with keyPaddingMask", "LuongAttention", [4], ref,
                        [fam.randn(3, 4), fam.randn(3, 4, kd), mask], options=opts,
                        call={"args": [I(0), I(1), {"keyPaddingMask": I(2)}]}, grad=[True, True, False])
        fam.module_case(f"{score} 2 query steps batch 1", "LuongAttention", [4], LuongRef(score, 4, kd, 5),
                        [fam.randn(1, 2, 4), fam.randn(1, 3, kd)], options=opts)
    fam.module_case("one source position", "LuongAttention", [2], LuongRef("general", 2, 2, 2),
                    [fam.randn(2, 2), fam.randn(2, 1, 2)], options={"score": "general"})
    ref = BahdanauRef(4, 3, 5)
    fam.module_case("one step with keyPaddingMask", "BahdanauAttention", [4], ref,
                    [fam.randn(3, 4), fam.randn(3, 4, 3), mask], options={"keyDim": 3, "attnDim": 5},
                    call={"args": [I(0), I(1), {"keyPaddingMask": I(2)}]}, grad=[True, True, False])
    fam.module_case("3 query steps batch 1", "BahdanauAttention", [2], BahdanauRef(2, 2, 2),
                    [fam.randn(1, 3, 2), fam.randn(1, 5, 2)])


# ---------------------------------------------------------------------------------------------
# RBF
# ---------------------------------------------------------------------------------------------

class RBFRef(tnn.Module):
    """Gaussian units phi_j(x) = exp(-||x - mu_j||^2 / (2 sigma_j^2)) (Bishop 1995, eq. 5.9)."""

    def __init__(self, d, m):
        super().__init__()
        self.centres = tnn.Parameter(torch.randn(m, d))
        self.sigmas = tnn.Parameter(torch.rand(m) + 0.5)

    def forward(self, x):
        d2 = ((x.unsqueeze(-2) - self.centres) ** 2).sum(-1)
        return torch.exp(-d2 / (2 * self.sigmas**2))


def rbf(fam: NNFamily) -> None:
    torch.manual_seed(8)
    fam.module_case("[4,3] → 5 units", "RBF", [3, 5], RBFRef(3, 5), [fam.randn(4, 3)])
    fam.module_case("batch 1, one feature, one unit", "RBF", [1, 1], RBFRef(1, 1), [fam.randn(1, 1)])
    fam.module_case("unbatched", "RBF", [2, 3], RBFRef(2, 3), [fam.randn(2)])


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------

def losses(fam: NNFamily) -> None:
    x = fam.randn(3, 5)
    y = torch.tensor([[3, 0, -1, 1, 4], [1, 2, 3, 4, 0], [2, -1, 0, 0, 0]], dtype=torch.int32)
    for red in ("none", "mean", "sum"):
        fam.fn_case(f"[3,5] reduction {red}", "multilabelMarginLoss", [x, y],
                    lambda a, b, red=red: F.multilabel_margin_loss(a, b.long(), reduction=red),
                    call={"args": [I(0), I(1)], "options": {"reduction": red}}, cls="MultiLabelMarginLoss")
    fam.fn_case("1-D input", "multilabelMarginLoss", [fam.randn(4), torch.tensor([2, 0, -1, 3], dtype=torch.int32)],
                lambda a, b: F.multilabel_margin_loss(a, b.long()))
    fam.fn_case("batch 1, no targets", "multilabelMarginLoss", [fam.randn(1, 3), torch.tensor([[-1, 0, 1]], dtype=torch.int32)],
                lambda a, b: F.multilabel_margin_loss(a, b.long()))
    fam.fn_case("one class", "multilabelMarginLoss", [fam.randn(2, 1), torch.tensor([[0], [-1]], dtype=torch.int32)],
                lambda a, b: F.multilabel_margin_loss(a, b.long(), reduction="none"),
                call={"args": [I(0), I(1)], "options": {"reduction": "none"}})

    x = fam.randn(4, 3)
    t = torch.tensor([[1.0, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]])
    w = fam.uniform(0.2, 2, 3)
    for red in ("none", "mean", "sum"):
        fam.fn_case(f"[4,3] reduction {red}", "multilabelSoftMarginLoss", [x, t],
                    lambda a, b, red=red: F.multilabel_soft_margin_loss(a, b, reduction=red),
                    call={"args": [I(0), I(1)], "options": {"reduction": red}}, cls="MultiLabelSoftMarginLoss")
    fam.fn_case("weight", "multilabelSoftMarginLoss", [x, t, w],
                lambda a, b, c: F.multilabel_soft_margin_loss(a, b, weight=c),
                call={"args": [I(0), I(1)], "options": {"weight": I(2)}}, grad=[True, False, False])
    fam.fn_case("batch 1 one class soft target", "multilabelSoftMarginLoss", [fam.randn(1, 1), torch.tensor([[0.3]])],
                lambda a, b: F.multilabel_soft_margin_loss(a, b), grad=[True, False])

    a, p, n = fam.randn(4, 3), fam.randn(4, 3), fam.randn(4, 3)
    for red in ("none", "mean", "sum"):
        fam.fn_case(f"default distance reduction {red}", "tripletMarginWithDistanceLoss", [a, p, n],
                    lambda x, y, z, red=red: F.triplet_margin_with_distance_loss(x, y, z, reduction=red),
                    call={"args": [I(0), I(1), I(2)], "options": {"reduction": red}},
                    cls="TripletMarginWithDistanceLoss")

    def cosd(x, y):
        return 1.0 - F.cosine_similarity(x, y)

    # The custom distance is named in "distance"; the test puts the matching function in.
    fam.fn_case("cosine distance margin 0.5 swap", "tripletMarginWithDistanceLoss", [a, p, n],
                lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, distance_function=cosd, margin=0.5, swap=True),
                call={"args": [I(0), I(1), I(2)], "options": {"margin": 0.5, "swap": True, "distance": "cosine"}},
                cls="TripletMarginWithDistanceLoss")
    fam.fn_case("L1 distance batch 1 reduction none", "tripletMarginWithDistanceLoss",
                [fam.randn(1, 2), fam.randn(1, 2), fam.randn(1, 2)],
                lambda x, y, z: F.triplet_margin_with_distance_loss(
                    x, y, z, distance_function=lambda u, v: (u - v).abs().sum(-1), margin=2.0, reduction="none"),
                call={"args": [I(0), I(1), I(2)], "options": {"margin": 2.0, "reduction": "none", "distance": "l1"}},
                cls="TripletMarginWithDistanceLoss")
    fam.fn_case("swap default distance", "tripletMarginWithDistanceLoss", [a, n, p],
                lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, swap=True),
                call={"args": [I(0), I(1), I(2)], "options": {"swap": True}})


def main() -> None:
    fam = NNFamily("nn21-seq")
    for build in (transformer, sdpa, seq_attention, rbf, losses):
        build(fam)
    packed_cases = packed(fam)
    pack = pack_cases(fam)
    head = {"generator": "tools/gen_nn21_seq_fixtures.py", "torch": torch.__version__, "family": fam.name}
    lines = lambda cs: ",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cs)  # noqa: E731
    body = (json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n' + lines(fam.cases) + '\n],"packed":[\n'
            + lines(packed_cases) + '\n],"pack":[\n' + lines(pack) + "\n]}\n")
    with open(OUT, "w") as f:
        f.write(body)
    print(f"nn21-seq: {len(fam.cases)} cases, {len(packed_cases)} packed, {len(pack)} pack; {len(body) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
