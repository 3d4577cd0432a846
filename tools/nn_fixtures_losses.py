"""Loss fixtures: every loss, each reduction and option, against torch.nn.functional (or, where torch
has no such loss — SVM hinge, squared hinge, Crammer–Singer — against its textbook formula written
with torch ops)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nn_fixtures_common import I32, NNFamily, I

REDUCTIONS = ("none", "mean", "sum")


def losses() -> NNFamily:
    fam = NNFamily("losses")

    def case(name, fn, cls, inputs, torch_fn, options=None, args=None, grad=True):
        call = {"args": args if args is not None else [I(i) for i in range(len(inputs))]}
        if options:
            call["options"] = options
        fam.fn_case(name, fn, inputs, torch_fn, call=call, cls=cls, grad=grad)

    # ---- regression ----
    x, y = fam.randn(4, 3), fam.randn(4, 3)
    for r in REDUCTIONS:
        case(f"reduction {r}", "mseLoss", "MSELoss", [x, y], lambda a, b, r=r: F.mse_loss(a, b, reduction=r), {"reduction": r})
        case(f"reduction {r}", "l1Loss", "L1Loss", [x, y], lambda a, b, r=r: F.l1_loss(a, b, reduction=r), {"reduction": r})
    xs, ys = fam.randn(3, 5, scale=2), fam.randn(3, 5, scale=2)
    for beta in (1.0, 0.5, 0.0):
        for r in REDUCTIONS:
            case(f"beta {beta} reduction {r}", "smoothL1Loss", "SmoothL1Loss", [xs, ys], lambda a, b, r=r, beta=beta: F.smooth_l1_loss(a, b, reduction=r, beta=beta), {"reduction": r, "beta": beta})
    for delta in (1.0, 2.5):
        for r in REDUCTIONS:
            case(f"delta {delta} reduction {r}", "huberLoss", "HuberLoss", [xs, ys], lambda a, b, r=r, d=delta: F.huber_loss(a, b, reduction=r, delta=d), {"reduction": r, "delta": delta})
    rate = fam.randn(4, 3, scale=0.5)
    counts = torch.tensor([[0, 1, 3], [2, 0, 5], [1, 1, 0], [4, 2, 1]], dtype=torch.float32)
    for r in REDUCTIONS:
        case(f"logInput reduction {r}", "poissonNllLoss", "PoissonNLLLoss", [rate, counts], lambda a, b, r=r: F.poisson_nll_loss(a, b, reduction=r), {"reduction": r}, grad=[True, False])
    case("logInput full", "poissonNllLoss", "PoissonNLLLoss", [rate, counts], lambda a, b: F.poisson_nll_loss(a, b, full=True), {"full": True}, grad=[True, False])
    pos = fam.uniform(0.1, 3, 4, 3)
    case("rates (logInput false) full sum", "poissonNllLoss", "PoissonNLLLoss", [pos, counts], lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True, reduction="sum"), {"logInput": False, "full": True, "reduction": "sum"}, grad=[True, False])
    mu, tgt, var = fam.randn(4, 3), fam.randn(4, 3), fam.uniform(0.2, 2, 4, 3)
    for r in REDUCTIONS:
        case(f"same-shape var reduction {r}", "gaussianNllLoss", "GaussianNLLLoss", [mu, tgt, var], lambda a, b, v, r=r: F.gaussian_nll_loss(a, b, v, reduction=r), {"reduction": r})
    case("var [N] (one per sample) full", "gaussianNllLoss", "GaussianNLLLoss", [mu, tgt, fam.uniform(0.2, 2, 4)], lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True), {"full": True})
    case("var [N,1]", "gaussianNllLoss", "GaussianNLLLoss", [mu, tgt, fam.uniform(0.2, 2, 4, 1)], lambda a, b, v: F.gaussian_nll_loss(a, b, v))
    small = torch.tensor([[1e-8, 0.5, 2.0], [0.0, 1.0, 1e-3]])
    case("var below eps is clamped (gradient passes)", "gaussianNllLoss", "GaussianNLLLoss", [fam.randn(2, 3), fam.randn(2, 3), small], lambda a, b, v: F.gaussian_nll_loss(a, b, v, eps=1e-4), {"eps": 1e-4})

    # ---- binary classification ----
    p = fam.uniform(0.02, 0.98, 4, 3)
    t = (torch.rand(4, 3, generator=fam.gen) < 0.5).float()
    w = fam.uniform(0.5, 2, 4, 3)
    for r in REDUCTIONS:
        case(f"reduction {r}", "binaryCrossEntropy", "BCELoss", [p, t], lambda a, b, r=r: F.binary_cross_entropy(a, b, reduction=r), {"reduction": r}, grad=[True, False])
    case("weight, soft targets", "binaryCrossEntropy", "BCELoss", [p, fam.uniform(0, 1, 4, 3), w], lambda a, b, ww: F.binary_cross_entropy(a, b, weight=ww), {"weight": I(2)}, args=[I(0), I(1)], grad=[True, False, False])
    case("probabilities 0 and 1 clamp the log at -100", "binaryCrossEntropy", "BCELoss", [torch.tensor([0.0, 1.0, 0.5, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0])], lambda a, b: F.binary_cross_entropy(a, b, reduction="none"), {"reduction": "none"}, grad=False)
    z = fam.randn(4, 3, scale=3)
    for r in REDUCTIONS:
        case(f"reduction {r}", "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss", [z, t], lambda a, b, r=r: F.binary_cross_entropy_with_logits(a, b, reduction=r), {"reduction": r}, grad=[True, False])
    pw = torch.tensor([2.0, 0.5, 3.0])
    case("posWeight per class", "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss", [z, t, pw], lambda a, b, q: F.binary_cross_entropy_with_logits(a, b, pos_weight=q), {"posWeight": I(2)}, args=[I(0), I(1)], grad=[True, False, False])
    case("weight and posWeight, reduction sum", "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss", [z, t, w, pw], lambda a, b, ww, q: F.binary_cross_entropy_with_logits(a, b, weight=ww, pos_weight=q, reduction="sum"), {"weight": I(2), "posWeight": I(3), "reduction": "sum"}, args=[I(0), I(1)], grad=[True, False, False, False])
    case("large logits stay finite", "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss", [torch.tensor([100.0, -100.0, 30.0, -30.0]), torch.tensor([0.0, 1.0, 1.0, 0.0])], lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), {"reduction": "none"}, grad=[True, False])
    pm = torch.tensor([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [1.0, 1.0, -1.0], [-1.0, 1.0, 1.0]])
    for r in REDUCTIONS:
        case(f"reduction {r}", "hingeLoss", "HingeLoss", [z, pm], lambda a, b, r=r: _reduce(torch.clamp_min(1 - b * a, 0), r), {"reduction": r}, grad=[True, False])
        case(f"reduction {r}", "squaredHingeLoss", "SquaredHingeLoss", [z, pm], lambda a, b, r=r: _reduce(torch.clamp_min(1 - b * a, 0) ** 2, r), {"reduction": r}, grad=[True, False])
        case(f"reduction {r}", "hingeEmbeddingLoss", "HingeEmbeddingLoss", [z, pm], lambda a, b, r=r: F.hinge_embedding_loss(a, b, reduction=r), {"reduction": r}, grad=[True, False])
        case(f"reduction {r}", "softMarginLoss", "SoftMarginLoss", [z, pm], lambda a, b, r=r: F.soft_margin_loss(a, b, reduction=r), {"reduction": r}, grad=[True, False])
    case("margin 2", "hingeLoss", "HingeLoss", [z, pm], lambda a, b: torch.clamp_min(2 - b * a, 0).mean(), {"margin": 2}, grad=[True, False])
    case("margin 0.5", "squaredHingeLoss", "SquaredHingeLoss", [z, pm], lambda a, b: (torch.clamp_min(0.5 - b * a, 0) ** 2).mean(), {"margin": 0.5}, grad=[True, False])
    case("margin 2", "hingeEmbeddingLoss", "HingeEmbeddingLoss", [z, pm], lambda a, b: F.hinge_embedding_loss(a, b, margin=2.0), {"margin": 2}, grad=[True, False])

    # ---- multi-class ----
    logits = fam.randn(5, 4, scale=2)
    labels = torch.tensor([0, 3, 1, 3, 2], dtype=I32)
    cw = torch.tensor([1.0, 2.0, 0.5, 3.0])
    ce = lambda **kw: (lambda a, b, *rest: F.cross_entropy(a, b.long() if b.dtype == I32 else b, **kw))  # noqa: E731
    for r in REDUCTIONS:
        case(f"indices reduction {r}", "crossEntropy", "CrossEntropyLoss", [logits, labels], ce(reduction=r), {"reduction": r})
        case(f"indices class weights reduction {r} (weighted mean)", "crossEntropy", "CrossEntropyLoss", [logits, labels, cw], lambda a, b, ww, r=r: F.cross_entropy(a, b.long(), weight=ww, reduction=r), {"weight": I(2), "reduction": r}, args=[I(0), I(1)], grad=[True, False, False])
        case(f"labelSmoothing 0.1 reduction {r}", "crossEntropy", "CrossEntropyLoss", [logits, labels], ce(reduction=r, label_smoothing=0.1), {"reduction": r, "labelSmoothing": 0.1})
    ign = torch.tensor([0, -100, 1, 3, -100], dtype=I32)
    case("ignoreIndex -100 (default)", "crossEntropy", "CrossEntropyLoss", [logits, ign], ce())
    ign2 = torch.tensor([0, 2, 1, 2, 3], dtype=I32)
    case("ignoreIndex 2 with weights", "crossEntropy", "CrossEntropyLoss", [logits, ign2, cw], lambda a, b, ww: F.cross_entropy(a, b.long(), weight=ww, ignore_index=2), {"weight": I(2), "ignoreIndex": 2}, args=[I(0), I(1)], grad=[True, False, False])
    for r in REDUCTIONS:
        case(f"ignoreIndex, weights and labelSmoothing 0.2, reduction {r}", "crossEntropy", "CrossEntropyLoss", [logits, ign2, cw], lambda a, b, ww, r=r: F.cross_entropy(a, b.long(), weight=ww, ignore_index=2, label_smoothing=0.2, reduction=r), {"weight": I(2), "ignoreIndex": 2, "labelSmoothing": 0.2, "reduction": r}, args=[I(0), I(1)], grad=[True, False, False])
    probs = torch.softmax(fam.randn(5, 4), 1)
    for r in REDUCTIONS:
        case(f"probabilities reduction {r}", "crossEntropy", "CrossEntropyLoss", [logits, probs], ce(reduction=r), {"reduction": r}, grad=[True, False])
    case("probabilities with weights and labelSmoothing 0.3", "crossEntropy", "CrossEntropyLoss", [logits, probs, cw], lambda a, b, ww: F.cross_entropy(a, b, weight=ww, label_smoothing=0.3), {"weight": I(2), "labelSmoothing": 0.3}, args=[I(0), I(1)], grad=[True, False, False])
    seg = fam.randn(2, 3, 2, 2)
    segt = torch.tensor([[[0, 2], [1, 1]], [[2, -100], [0, 1]]], dtype=I32)
    case("[N,C,H,W] logits with [N,H,W] targets", "crossEntropy", "CrossEntropyLoss", [seg, segt], ce())
    case("[N,C,H,W] reduction none", "crossEntropy", "CrossEntropyLoss", [seg, segt], ce(reduction="none"), {"reduction": "none"})
    case("unbatched [C] with a scalar target", "crossEntropy", "CrossEntropyLoss", [fam.randn(4), torch.tensor(2, dtype=I32)], ce())
    lp = torch.log_softmax(logits, 1)
    for r in REDUCTIONS:
        case(f"reduction {r}", "nllLoss", "NLLLoss", [lp, ign], lambda a, b, r=r: F.nll_loss(a, b.long(), reduction=r), {"reduction": r})
    case("weights, ignoreIndex 3", "nllLoss", "NLLLoss", [lp, labels, cw], lambda a, b, ww: F.nll_loss(a, b.long(), weight=ww, ignore_index=3), {"weight": I(2), "ignoreIndex": 3}, args=[I(0), I(1)], grad=[True, False, False])

    q = torch.softmax(fam.randn(3, 4), 1)
    q[0, 1] = 0.0  # xlogy(0, 0) = 0
    lq = torch.log_softmax(fam.randn(3, 4), 1)
    for r in ("none", "mean", "sum", "batchmean"):
        case(f"reduction {r}", "klDiv", "KLDivLoss", [lq, q], lambda a, b, r=r: F.kl_div(a, b, reduction=r), {"reduction": r}, grad=[True, False])
    case("logTarget batchmean", "klDiv", "KLDivLoss", [lq, torch.log_softmax(fam.randn(3, 4), 1)], lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True), {"reduction": "batchmean", "logTarget": True})

    for r in REDUCTIONS:
        case(f"p 1 margin 1 reduction {r}", "multiMarginLoss", "MultiMarginLoss", [logits, labels], lambda a, b, r=r: F.multi_margin_loss(a, b.long(), reduction=r), {"reduction": r})
    case("p 2 margin 0.5 weights", "multiMarginLoss", "MultiMarginLoss", [logits, labels, cw], lambda a, b, ww: F.multi_margin_loss(a, b.long(), p=2, margin=0.5, weight=ww), {"p": 2, "margin": 0.5, "weight": I(2)}, args=[I(0), I(1)], grad=[True, False, False])
    case("unbatched [C]", "multiMarginLoss", "MultiMarginLoss", [fam.randn(4), torch.tensor(1, dtype=I32)], lambda a, b: F.multi_margin_loss(a, b.long()))

    def crammer(a, b, margin=1.0, r="mean"):
        onehot = F.one_hot(b.long(), a.shape[-1]).bool()
        others = a.masked_fill(onehot, float("-inf")).amax(-1)
        xy = a.gather(-1, b.long().unsqueeze(-1)).squeeze(-1)
        return _reduce(torch.clamp_min(margin + others - xy, 0), r)

    for r in REDUCTIONS:
        case(f"reduction {r}", "crammerSingerLoss", "CrammerSingerLoss", [logits, labels], lambda a, b, r=r: crammer(a, b, r=r), {"reduction": r})
    case("margin 3", "crammerSingerLoss", "CrammerSingerLoss", [logits, labels], lambda a, b: crammer(a, b, 3.0), {"margin": 3})

    # ---- metric learning ----
    a1, a2 = fam.randn(6), fam.randn(6)
    sgn = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    for r in REDUCTIONS:
        case(f"margin 0 reduction {r}", "marginRankingLoss", "MarginRankingLoss", [a1, a2, sgn], lambda u, v, s, r=r: F.margin_ranking_loss(u, v, s, reduction=r), {"reduction": r}, grad=[True, True, False])
    case("margin 0.5", "marginRankingLoss", "MarginRankingLoss", [a1, a2, sgn], lambda u, v, s: F.margin_ranking_loss(u, v, s, margin=0.5), {"margin": 0.5}, grad=[True, True, False])
    e1, e2 = fam.randn(4, 5), fam.randn(4, 5)
    lab = torch.tensor([1, -1, -1, 1], dtype=I32)
    for r in REDUCTIONS:
        case(f"margin 0 reduction {r}", "cosineEmbeddingLoss", "CosineEmbeddingLoss", [e1, e2, lab], lambda u, v, s, r=r: F.cosine_embedding_loss(u, v, s, reduction=r), {"reduction": r})
    case("margin 0.2", "cosineEmbeddingLoss", "CosineEmbeddingLoss", [e1, e2, lab], lambda u, v, s: F.cosine_embedding_loss(u, v, s, margin=0.2), {"margin": 0.2})
    an, po, ne = fam.randn(4, 5), fam.randn(4, 5), fam.randn(4, 5)
    for r in REDUCTIONS:
        case(f"margin 1 p 2 reduction {r}", "tripletMarginLoss", "TripletMarginLoss", [an, po, ne], lambda u, v, w_, r=r: F.triplet_margin_loss(u, v, w_, reduction=r), {"reduction": r})
    case("p 1 margin 2 swap", "tripletMarginLoss", "TripletMarginLoss", [an, po, ne], lambda u, v, w_: F.triplet_margin_loss(u, v, w_, p=1, margin=2.0, swap=True), {"p": 1, "margin": 2, "swap": True})
    case("p 3 eps 1e-3", "tripletMarginLoss", "TripletMarginLoss", [an, po, ne], lambda u, v, w_: F.triplet_margin_loss(u, v, w_, p=3, eps=1e-3), {"p": 3, "eps": 1e-3})

    # ---- CTC: gradients w.r.t. the logits (torch's ctc backward assumes log_softmax inputs) ----
    T, N, C = 6, 2, 5
    ctc_logits = fam.randn(T, N, C)
    targets = torch.tensor([[1, 2, 2], [3, 1, 0]], dtype=I32)
    in_lens, tg_lens = [6, 5], [3, 2]

    def ctc(**kw):
        return lambda z, tg: F.ctc_loss(torch.log_softmax(z, 2), tg.long(), in_lens, tg_lens, **kw)

    for r in REDUCTIONS:
        case(f"padded targets reduction {r}", "ctcLoss", "CTCLoss", [ctc_logits, targets], ctc(reduction=r), {"reduction": r}, args=[_logsm(0), I(1), in_lens, tg_lens])
    flat = torch.tensor([1, 2, 2, 3, 1], dtype=I32)
    case("concatenated targets, blank 4", "ctcLoss", "CTCLoss", [ctc_logits, flat], lambda z, tg: F.ctc_loss(torch.log_softmax(z, 2), tg.long(), in_lens, tg_lens, blank=4, reduction="sum"), {"blank": 4, "reduction": "sum"}, args=[_logsm(0), I(1), in_lens, tg_lens])
    imp = torch.tensor([[1, 1, 1], [2, 0, 0]], dtype=I32)
    case("impossible alignment is inf; zeroInfinity", "ctcLoss", "CTCLoss", [fam.randn(4, 2, 3), imp], lambda z, tg: F.ctc_loss(torch.log_softmax(z, 2), tg.long(), [4, 4], [3, 1], zero_infinity=True, reduction="none"), {"zeroInfinity": True, "reduction": "none"}, args=[_logsm(0), I(1), [4, 4], [3, 1]])
    case("impossible alignment gives Infinity", "ctcLoss", "CTCLoss", [fam.randn(2, 1, 3), torch.tensor([[1, 1]], dtype=I32)], lambda z, tg: F.ctc_loss(torch.log_softmax(z, 2), tg.long(), [2], [2], reduction="none"), {"reduction": "none"}, args=[_logsm(0), I(1), [2], [2]], grad=False)
    case("empty target", "ctcLoss", "CTCLoss", [fam.randn(3, 2, 3), torch.tensor([[1], [2]], dtype=I32)], lambda z, tg: F.ctc_loss(torch.log_softmax(z, 2), tg.long(), [3, 3], [0, 1], reduction="none"), {"reduction": "none"}, args=[_logsm(0), I(1), [3, 3], [0, 1]])
    return fam


def _logsm(i: int) -> dict:
    """Our call applies logSoftmax over the class dim to input i first (see losses.test.ts)."""
    return {"$logSoftmax": i}


def _reduce(t: torch.Tensor, r: str) -> torch.Tensor:
    return t if r == "none" else t.sum() if r == "sum" else t.mean()
