"""What the bench's PyTorch scripts share (`dcgan_torch.py`, `resnet_torch.py`).

Each script is a child process that the bench (`bench/src/torch.ts`) drives over stdin/stdout, so
PyTorch takes its turns in the same alternating rounds as the JS libraries:

    -> (start)      <- "ready <fields of the script> <threads> <torch version>"
    -> "run"        <- "done <fields of the script>"   (one timed run: a pass over the samples)
    -> "quit"

The bench times each run from its side (writing "run" to reading "done"), so this side only
serves the commands.
"""

import argparse
import sys
from typing import Callable, Iterable

import torch


def parse_args(**defaults: int) -> argparse.Namespace:
    """--threads (default 2) and the script's integer options (`--name`, with its default); sets
    PyTorch's intra-op threads and seeds its generator with 1."""
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    for name, default in defaults.items():
        p.add_argument(f"--{name}", type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    return a


def serve(ready: Iterable[object], run: Callable[[], Iterable[str]]) -> None:
    """Say "ready" with `ready`'s fields, the threads in use and torch's version; then answer
    every "run" with `run()`'s fields after "done", until "quit" or the end of stdin."""
    fields = [*map(str, ready), str(torch.get_num_threads()), torch.__version__]
    print("ready", *fields, flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd != "run":
            print(f"error unknown command {cmd!r} (expected 'run' or 'quit')", flush=True)
            continue
        print("done", *run(), flush=True)
