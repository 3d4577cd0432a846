"""A small PyTorch model's state_dict as safetensors, and its outputs, for the load-by-name test.

The model (conv → batch norm → relu → mean over H → 2-layer bidirectional LSTM → linear) is
trained for a few SGD steps so every tensor, running statistics included, is non-trivial. Its
state_dict is written with the hand-made safetensors writer of tools/gen_safetensors_fixture.py
(torch 1.13 has no safetensors package; `num_batches_tracked` stays I64 as PyTorch stores it).

Outputs in packages/nn/fixtures/:
  small_model.safetensors      the state_dict, PyTorch names
  small_model.expected.json    the input and the outputs in eval and train mode, and the names
"""

from __future__ import annotations

import json
import os

import torch
import torch.nn as tnn

from fixtures_common import encode_tensor
from gen_safetensors_fixture import RANK, ST_DTYPE, write_file


class SmallModel(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(1, 4, 3, padding=1)
        self.bn = tnn.BatchNorm2d(4)
        self.lstm = tnn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.head = tnn.Linear(16, 3)

    def forward(self, x):  # x [N, 1, H, W]
        y = torch.relu(self.bn(self.conv(x)))  # [N, 4, H, W]
        y = y.mean(2).transpose(1, 2)  # [N, W, 4]: the columns are the sequence
        out, _ = self.lstm(y)
        return self.head(out[:, -1])


def write(out_dir: str) -> int:
    torch.manual_seed(2024)
    model = SmallModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        x = torch.randn(8, 1, 6, 7)
        y = torch.randint(0, 3, (8,))
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    canonical = sorted(state, key=lambda n: (-RANK.index(ST_DTYPE[state[n].dtype]), n.encode("utf-8")))
    path = os.path.join(out_dir, "small_model.safetensors")
    write_file(__import__("pathlib").Path(path), canonical, canonical, state)

    x = torch.round(torch.randn(3, 1, 6, 7) * 1000) / 1000
    with torch.no_grad():
        model.eval()
        eval_out = model(x)
        model.train()
        train_out = model(x)
    doc = {
        "generator": "tools/gen_nn_fixtures.py (nn_fixtures_model.py)",
        "torch": torch.__version__,
        "names": list(state),
        "dtypes": {k: ST_DTYPE[v.dtype] for k, v in state.items()},
        "input": encode_tensor(x),
        "eval": encode_tensor(eval_out),
        "train": encode_tensor(train_out),
        "runningMeanAfterTrain": encode_tensor(model.bn.running_mean),
    }
    text = json.dumps(doc, separators=(",", ":")) + "\n"
    with open(os.path.join(out_dir, "small_model.expected.json"), "w") as f:
        f.write(text)
    return len(text) + os.path.getsize(path)
