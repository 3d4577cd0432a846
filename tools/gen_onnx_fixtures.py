#!/usr/bin/env python3
"""Export small PyTorch 1.13 models with torch.onnx.export (opset 17) and record their outputs.

Writes packages/onnx/fixtures/torch_<name>.json: the .onnx file (base64); for batch sizes 1 and 3
the inputs and PyTorch's outputs; and one SGD step (lr 0.1, mean squared error to a random target)
with the loss before it and the outputs after it. For @myelin/onnx's import tests (which need no
Python). Also torch_auto_pad.json (a hand-built graph using auto_pad, which PyTorch never writes)
and torch_packed.json (an LSTM and a GRU over pack_padded_sequence: inputs x and lengths), with
outputs only. Opset 17 is the highest torch.onnx.export writes in PyTorch 1.13.

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


class GruNet(nn.Module):
    """A 2-layer bidirectional GRU (exported as two ONNX GRU nodes, linear_before_reset=1)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1])


class RnnNet(nn.Module):
    """Elman RNNs: a 2-layer bidirectional tanh one and a 1-layer ReLU one (activations=['Relu'])."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.rnn_relu = nn.RNN(5, 4, nonlinearity='relu', batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        a, _ = self.rnn(x)
        b, _ = self.rnn_relu(x)
        return self.fc(torch.cat([a[:, -1], b[:, -1]], dim=1))


class ConvT(nn.Module):
    """ConvTranspose2d with stride, padding, output_padding, groups and dilation."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.up2 = nn.ConvTranspose2d(6, 2, (2, 3), stride=(1, 2), padding=(0, 1), dilation=(2, 1))

    def forward(self, x):
        return self.up2(torch.tanh(self.up1(x)))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 3, padding=1)
        self.c2 = nn.Conv1d(4, 6, 3, stride=2, dilation=2, groups=2)

    def forward(self, x):
        x = torch.max_pool1d(torch.relu(self.c1(x)), 2)
        x = torch.avg_pool1d(self.c2(x), 2, padding=1)
        return x


class Conv3dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(2, 4, 3, padding=1)
        self.c2 = nn.Conv3d(4, 3, (1, 3, 3), stride=(1, 2, 1), padding=(0, 1, 1))

    def forward(self, x):
        x = nn.functional.max_pool3d(torch.relu(self.c1(x)), 2)
        return nn.functional.avg_pool3d(self.c2(x), (1, 2, 1), padding=(0, 1, 0), count_include_pad=False)


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


def export_auto_pad():
    """A hand-built ONNX graph (PyTorch never writes auto_pad): Conv SAME_UPPER, MaxPool SAME_LOWER,
    Conv VALID, each with stride 2 on odd sizes so the padding is asymmetric. The outputs come from
    PyTorch with the same padding spelled out (F.pad), the ONNX spec's SAME rule done by hand."""
    import onnx
    from onnx import helper, numpy_helper
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(11)
    w1 = torch.randn((3, 2, 3, 2), generator=g)
    b1 = torch.randn((3,), generator=g)
    w2 = torch.randn((4, 3, 2, 2), generator=g)

    def same(x, k, s, upper):
        pads = []
        for size, kk, ss in zip(x.shape[2:], k, s):
            total = max(0, (-(-size // ss) - 1) * ss + kk - size)
            small = total // 2
            pads.append((small, total - small) if upper else (total - small, small))
        # F.pad takes the last dim first.
        return [v for p in reversed(pads) for v in p]

    def torch_forward(x):
        y = F.conv2d(F.pad(x, same(x, (3, 2), (2, 2), True)), w1, b1, stride=2)
        y = F.max_pool2d(F.pad(y, same(y, (3, 3), (2, 1), False), value=float('-inf')), (3, 3), stride=(2, 1))
        return F.conv2d(y, w2, stride=1)

    nodes = [
        helper.make_node('Conv', ['x', 'w1', 'b1'], ['a'], auto_pad='SAME_UPPER', strides=[2, 2]),
        helper.make_node('MaxPool', ['a'], ['b'], auto_pad='SAME_LOWER', kernel_shape=[3, 3], strides=[2, 1]),
        helper.make_node('Conv', ['b', 'w2'], ['y'], auto_pad='VALID'),
    ]
    graph = helper.make_graph(
        nodes, 'auto_pad',
        [helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT, ['N', 2, 9, 7])],
        [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, ['N', 4, 2, 3])],
        [numpy_helper.from_array(t.numpy(), n) for t, n in ((w1, 'w1'), (b1, 'b1'), (w2, 'w2'))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)])
    onnx.checker.check_model(model)
    cases = []
    for n in (1, 3):
        x = torch.randn((n, 2, 9, 7), generator=g)
        y = torch_forward(x)
        cases.append({
            'inputs': {'x': {'shape': list(x.shape), 'data': x.flatten().tolist()}},
            'outputs': {'y': {'shape': list(y.shape), 'data': y.flatten().tolist()}},
        })
    doc = {
        'generator': 'tools/gen_onnx_fixtures.py',
        'torch': torch.__version__,
        'opset': OPSET,
        'model': base64.b64encode(model.SerializeToString()).decode('ascii'),
        'cases': cases,
    }
    with open(os.path.join(OUT, 'torch_auto_pad.json'), 'w') as f:
        json.dump(doc, f)
    print('auto_pad', len(model.SerializeToString()), 'bytes')


class Packed(nn.Module):
    """A 2-layer bidirectional LSTM and a bidirectional GRU over pack_padded_sequence (exported
    with sequence_lens)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(5, 4, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(20, 3)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
        # A zero state built from x: the exporter's own zero state for packed input bakes in the
        # traced batch size, which would make the file run at that one batch size only.
        h0 = torch.zeros_like(x[:, 0, :1]).repeat(1, 6).unsqueeze(0).repeat(4, 1, 1)
        out, (h, _) = self.lstm(packed, (h0, h0))
        y, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        g0 = torch.zeros_like(x[:, 0, :1]).repeat(1, 4).unsqueeze(0).repeat(2, 1, 1)
        out2, hg = self.gru(nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True), g0)
        y2, _ = nn.utils.rnn.pad_packed_sequence(out2, batch_first=True, total_length=x.shape[1])
        return self.fc(torch.cat([y, y2], dim=2)), torch.cat([h, hg.repeat(1, 1, 2)[:, :, :6]], dim=0)


def export_packed():
    """torch_packed.json: inputs x (N, 7, 5) and lengths (N,), descending; outputs y (N, 7, 3)
    (padded steps are the bias) and h (6, N, 6): the LSTM's last valid state of each layer and
    direction, then the GRU's (tiled to width 6)."""
    torch.manual_seed(3)
    model = Packed().eval()
    g = torch.Generator().manual_seed(5)
    buf = io.BytesIO()
    torch.onnx.export(
        model, (torch.randn((3, 7, 5), generator=g), torch.tensor([7, 5, 2])), buf, opset_version=OPSET,
        input_names=['x', 'lengths'], output_names=['y', 'h'],
        dynamic_axes={'x': {0: 'N'}, 'lengths': {0: 'N'}, 'y': {0: 'N'}, 'h': {1: 'N'}},
    )
    cases = []
    with torch.no_grad():
        for lengths in ([4], [7, 6, 3]):
            x = torch.randn((len(lengths), 7, 5), generator=g)
            lens = torch.tensor(lengths)
            y, h = model(x, lens)
            cases.append({
                'inputs': {
                    'x': {'shape': list(x.shape), 'data': x.flatten().tolist()},
                    'lengths': {'shape': list(lens.shape), 'data': lens.tolist()},
                },
                'outputs': {
                    'y': {'shape': list(y.shape), 'data': y.flatten().tolist()},
                    'h': {'shape': list(h.shape), 'data': h.flatten().tolist()},
                },
            })
    doc = {
        'generator': 'tools/gen_onnx_fixtures.py',
        'torch': torch.__version__,
        'opset': OPSET,
        'model': base64.b64encode(buf.getvalue()).decode('ascii'),
        'cases': cases,
    }
    with open(os.path.join(OUT, 'torch_packed.json'), 'w') as f:
        json.dump(doc, f)
    print('packed', len(buf.getvalue()), 'bytes')


if __name__ == '__main__':
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    export('mlp', Mlp(), (6,))
    export('cnn_bn', SmallCnn(), (1, 8, 8))
    export('lstm', LstmClassifier(), (7, 5))
    export('encoder', TinyEncoder(), (5, 4))
    # Added for the wider importer (issue 20); appended so the fixtures above stay byte-identical.
    export('gru', GruNet(), (7, 5))
    export('rnn', RnnNet(), (7, 5))
    export('convt', ConvT(), (4, 5, 5))
    export('conv1d', Conv1dNet(), (3, 16))
    export('conv3d', Conv3dNet(), (2, 6, 6, 6))
    export_auto_pad()
    export_packed()
