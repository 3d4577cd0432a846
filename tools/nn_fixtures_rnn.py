"""Recurrent and attention fixtures: RNN/LSTM/GRU (stacked, bidirectional, batchFirst, projections,
cells), MultiheadAttention (masks, kdim/vdim, bias_kv, zero-attn) and Transformer layers/stacks."""

from __future__ import annotations

import torch
import torch.nn as tnn

from nn_fixtures_common import M, NNFamily, I



def rnn() -> NNFamily:
    fam = NNFamily("rnn")
    torch.manual_seed(2)

    fam.module_case("tanh 1 layer [5,3,4]", "RNN", [4, 6], tnn.RNN(4, 6), [fam.randn(5, 3, 4)])
    fam.module_case(
        "relu 2 layers with h0", "RNN", [3, 4], tnn.RNN(3, 4, num_layers=2, nonlinearity="relu"),
        [fam.randn(4, 2, 3), fam.randn(2, 2, 4, scale=0.5)], options={"numLayers": 2, "nonlinearity": "relu"},
    )
    fam.module_case(
        "bidirectional batchFirst no bias", "RNN", [3, 4], tnn.RNN(3, 4, bidirectional=True, batch_first=True, bias=False),
        [fam.randn(2, 5, 3)], options={"bidirectional": True, "batchFirst": True, "bias": False},
    )
    fam.module_case("1 layer [6,2,3]", "LSTM", [3, 5], tnn.LSTM(3, 5), [fam.randn(6, 2, 3)])
    fam.module_case(
        "2 layers bidirectional batchFirst with (h0, c0)", "LSTM", [3, 4],
        tnn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
        [fam.randn(2, 5, 3), fam.randn(4, 2, 4, scale=0.5), fam.randn(4, 2, 4, scale=0.5)],
        options={"numLayers": 2, "bidirectional": True, "batchFirst": True},
        forward=lambda m, x, h, c: m(x, (h, c)), call={"args": [I(0), [I(1), I(2)]]},
    )
    fam.module_case(
        "projSize 2", "LSTM", [3, 4], tnn.LSTM(3, 4, proj_size=2, num_layers=2),
        [fam.randn(4, 2, 3)], options={"projSize": 2, "numLayers": 2},
    )
    fam.module_case("unbatched [T, I]", "LSTM", [2, 3], tnn.LSTM(2, 3), [fam.randn(5, 2)])
    fam.module_case(
        "3 layers dropout 0.5 in eval mode", "LSTM", [2, 3], tnn.LSTM(2, 3, num_layers=3, dropout=0.5),
        [fam.randn(4, 2, 2)], options={"numLayers": 3, "dropout": 0.5}, mode="eval",
    )
    fam.module_case("1 layer [5,2,3]", "GRU", [3, 4], tnn.GRU(3, 4), [fam.randn(5, 2, 3)])
    fam.module_case(
        "2 layers bidirectional with h0", "GRU", [3, 3], tnn.GRU(3, 3, num_layers=2, bidirectional=True),
        [fam.randn(4, 2, 3), fam.randn(4, 2, 3, scale=0.5)], options={"numLayers": 2, "bidirectional": True},
    )
    fam.module_case("no bias batchFirst", "GRU", [2, 3], tnn.GRU(2, 3, bias=False, batch_first=True), [fam.randn(3, 4, 2)], options={"bias": False, "batchFirst": True})

    fam.module_case("tanh with h", "RNNCell", [3, 4], tnn.RNNCell(3, 4), [fam.randn(2, 3), fam.randn(2, 4)])
    fam.module_case("relu no h", "RNNCell", [3, 2], tnn.RNNCell(3, 2, nonlinearity="relu"), [fam.randn(4, 3)], options={"nonlinearity": "relu"})
    fam.module_case(
        "with (h, c)", "LSTMCell", [3, 4], tnn.LSTMCell(3, 4), [fam.randn(2, 3), fam.randn(2, 4), fam.randn(2, 4)],
        forward=lambda m, x, h, c: m(x, (h, c)), call={"args": [I(0), [I(1), I(2)]]},
    )
    fam.module_case("unbatched no state", "LSTMCell", [3, 2], tnn.LSTMCell(3, 2), [fam.randn(3)])
    fam.module_case("with h", "GRUCell", [3, 4], tnn.GRUCell(3, 4), [fam.randn(2, 3), fam.randn(2, 4)])
    fam.module_case("no bias", "GRUCell", [2, 3], tnn.GRUCell(2, 3, bias=False), [fam.randn(3, 2)], options={"bias": False})
    return fam


def causal(n: int) -> torch.Tensor:
    return torch.triu(torch.full((n, n), float("-inf")), diagonal=1)


def attention() -> NNFamily:
    fam = NNFamily("attention")
    torch.manual_seed(3)
    E, H = 8, 2

    def mha(**kw):
        m = tnn.MultiheadAttention(E, H, **kw)
        with torch.no_grad():  # non-zero biases so their gradients are tested
            if m.in_proj_bias is not None:
                m.in_proj_bias.copy_(torch.randn(3 * E) * 0.1)
                m.out_proj.bias.copy_(torch.randn(E) * 0.1)
        return m

    x = fam.randn(4, 2, E)
    fam.module_case("self-attention [L,N,E]", "MultiheadAttention", [E, H], mha(), [x], forward=lambda m, q: m(q, q, q), call={"args": [I(0), I(0), I(0)]})
    fam.module_case(
        "cross-attention L=3 S=5", "MultiheadAttention", [E, H], mha(), [fam.randn(3, 2, E), fam.randn(5, 2, E), fam.randn(5, 2, E)],
    )
    kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
    fam.module_case(
        "batchFirst with bool keyPaddingMask", "MultiheadAttention", [E, H], mha(batch_first=True),
        [fam.randn(2, 5, E), kpm], options={"batchFirst": True},
        forward=lambda m, q, k: m(q, q, q, key_padding_mask=k), call={"args": [I(0), I(0), I(0), {"keyPaddingMask": I(1)}]},
    )
    fam.module_case(
        "causal float attnMask", "MultiheadAttention", [E, H], mha(), [x, causal(4)],
        forward=lambda m, q, a: m(q, q, q, attn_mask=a), call={"args": [I(0), I(0), I(0), {"attnMask": I(1)}]}, grad=[True, False],
    )
    fam.module_case(
        "isCausal (torch: the explicit mask)", "MultiheadAttention", [E, H], mha(), [x],
        forward=lambda m, q: m(q, q, q, attn_mask=causal(4).to(q.dtype)), call={"args": [I(0), I(0), I(0), {"isCausal": True}]},
    )
    bool3 = torch.rand(2 * H, 4, 4, generator=fam.gen) < 0.3
    bool3[..., 0] = False  # no fully masked row
    fam.module_case(
        "3-D bool attnMask plus keyPaddingMask, per-head weights", "MultiheadAttention", [E, H], mha(),
        [x, bool3, torch.tensor([[False, False, True, False], [False, False, False, False]])],
        forward=lambda m, q, a, k: m(q, q, q, attn_mask=a, key_padding_mask=k, average_attn_weights=False),
        call={"args": [I(0), I(0), I(0), {"attnMask": I(1), "keyPaddingMask": I(2), "averageAttnWeights": False}]},
    )
    fam.module_case(
        "kdim 5 vdim 3 (separate projections)", "MultiheadAttention", [E, H], mha(kdim=5, vdim=3),
        [fam.randn(3, 2, E), fam.randn(4, 2, 5), fam.randn(4, 2, 3)], options={"kdim": 5, "vdim": 3},
    )
    fam.module_case(
        "addBiasKv addZeroAttn with keyPaddingMask", "MultiheadAttention", [E, H], mha(add_bias_kv=True, add_zero_attn=True),
        [x, torch.tensor([[False, True, False, False], [False, False, False, True]])], options={"addBiasKv": True, "addZeroAttn": True},
        forward=lambda m, q, k: m(q, q, q, key_padding_mask=k), call={"args": [I(0), I(0), I(0), {"keyPaddingMask": I(1)}]},
    )
    fam.module_case(
        "no bias needWeights false", "MultiheadAttention", [E, H], mha(bias=False), [x], options={"bias": False},
        forward=lambda m, q: m(q, q, q, need_weights=False), call={"args": [I(0), I(0), I(0), {"needWeights": False}]},
    )
    fam.module_case("unbatched [L,E]", "MultiheadAttention", [E, H], mha(), [fam.randn(3, E)], forward=lambda m, q: m(q, q, q), call={"args": [I(0), I(0), I(0)]})
    fam.module_case(
        "dropout 0.5 in eval mode", "MultiheadAttention", [E, H], mha(dropout=0.5), [x], options={"dropout": 0.5}, mode="eval",
        forward=lambda m, q: m(q, q, q), call={"args": [I(0), I(0), I(0)]},
    )

    # ---- Transformer layers (dropout 0 in training mode, or eval mode, so they are deterministic) ----
    ff = 16
    enc_opts = {"dimFeedforward": ff, "dropout": 0}
    fam.module_case(
        "post-norm relu", "TransformerEncoderLayer", [E, H], tnn.TransformerEncoderLayer(E, H, ff, dropout=0.0),
        [fam.randn(5, 2, E)], options=enc_opts,
    )
    fam.module_case(
        "pre-norm gelu batchFirst with srcKeyPaddingMask", "TransformerEncoderLayer", [E, H],
        tnn.TransformerEncoderLayer(E, H, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
        [fam.randn(2, 5, E), torch.tensor([[False] * 5, [False, False, False, True, True]])],
        options={**enc_opts, "activation": "gelu", "batchFirst": True, "normFirst": True},
        forward=lambda m, s, k: m(s, src_key_padding_mask=k), call={"args": [I(0), {"srcKeyPaddingMask": I(1)}]},
    )
    fam.module_case(
        "causal srcMask, dropout 0.1 in eval mode", "TransformerEncoderLayer", [E, H],
        tnn.TransformerEncoderLayer(E, H, ff, dropout=0.1), [fam.randn(4, 2, E), causal(4)],
        options={"dimFeedforward": ff, "dropout": 0.1}, mode="eval",
        forward=lambda m, s, a: m(s, src_mask=a), call={"args": [I(0), {"srcMask": I(1)}]}, grad=[True, False],
    )
    fam.module_case(
        "post-norm relu with causal tgtMask and memoryKeyPaddingMask", "TransformerDecoderLayer", [E, H],
        tnn.TransformerDecoderLayer(E, H, ff, dropout=0.0),
        [fam.randn(4, 2, E), fam.randn(5, 2, E), causal(4), torch.tensor([[False, False, False, False, True], [False] * 5])],
        options=enc_opts,
        forward=lambda m, t, mem, tm, mk: m(t, mem, tgt_mask=tm, memory_key_padding_mask=mk),
        call={"args": [I(0), I(1), {"tgtMask": I(2), "memoryKeyPaddingMask": I(3)}]}, grad=[True, True, False, False],
    )
    fam.module_case(
        "pre-norm gelu batchFirst tgtIsCausal", "TransformerDecoderLayer", [E, H],
        tnn.TransformerDecoderLayer(E, H, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
        [fam.randn(2, 3, E), fam.randn(2, 4, E)],
        options={**enc_opts, "activation": "gelu", "batchFirst": True, "normFirst": True},
        forward=lambda m, t, mem: m(t, mem, tgt_mask=causal(3).to(t.dtype)), call={"args": [I(0), I(1), {"tgtIsCausal": True}]},
    )
    layer = tnn.TransformerEncoderLayer(E, H, ff, dropout=0.0)
    fam.module_case(
        "2 layers + final norm", "TransformerEncoder", [M("TransformerEncoderLayer", E, H, enc_opts), 2],
        tnn.TransformerEncoder(layer, 2, norm=tnn.LayerNorm(E), enable_nested_tensor=False),
        [fam.randn(4, 2, E), causal(4)], options={"norm": M("LayerNorm", E)},
        forward=lambda m, s, a: m(s, mask=a), call={"args": [I(0), {"mask": I(1)}]}, grad=[True, False],
    )
    dlayer = tnn.TransformerDecoderLayer(E, H, ff, dropout=0.0, norm_first=True)
    stack = tnn.TransformerDecoder(dlayer, 2)
    with torch.no_grad():  # the stack deep-copies one layer: make the copies differ
        for p in stack.parameters():
            p.add_(torch.randn(p.shape) * 0.05)
    fam.module_case(
        "2 pre-norm layers", "TransformerDecoder", [M("TransformerDecoderLayer", E, H, {**enc_opts, "normFirst": True}), 2],
        stack, [fam.randn(3, 2, E), fam.randn(4, 2, E)],
    )
    return fam
