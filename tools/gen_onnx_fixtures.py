#!/usr/bin/env python3
"""Export small PyTorch 1.13 models with torch.onnx.export (opset 17) and record their outputs.

Writes packages/onnx/fixtures/torch_<name>.json: the .onnx file (base64); for batch sizes 1 and 3
the inputs and PyTorch's outputs; and one SGD step (lr 0.1, mean squared error to a random target)
with the loss before it and the outputs after it. For @myelin/onnx's import tests (which need no
Python). Opset 17 is the highest torch.onnx.export writes in PyTorch 1.13.

Run with Debian's Python, which has torch: /usr/bin/python3 tools/gen_onnx_fixtures.py
"""
import base64
import io
import json
import os

import torch
import torch.nn as nn

OPSET = 17
OUT = os.path.join(os.path.dirname(__file__), '..', 'packages', 'onnx', 'fixtures')


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return torch.log_softmax(self.fc2(torch.tanh(self.fc1(x))), dim=-1)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2)
        self.bn2 = nn.BatchNorm1d(6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.relu(self.conv2(x))
        x = self.bn2(torch.flatten(x, 1))
        return self.fc(x)


class LstmClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 8)
        self.layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.layer(self.proj(x)).mean(dim=1))


def randomize_bn(m, g):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g) * 0.3)
            mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) + 0.5)
            mod.weight.data.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
            mod.bias.data.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)


def export(name, model, shape):
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        randomize_bn(model, g)
    model.eval()
    example = torch.randn((2, *shape), generator=g)
    buf = io.BytesIO()
    torch.onnx.export(
        model, (example,), buf, opset_version=OPSET, input_names=['x'], output_names=['y'],
        dynamic_axes={'x': {0: 'N'}, 'y': {0: 'N'}},
    )
    cases = []
    with torch.no_grad():
        for n in (1, 3):
            x = torch.randn((n, *shape), generator=g)
            y = model(x)
            cases.append({
                'inputs': {'x': {'shape': list(x.shape), 'data': x.flatten().tolist()}},
                'outputs': {'y': {'shape': list(y.shape), 'data': y.flatten().tolist()}},
            })
    # One SGD step (lr 0.1) on the mean squared error to a target, from the exported weights: the
    # imported model must fine-tune to the same weights and outputs.
    x = torch.randn((4, *shape), generator=g)
    with torch.no_grad():
        target = torch.randn(model(x).shape, generator=g)
    model.zero_grad()
    loss = ((model(x) - target) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
        after = model(x)
    sgd = {
        'lr': 0.1,
        'x': {'shape': list(x.shape), 'data': x.flatten().tolist()},
        'target': {'shape': list(target.shape), 'data': target.flatten().tolist()},
        'loss': loss.item(),
        'after': {'shape': list(after.shape), 'data': after.flatten().tolist()},
    }
    doc = {
        'generator': 'tools/gen_onnx_fixtures.py',
        'torch': torch.__version__,
        'opset': OPSET,
        'model': base64.b64encode(buf.getvalue()).decode('ascii'),
        'parameters': [k for k, _ in model.named_parameters()],
        'cases': cases,
        'sgd': sgd,
    }
    with open(os.path.join(OUT, f'torch_{name}.json'), 'w') as f:
        json.dump(doc, f)
    print(name, len(buf.getvalue()), 'bytes')


if __name__ == '__main__':
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    export('mlp', Mlp(), (6,))
    export('cnn_bn', SmallCnn(), (1, 8, 8))
    export('lstm', LstmClassifier(), (7, 5))
    export('encoder', TinyEncoder(), (5, 4))
