#!/usr/bin/env python3
"""Golden numbers for @myelin/zoo-transformer, from plain PyTorch 1.13 (no Myelin code).

Builds a tiny GPT (nanoGPT's layout and names: transformer.wte/wpe/h.i.{ln_1,attn.c_attn,attn.c_proj,
ln_2,mlp.c_fc,mlp.c_proj}/ln_f, lm_head tied to wte), a rotary-position variant (GPT-NeoX
rotate-half RoPE) and a tiny ViT (timm names: patch_embed.proj, cls_token, pos_embed, blocks.i, norm,
head), with seeded weights; writes the weights, inputs, logits, the gradients of a cross-entropy loss
and greedy continuations to packages/zoo-transformer/fixtures/transformer.json.

Run: /usr/bin/python3 tools/gen_transformer_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)  # golden values in double precision, compared in float32


def rotary(x, offset=0):
    # x (B, H, T, D): RoFormer's rotation, GPT-NeoX rotate-half pairing (i with i + D/2)
    B, H, T, D = x.shape
    half = D // 2
    inv = 10000 ** (-torch.arange(0, half, dtype=x.dtype) * 2 / D)
    pos = torch.arange(offset, offset + T, dtype=x.dtype)
    ang = pos[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)
    sin = torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Attn(nn.Module):
    def __init__(self, C, H, rope):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.H, self.rope = H, rope

    def forward(self, x, causal):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        if self.rope:
            q, k = rotary(q), rotary(k)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.H)
        if causal:
            att = att.masked_fill(torch.ones(T, T).tril() == 0, float('-inf'))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class Mlp(nn.Module):
    def __init__(self, C, hidden):
        super().__init__()
        self.c_fc = nn.Linear(C, hidden)
        self.c_proj = nn.Linear(hidden, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, C, H, hidden, rope=False, eps=1e-5):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=eps)
        self.attn = Attn(C, H, rope)
        self.ln_2 = nn.LayerNorm(C, eps=eps)
        self.mlp = Mlp(C, hidden)

    def forward(self, x, causal):
        x = x + self.attn(self.ln_1(x), causal)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, V, T, L, H, C, hidden, rope):
        super().__init__()
        self.rope = rope
        d = dict(wte=nn.Embedding(V, C), h=nn.ModuleList([Block(C, H, hidden, rope) for _ in range(L)]),
                 ln_f=nn.LayerNorm(C))
        if not rope:
            d['wpe'] = nn.Embedding(T, C)
        self.transformer = nn.ModuleDict(d)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx):
        T = idx.shape[1]
        x = self.transformer.wte(idx)
        if not self.rope:
            x = x + self.transformer.wpe(torch.arange(T))
        for b in self.transformer.h:
            x = b(x, True)
        return self.lm_head(self.transformer.ln_f(x))


class ViT(nn.Module):
    def __init__(self, image, patch, C, depth, H, hidden, classes):
        super().__init__()
        n = (image // patch) ** 2
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(1, C, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, C))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, C))
        self.blocks = nn.ModuleList([Block(C, H, hidden, eps=1e-6) for _ in range(depth)])
        self.norm = nn.LayerNorm(C, eps=1e-6)
        self.head = nn.Linear(C, classes)

    def forward(self, img):
        B = img.shape[0]
        x = self.patch_embed.proj(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(B, -1, -1), x], 1) + self.pos_embed
        for b in self.blocks:
            x = b(x, False)
        return self.head(self.norm(x)[:, 0])


def randomize(model):
    # every parameter N(0, 0.3²), layer-norm weights around 1, so no part is trivial
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith(('ln_1.weight', 'ln_2.weight', 'ln_f.weight', 'norm.weight')) else 0.0))


def r(values):
    # 9 significant digits: float32's precision, a third of the file
    return [float('%.9g' % v) for v in values]


def state(model):
    # the state dict as PyTorch lists it (tied lm_head.weight included)
    return {k: {'shape': list(v.shape), 'values': r(v.flatten().tolist())} for k, v in model.state_dict().items()}


def grads(model):
    return {k: r(p.grad.flatten().tolist()) for k, p in model.named_parameters()}


def gpt_case(rope):
    V, T, L, H, C, hidden = 11, 8, 2, 2, 16, 40
    m = GPT(V, T, L, H, C, hidden, rope)
    randomize(m)
    idx = torch.randint(0, V, (2, 7))
    targets = torch.randint(0, V, (2, 7))
    logits = m(idx)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    # greedy continuation of a 3-token prompt to the full context, re-reading the context each step
    with torch.no_grad():
        seq = [3, 1, 4]
        while len(seq) < T:
            seq.append(int(m(torch.tensor([seq]))[0, -1].argmax()))
    return {
        'config': {'vocabSize': V, 'blockSize': T, 'nLayer': L, 'nHead': H, 'nEmbd': C, 'hidden': hidden,
                   'positions': 'rotary' if rope else 'learned'},
        'state': state(m),
        'ids': idx.flatten().tolist(), 'shape': list(idx.shape),
        'targets': targets.flatten().tolist(),
        'logits': r(logits.detach().flatten().tolist()),
        'loss': loss.item(),
        'grads': grads(m),
        'greedy': {'prompt': [3, 1, 4], 'tokens': seq[3:]},
    }


def vit_case():
    m = ViT(8, 4, 16, 2, 2, 32, 3)
    randomize(m)
    img = torch.rand(2, 1, 8, 8)
    labels = torch.tensor([2, 0])
    logits = m(img)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return {
        'config': {'imageSize': 8, 'patchSize': 4, 'channels': 1, 'width': 16, 'depth': 2, 'heads': 2,
                   'hidden': 32, 'numClasses': 3},
        'state': state(m),
        'images': r(img.flatten().tolist()), 'shape': list(img.shape),
        'labels': labels.tolist(),
        'logits': r(logits.detach().flatten().tolist()),
        'loss': loss.item(),
        'grads': grads(m),
    }


out = {
    'torch': torch.__version__,
    'gpt': gpt_case(False),
    'gptRotary': gpt_case(True),
    'vit': vit_case(),
}
path = os.path.join(os.path.dirname(__file__), '..', 'packages', 'zoo-transformer', 'fixtures', 'transformer.json')
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path))


# ---------------------------------------------------------------------------------------------
# BERT (fixtures/bert.json): a tiny post-norm encoder in Hugging Face BertModel's names, written in
# plain torch (no transformers package), with an MLM head tied to the word embeddings and a pooler +
# classifier. Built after transformer.json is written, with its own seed, so that file is unchanged.

torch.manual_seed(1)


class BertSelfAttention(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(C, C), nn.Linear(C, C), nn.Linear(C, C)
        self.H = H

    def forward(self, x, keep):
        B, T, C = x.shape
        q, k, v = (l(x).view(B, T, self.H, C // self.H).transpose(1, 2) for l in (self.query, self.key, self.value))
        s = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.H)
        s = s.masked_fill(~keep[:, None, None, :], float('-inf'))
        p = F.softmax(s, dim=-1)
        return (p @ v).transpose(1, 2).reshape(B, T, C), p


class DenseNorm(nn.Module):
    # BertSelfOutput / BertOutput: LayerNorm(residual + dense(h))
    def __init__(self, cin, C, eps):
        super().__init__()
        self.dense = nn.Linear(cin, C)
        self.LayerNorm = nn.LayerNorm(C, eps=eps)

    def forward(self, h, residual):
        return self.LayerNorm(residual + self.dense(h))


class BertLayer(nn.Module):
    def __init__(self, C, H, I, eps):
        super().__init__()
        self.attention = nn.Module()
        self.attention.self = BertSelfAttention(C, H)
        self.attention.output = DenseNorm(C, C, eps)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(C, I)
        self.output = DenseNorm(I, C, eps)

    def forward(self, x, keep):
        a, p = self.attention.self(x, keep)
        x = self.attention.output(a, x)
        return self.output(F.gelu(self.intermediate.dense(x)), x), p


class Bert(nn.Module):
    def __init__(self, V, P, types, C, L, H, I, labels, eps=1e-12):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(V, C)
        self.embeddings.position_embeddings = nn.Embedding(P, C)
        self.embeddings.token_type_embeddings = nn.Embedding(types, C)
        self.embeddings.LayerNorm = nn.LayerNorm(C, eps=eps)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList([BertLayer(C, H, I, eps) for _ in range(L)])
        self.pooler = nn.Module()
        self.pooler.dense = nn.Linear(C, C)
        self.cls = nn.Module()
        self.cls.predictions = nn.Module()
        self.cls.predictions.transform = nn.Module()
        self.cls.predictions.transform.dense = nn.Linear(C, C)
        self.cls.predictions.transform.LayerNorm = nn.LayerNorm(C, eps=eps)
        self.cls.predictions.bias = nn.Parameter(torch.zeros(V))
        self.classifier = nn.Linear(C, labels)

    def forward(self, ids, types, keep):
        e = self.embeddings
        T = ids.shape[1]
        x = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(torch.arange(T)) + e.token_type_embeddings(types))
        probs = []
        for layer in self.encoder.layer:
            x, p = layer(x, keep)
            probs.append(p)
        pooled = torch.tanh(self.pooler.dense(x[:, 0]))
        return x, pooled, probs

    def mlm(self, hidden):
        t = self.cls.predictions.transform
        h = t.LayerNorm(F.gelu(t.dense(hidden)))
        return h @ self.embeddings.word_embeddings.weight.T + self.cls.predictions.bias


def bert_case():
    V, P, n_types, C, L, H, I, labels = 13, 8, 2, 16, 2, 2, 24, 3
    m = Bert(V, P, n_types, C, L, H, I, labels)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith('LayerNorm.weight') else 0.0))
    ids = torch.tensor([[1, 5, 4, 9, 12, 2], [1, 7, 3, 2, 0, 0]])
    types = torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0]])
    keep = torch.tensor([[True] * 6, [True, True, True, True, False, False]])
    positions = [1, 4, 8]  # flat (batch · time) positions whose tokens the MLM head predicts
    mlm_targets = torch.tensor([6, 10, 11])
    cls_labels = torch.tensor([2, 0])
    hidden, pooled, probs = m(ids, types, keep)
    mlm_logits = m.mlm(hidden.reshape(-1, C)[positions])
    cls_logits = m.classifier(pooled)
    loss = F.cross_entropy(mlm_logits, mlm_targets) + F.cross_entropy(cls_logits, cls_labels)
    loss.backward()
    return {
        'config': {'vocabSize': V, 'maxPositions': P, 'typeVocabSize': n_types, 'hiddenSize': C, 'numLayers': L,
                   'numHeads': H, 'intermediateSize': I, 'numLabels': labels},
        'state': state(m),
        'ids': ids.flatten().tolist(), 'tokenTypes': types.flatten().tolist(),
        'keep': [int(b) for b in keep.flatten().tolist()], 'shape': list(ids.shape),
        'hidden': r(hidden.detach().flatten().tolist()),
        'attention': [r(p.detach().flatten().tolist()) for p in probs],
        'positions': positions, 'mlmTargets': mlm_targets.tolist(), 'labels': cls_labels.tolist(),
        'mlmLogits': r(mlm_logits.detach().flatten().tolist()),
        'clsLogits': r(cls_logits.detach().flatten().tolist()),
        'loss': loss.item(),
        'grads': grads(m),
    }


path = os.path.join(os.path.dirname(__file__), '..', 'packages', 'zoo-transformer', 'fixtures', 'bert.json')
with open(path, 'w') as f:
    json.dump({'torch': torch.__version__, 'bert': bert_case()}, f)
print('wrote', os.path.normpath(path))
