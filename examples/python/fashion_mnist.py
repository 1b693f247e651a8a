"""Train a standard small CNN on Fashion-MNIST with a GEM activation in place of its ReLUs.

    pip install --no-build-isolation --no-index .        # once, at the repository root
    python3 examples/python/fashion_mnist.py              # E-GEM N=1, eps=1e-4, one epoch
    python3 examples/python/fashion_mnist.py --activation segem:N=2,eps=0.01 --learnable-eps --epochs 3
    python3 examples/python/fashion_mnist.py --compile    # torch.compile (PyTorch 2.x; on a GPU by default)

The data are the gzipped IDX files of Debian's dataset-fashion-mnist (/usr/share/datasets/
fashion-mnist) or the same four files anywhere (--data). Progress (step, loss, images per second,
ETA) goes to stderr; the result (test accuracy, loss, time, the activation and the learnt eps
values) to stdout as JSON, and to --out if given (written atomically).
"""
import argparse
import gzip
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

import gem

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: Path, dims: int) -> torch.Tensor:
    """An IDX array of unsigned bytes (gzipped or not) with `dims` dimensions, checked."""
    if not path.is_file():
        raise SystemExit(f"error: {path} not found: install Debian's dataset-fashion-mnist "
                         f"(apt-get install dataset-fashion-mnist) or pass --data FOLDER with the four IDX files")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise SystemExit(f"error: {path} is not a complete gzip file ({e}); download or copy it again")
    if len(raw) < 4 + 4 * dims or raw[:4] != bytes([0, 0, 8, dims]):
        raise SystemExit(f"error: {path} is not an IDX file of unsigned bytes with {dims} dimensions")
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    body = raw[4 + 4 * dims:]
    if len(body) != math.prod(shape):
        raise SystemExit(f"error: {path} holds {len(body)} bytes of data, its header promises {math.prod(shape)} "
                         f"({' x '.join(map(str, shape))}): the file is truncated or corrupt")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(shape)


def load(folder: Path, split: str):
    """Images as float32 [n, 1, 28, 28] in [0, 1] and labels as int64 [n]."""
    images = read_idx(folder / FILES[split][0], 3)
    labels = read_idx(folder / FILES[split][1], 1)
    if images.shape[0] != labels.shape[0] or tuple(images.shape[1:]) != (28, 28) or int(labels.max()) > 9:
        raise SystemExit(f"error: {folder}: {split} images {tuple(images.shape)} and labels {tuple(labels.shape)} "
                         "are not Fashion-MNIST (n x 28 x 28 images, n labels 0..9)")
    return images.unsqueeze(1).float().div_(255), labels.long()


def standard_cnn() -> nn.Module:
    """The small CNN of PyTorch's MNIST example, with nn.ReLU modules (what we convert)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Sequential(nn.Linear(9216, 128), nn.ReLU()),  # nested: replace_activations finds it
        nn.Dropout(0.5), nn.Linear(128, 10))


def convert(model: nn.Module, spec: str, learnable: bool) -> int:
    """Every nn.ReLU becomes the activation of `spec`; with a learnable eps each gets its own."""
    if not learnable:
        return gem.nn.replace_activations(model, spec)
    module = gem.nn.module_for(spec)
    if not isinstance(module, (gem.nn.EGEM, gem.nn.SEGEM)):
        raise SystemExit(f"error: --learnable-eps needs an egem or segem spec, not {spec!r}")
    kind = type(module)
    return gem.nn.replace_activations(model, lambda: kind(N=module.N, eps=module.eps, learnable_eps=True))


class Progress:
    """One line on stderr, rewritten: step, loss, images per second, ETA."""

    def __init__(self, total: int, every: float = 0.5):
        self.total, self.every, self.start, self.last = total, every, time.perf_counter(), 0.0

    def update(self, step: int, loss: float, images: int, force: bool = False):
        now = time.perf_counter()
        if not force and now - self.last < self.every:
            return
        self.last, elapsed = now, now - self.start
        rate = images / elapsed if elapsed > 0 else 0.0
        eta = elapsed / step * (self.total - step) if step else float("nan")
        bar = "#" * (30 * step // self.total)
        print(f"\r[{bar:<30}] step {step}/{self.total}  loss {loss:.4f}  {rate:,.0f} img/s  ETA {eta:5.0f} s",
              end="", file=sys.stderr, flush=True)

    def close(self):
        print(file=sys.stderr, flush=True)


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device, batch: int):
    model.eval()
    correct, loss = 0, 0.0
    for i in range(0, len(images), batch):
        x, y = images[i:i + batch].to(device), labels[i:i + batch].to(device)
        out = model(x)
        loss += nn.functional.cross_entropy(out, y, reduction="sum").item()
        correct += int((out.argmax(1) == y).sum())
    model.train()
    return correct / len(images), loss / len(images)


def write_atomically(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--activation", default="egem:N=1,eps=1e-4", help="any gem activation spec (gem spec --help)")
    ap.add_argument("--learnable-eps", action="store_true", help="learn eps (one per layer), as a parameter")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch >= 2.0)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="also write the result JSON here")
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.max_steps < 0:
        ap.error("--epochs and --batch-size must be >= 1, --max-steps >= 0")

    torch.manual_seed(args.seed)
    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "test")
    model = standard_cnn()
    try:
        replaced = convert(model, args.activation, args.learnable_eps)
    except ValueError as e:
        raise SystemExit(f"error: --activation: {e}")
    model = model.to(args.device)
    print(f"replaced {replaced} ReLU modules by {args.activation}"
          f"{' (learnable eps)' if args.learnable_eps else ''}; training on {args.device}", file=sys.stderr)
    step_model = model
    if args.compile:
        if not hasattr(torch, "compile"):
            raise SystemExit(f"error: --compile needs PyTorch >= 2.0, this is {torch.__version__}")
        step_model = torch.compile(model, fullgraph=True)  # gem ops have meta kernels: no graph break
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    per_epoch = math.ceil(len(train_x) / args.batch_size)
    total = per_epoch * args.epochs if not args.max_steps else min(args.max_steps, per_epoch * args.epochs)
    progress, step, loss, start = Progress(total), 0, float("nan"), time.perf_counter()
    while step < total:
        order = torch.randperm(len(train_x))
        for i in range(0, len(train_x), args.batch_size):
            if step == total:
                break
            idx = order[i:i + args.batch_size]
            x, y = train_x[idx].to(args.device), train_y[idx].to(args.device)
            opt.zero_grad(set_to_none=True)
            out = nn.functional.cross_entropy(step_model(x), y)
            out.backward()
            opt.step()
            step += 1
            loss = out.item()
            if not math.isfinite(loss):
                progress.close()
                raise SystemExit(f"error: the loss is {loss} at step {step}: lower --lr or change --activation")
            progress.update(step, loss, step * args.batch_size, force=step == total)
    progress.close()
    seconds = time.perf_counter() - start
    accuracy, test_loss = evaluate(model, test_x, test_y, args.device, 1000)
    eps = [m.eps_values().tolist() for m in model.modules() if isinstance(m, (gem.nn.EGEM, gem.nn.SEGEM))]
    result = {"activation": args.activation, "learnable_eps": args.learnable_eps, "replaced": replaced,
              "steps": step, "train_seconds": round(seconds, 3), "final_train_loss": loss,
              "test_accuracy": accuracy, "test_loss": test_loss, "eps": eps, "device": args.device,
              "compiled": args.compile, "torch": torch.__version__, "gem": gem.__version__}
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        write_atomically(args.out, text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
