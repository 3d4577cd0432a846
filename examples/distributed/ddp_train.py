#!/usr/bin/env python3
"""Step 2 of the example: continue Myelin's training in PyTorch with torch.distributed.

Two processes on this machine (gloo backend) stand in for a cluster: each holds a replica of the
MLP loaded from Myelin's safetensors (PyTorch's own key names), trains on its half of every epoch
(DistributedSampler) and DistributedDataParallel averages the gradients, so the replicas stay equal.
Rank 0 checks the hand-over (its test loss before training must equal Myelin's last figure), then
writes the trained weights back as safetensors for step 3.

    /usr/bin/python3 ddp_train.py runs [--epochs 5] [--world 2]

Runs with Debian's python3-torch (1.13). The `safetensors` package is used when installed; Debian
has none, so a minimal reader/writer of the format (an 8-byte header length, a JSON header, raw
little-endian data) is included for the two dtypes the example needs.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

DTYPES = {"F32": torch.float32, "I32": torch.int32}
NAMES = {v: k for k, v in DTYPES.items()}


def load_safetensors(path):
    try:
        from safetensors.torch import load_file  # type: ignore

        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        start, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def save_safetensors(tensors, path):
    try:
        from safetensors.torch import save_file  # type: ignore

        return save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    except ImportError:
        pass
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def build_model():
    # Same layout as the example's Myelin Sequential: keys 0.weight, 0.bias, 2.weight, 2.bias.
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


@torch.no_grad()
def evaluate(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def worker(rank, world, args):
    torch.set_num_threads(1)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(args.port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    data = load_safetensors(os.path.join(args.dir, "digits.safetensors"))
    x_train, y_train = data["x_train"], data["y_train"].long()
    x_test, y_test = data["x_test"], data["y_test"].long()
    model = build_model()
    model.load_state_dict(load_safetensors(os.path.join(args.dir, "myelin.safetensors")), strict=True)
    before = evaluate(model, x_test, y_test)
    ddp = DistributedDataParallel(model)
    sampler = DistributedSampler(TensorDataset(x_train, y_train), num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch, sampler=sampler)
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(ddp(xb), yb).backward()  # DDP all-reduces (averages) the gradients here
            opt.step()
    # The replicas must agree: compare a checksum of every parameter across ranks.
    check = torch.stack([p.detach().double().sum() for p in model.parameters()])
    gathered = [torch.zeros_like(check) for _ in range(world)]
    dist.all_gather(gathered, check)
    if rank == 0:
        after = evaluate(model, x_test, y_test)
        spread = max((g - gathered[0]).abs().max().item() for g in gathered)
        save_safetensors(model.state_dict(), os.path.join(args.dir, "torch-ddp.safetensors"))
        figures = {
            "world": world,
            "epochs": args.epochs,
            "before": {"loss": before[0], "accuracy": before[1]},
            "after": {"loss": after[0], "accuracy": after[1]},
            "replica_spread": spread,
            "torch": torch.__version__,
        }
        with open(os.path.join(args.dir, "step2.json"), "w") as f:
            json.dump(figures, f, indent=2)
        print(
            f"PyTorch DDP ({world} processes, gloo): test loss {before[0]:.4f} -> {after[0]:.4f}, "
            f"accuracy {100 * after[1]:.2f} % after {args.epochs} epochs; replicas agree to {spread:.1e}"
        )
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--port", type=int, default=29531)
    args = p.parse_args()
    for f in ("myelin.safetensors", "digits.safetensors"):
        if not os.path.exists(os.path.join(args.dir, f)):
            sys.exit(f"ddp_train.py: {args.dir}/{f} is missing; run step 1 first: node dist/train.js {args.dir}")
    step1 = json.load(open(os.path.join(args.dir, "step1.json")))
    mp.spawn(worker, args=(args.world, args), nprocs=args.world, join=True)
    step2 = json.load(open(os.path.join(args.dir, "step2.json")))
    gap = abs(step2["before"]["loss"] - step1["after"]["loss"])
    print(f"hand-over check: PyTorch's loss before training {step2['before']['loss']:.6f} vs Myelin's {step1['after']['loss']:.6f} (|diff| {gap:.1e})")
    if gap > 1e-4:
        sys.exit("ddp_train.py: the weights did not survive the hand-over")


if __name__ == "__main__":
    main()
