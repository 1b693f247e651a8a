"""Where a training step with the gem operators spends its time on a GPU, beside ReLU and GELU.

  python3 scripts/gpu/step_overhead.py            (needs GEM_TORCH_LIBRARY or build-gpu/lib)

1. Per-call cost of one activation, forward + backward, on a tiny CUDA tensor (so the kernel is
   negligible and what remains is the host-side dispatch: Python, the dispatcher, autograd).
2. ResNet-56 steps (batch 128, bf16 autocast, channels_last), interleaved relu/gelu/egem rounds
   so that drift of the machine hits every activation alike; median and min per activation.
3. torch.profiler of a few steps per activation: the ops with the most host time.
4. The error path from Python: a shape mismatch must raise ValueError (run in a child process, so
   a crash is reported instead of ending this script).
"""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
import gem  # noqa: E402
from resnet import resnet56  # noqa: E402


def per_call_us(fn, x, repeats=2000):
    for _ in range(50):
        fn(x).sum().backward()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn(x).backward(torch.ones_like(x))
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / repeats * 1e6


def main():
    dev = torch.device("cuda")
    x = torch.randn(1024, device=dev, requires_grad=True)
    mods = {"relu": nn.ReLU(), "gelu": nn.GELU(), "egem module": gem.nn.EGEM(N=1, eps=1e-4),
            "torch.ops.gem.forward": lambda t: torch.ops.gem.forward(t, "egem", 1, 1e-4)}
    print("== per call, forward+backward, 1024 elements (host overhead) ==")
    for name, m in mods.items():
        print(f"  {name:24s} {per_call_us(m, x):8.1f} us")

    torch.backends.cudnn.benchmark = True
    data = torch.randn(128, 3, 32, 32, device=dev).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (128,), device=dev)
    acts = {"relu": nn.ReLU, "gelu": nn.GELU, "egem": lambda: gem.nn.EGEM(N=1, eps=1e-4)}
    steps = {}
    for name, act in acts.items():
        torch.manual_seed(0)
        model = resnet56(act).to(dev).to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(model=model, opt=opt):
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(data), labels)
            loss.backward()
            opt.step()
        for _ in range(5):
            step()
        steps[name] = step
    torch.cuda.synchronize()
    samples = {n: [] for n in steps}
    for _ in range(4):
        for name, step in steps.items():
            for _ in range(10):
                t0 = time.perf_counter()
                step()
                torch.cuda.synchronize()
                samples[name].append((time.perf_counter() - t0) * 1e3)
    print("== ResNet-56 step, interleaved rounds (ms): median, min ==")
    base = statistics.median(samples["relu"])
    for name, s in samples.items():
        print(f"  {name:6s} {statistics.median(s):7.2f} {min(s):7.2f}   x{statistics.median(s) / base:.3f} of relu")

    from torch.profiler import ProfilerActivity, profile
    for name in ("relu", "egem"):
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(3):
                steps[name]()
            torch.cuda.synchronize()
        print(f"== profile {name}: top ops by self CPU time ==")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=40))

    code = ("import torch, gem\n"
            "x = torch.zeros(3, 2)\n"
            "try:\n    torch.ops.gem.backward(torch.zeros(2, 3), x, 'egem', 1, 1e-4)\n"
            "except ValueError as e:\n    print('ValueError:', str(e).splitlines()[0])\n"
            "try:\n    gem.functional.egem(x, 9)\n"
            "except ValueError as e:\n    print('ValueError:', str(e).splitlines()[0])\n")
    env = dict(os.environ, PYTHONFAULTHANDLER="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[2] / "python"))
    for extra in ({}, {"TORCH_SHOW_CPP_STACKTRACES": "0"}):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, **extra},
                           timeout=120)
        print(f"== error path from python {extra}: rc {r.returncode} ==")
        print(r.stdout[-1500:], r.stderr[-3000:])


if __name__ == "__main__":
    main()
