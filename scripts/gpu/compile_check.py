"""The PyTorch 2.x stack on the gem operators (issue 11), for a CUDA machine:

1. torch.library.opcheck (PyTorch >= 2.4) for every tensor operator on CPU and CUDA samples, with
   requires_grad inputs too: schema, autograd registration, FakeTensor (the Meta kernels), AOT
   dispatch with dynamic shapes.
2. torch.compile(fullgraph=True) of a ResNet-56 and of a GPT-style block that use gem modules
   (fixed, learnable and per-channel eps), static and dynamic shapes: no graph break, and the
   eager result (outputs and every gradient).
3. torch.export of the GPT block, run against eager.
4. The per-channel eps kernels on the device against the CPU kernels of the same dtype and a
   float64 reference of the eps gradient, and the same bits from run to run.
5. gem::derivative of orders 0..6 on the device against the CPU, and autograd of order 4.

    python3 scripts/gpu/compile_check.py [--device cuda] [--out DIR]

Every check runs even if an earlier one failed; the table of results is printed last and written
to DIR/compile_check.json (default $OUT or gpu-out). Exit status 1 if any check failed. With
--device cpu on PyTorch 1.13 it runs what that torch has (4.), as a dry run of the script.
"""
import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gem  # noqa: E402
from resnet import resnet56  # noqa: E402

RESULTS = []


def check(name):
    """Runs the decorated check at once, recording ok / FAILED / skipped and the seconds."""
    def run(fn):
        start = time.perf_counter()
        try:
            detail = fn()
            status = "skipped" if isinstance(detail, str) and detail.startswith("skipped") else "ok"
        except Exception as e:  # a failed check must not stop the others
            status, detail = "FAILED", f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            traceback.print_exc()
        RESULTS.append({"check": name, "status": status, "detail": detail or "",
                        "seconds": round(time.perf_counter() - start, 1)})
        print(f"[compile_check] {name}: {detail if status == 'skipped' else status + ' ' + (detail or '')}", flush=True)
        return fn
    return run


def torch_at_least(major, minor):
    parts = torch.__version__.split("+")[0].split(".")
    return (int(parts[0]), int(parts[1])) >= (major, minor)


# ---- 1. opcheck -------------------------------------------------------------------------------------
def op_samples(device, full=True):
    """(op name, args, kwargs) for every gem tensor operator: contiguous and channels-last x, one eps
    and one per channel, with and without requires_grad (about 50 samples; 20 when not `full`)."""
    one = torch.tensor(0.05, device=device, dtype=torch.float64)
    per_channel = torch.tensor([0.02, 0.1, 0.5], device=device, dtype=torch.float64)
    combos = [("contiguous", True, (per_channel,))]
    if full:
        combos += [("contiguous", False, (one,)), ("channels_last", True, (one, per_channel))]
    samples = []
    for layout, grad, eps_values in combos:
        x = torch.randn(2, 3, 4, 5, device=device, dtype=torch.float64)
        if layout == "channels_last":
            x = x.to(memory_format=torch.channels_last)
        x.requires_grad_(grad)
        g = torch.randn_like(x)
        for eps in eps_values:
            e = eps.clone().requires_grad_(grad)
            samples += [
                ("forward_eps_tensor", (x, "segem", 2, e, 1), {}),
                ("backward_eps_tensor", (g, x, "egem", 1, e, 1), {}),
                ("backward_grad2_eps_tensor", (g, x, "segem", 1, e, 1), {}),
                ("eps_tensor_grads", (g, x, "egem", 2, e, 1), {}),
                ("eps_partial", (x, "segem", 1, e, 0, 1), {}),
            ]
        samples += [
            ("forward", (x, "egem", 1, 1e-2), {}),
            ("forward", (x, "gem", 3, 1.0), {}),
            ("backward", (g, x, "segem", 2, 0.1), {}),
            ("backward_grad2", (g, x, "egem", 1, 0.1), {}),
            ("forward.spec", (x, "segem:N=1,eps=0.01"), {}),
            ("backward.spec", (g, x, "egem:N=2,eps=0.1"), {}),
            ("activation", (x, "egem:N=1,eps=1e-2"), {}),
        ]
    x = torch.randn(2, 3, 4, 5, device=device, dtype=torch.float64)
    samples += [
        ("forward_out", (x, "egem", 1, 1e-2), {"out": torch.empty_like(x)}),
        ("derivative", (x.clone().requires_grad_(), "egem", 2, 1e-2, 4), {}),
        ("derivative.spec", (x, "segem:N=1,eps=0.1", 3), {}),
        ("backward_out", (torch.randn_like(x), x, "egem", 1, 1e-2), {"grad_in": torch.empty_like(x)}),
    ]
    t = torch.randn(6, 8, device=device, dtype=torch.float64)
    b = torch.randn(8, device=device, dtype=torch.float64)
    for grad in (True, False) if full else (True,):
        tx, tb = t.clone().requires_grad_(grad), b.clone().requires_grad_(grad)
        samples += [("bias_forward", (tx, tb, "segem", 1, 0.1), {}),
                    ("bias_backward", (torch.randn_like(t), tx, tb, "egem", 2, 0.1), {})]
        ch_last = torch.randn(4, 5, 6, device=device, dtype=torch.float64).requires_grad_(grad)
        eps_last = torch.full((6,), 0.05, device=device, dtype=torch.float64).requires_grad_(grad)
        samples += [("forward_eps_tensor", (ch_last, "egem", 1, eps_last, -1), {}),
                    ("eps_tensor_grads", (torch.randn_like(ch_last), ch_last, "segem", 2, eps_last, -1), {})]
    return samples


def opcheck_all(device, full=True):
    if not torch_at_least(2, 4):
        return f"skipped: torch.library.opcheck needs PyTorch >= 2.4 (this is {torch.__version__})"
    failures, count = [], 0
    for name, args, kwargs in op_samples(device, full):
        packet, _, overload = name.partition(".")
        op = getattr(getattr(torch.ops.gem, packet), overload or "default")
        try:
            torch.library.opcheck(op, args, kwargs)
            count += 1
        except Exception as e:
            failures.append(f"{name}: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
    if failures:
        raise AssertionError(f"{len(failures)} of {count + len(failures)} samples failed; first: {failures[0]}")
    return f"{count} samples"


# ---- 2. torch.compile -------------------------------------------------------------------------------
class GptBlock(nn.Module):
    """Pre-LayerNorm causal self-attention and an MLP whose activation is a gem module, as GPT-2's."""

    def __init__(self, d=128, heads=4, act=None):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.act = act if act is not None else gem.nn.SEGEM(2, 1e-2, learnable_eps=True, num_parameters=4 * d,
                                                             channel_dim=-1)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(self.act(self.fc(self.ln2(x))))


def eager_and_compiled(make, inputs, device, dynamic):
    """Output and gradients of a fresh model, eager and compiled (fullgraph), from the same weights."""
    torch.manual_seed(0)
    eager = make().to(device)
    compiled_model = make().to(device)
    compiled_model.load_state_dict(eager.state_dict())
    compiled = torch.compile(compiled_model, fullgraph=True, dynamic=dynamic)
    worst = 0.0
    for x in inputs:
        for model, fn in ((eager, eager), (compiled_model, compiled)):
            model.zero_grad(set_to_none=True)
            out = fn(x)
            out.float().square().mean().backward()
            model._last = (out.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()})
        (ye, ge), (yc, gc) = eager._last, compiled_model._last
        torch.testing.assert_close(yc, ye, rtol=2e-3, atol=2e-4)
        for n in ge:
            torch.testing.assert_close(gc[n], ge[n], rtol=5e-3, atol=5e-4, msg=lambda m, n=n: f"grad of {n}: {m}")
            worst = max(worst, float((gc[n] - ge[n]).abs().max()))
    return worst


def compile_resnet(device, act, dynamic):
    if not hasattr(torch, "compile"):
        return f"skipped: torch.compile needs PyTorch >= 2.0 (this is {torch.__version__})"
    torch._dynamo.reset()
    sizes = (8, 6) if dynamic else (8,)
    inputs = [torch.randn(n, 3, 32, 32, device=device) for n in sizes]
    worst = eager_and_compiled(lambda: resnet56(act), inputs, device, dynamic)
    return f"batch {'/'.join(map(str, sizes))}: matches eager (largest gradient difference {worst:.1e})"


def compile_gpt(device, dynamic):
    if not hasattr(torch, "compile"):
        return f"skipped: torch.compile needs PyTorch >= 2.0 (this is {torch.__version__})"
    torch._dynamo.reset()
    lengths = (64, 48) if dynamic else (64,)
    inputs = [torch.randn(4, t, 128, device=device) for t in lengths]
    worst = eager_and_compiled(GptBlock, inputs, device, dynamic)
    return f"sequence {'/'.join(map(str, lengths))}: matches eager (largest gradient difference {worst:.1e})"


def export_gpt(device):
    if not hasattr(torch, "export"):
        return f"skipped: torch.export needs PyTorch >= 2.1 (this is {torch.__version__})"
    torch.manual_seed(0)
    model = GptBlock().to(device).eval()
    x = torch.randn(2, 32, 128, device=device)
    program = torch.export.export(model, (x,))
    gem_nodes = sum(1 for n in program.graph.nodes if "gem" in str(n.target))
    if gem_nodes == 0:
        raise AssertionError("the exported graph has no gem operator")
    torch.testing.assert_close(program.module()(x), model(x))
    return f"{gem_nodes} gem nodes in the exported graph; the program gives the eager result"


# ---- 4. per-channel eps on the device ------------------------------------------------------------------
TOLERANCE = {torch.float64: 1e-12, torch.float32: 2e-6, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}


def per_channel(device):
    cases = 0
    worst_sum = 0.0
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
        for layout in ("nchw", "channels_last", "last_dim"):
            for variant in ("egem", "segem"):
                torch.manual_seed(cases)
                if layout == "last_dim":
                    shape, dim, C = (64, 37, 96), -1, 96
                else:
                    shape, dim, C = (8, 24, 13, 11), 1, 24
                x64 = torch.randn(shape, dtype=torch.float64) * 3
                g64 = torch.randn(shape, dtype=torch.float64)
                eps64 = torch.logspace(-4, 1, C, dtype=torch.float64)
                x, g, eps = x64.to(dtype), g64.to(dtype), eps64.to(dtype)
                if layout == "channels_last":
                    x, g = x.to(memory_format=torch.channels_last), g.to(memory_format=torch.channels_last)
                xd, gd, ed = x.to(device), g.to(device), eps.to(device)
                y = torch.ops.gem.forward_eps_tensor(xd, variant, 2, ed, dim)
                gx, ge = torch.ops.gem.eps_tensor_grads(gd, xd, variant, 2, ed, dim)
                gx2, ge2 = torch.ops.gem.eps_tensor_grads(gd, xd, variant, 2, ed, dim)
                if not (torch.equal(gx, gx2) and torch.equal(ge, ge2)):
                    raise AssertionError(f"{dtype} {layout} {variant}: two runs gave different bits")
                if y.stride() != x.stride():
                    raise AssertionError(f"{dtype} {layout}: output strides {y.stride()} != input {x.stride()}")
                # Elementwise: the CPU kernels of the same dtype (themselves tested against golden values).
                y_cpu = torch.ops.gem.forward_eps_tensor(x, variant, 2, eps, dim)
                gx_cpu, _ = torch.ops.gem.eps_tensor_grads(g, x, variant, 2, eps, dim)
                torch.testing.assert_close(y.cpu(), y_cpu, rtol=TOLERANCE[dtype], atol=0)
                torch.testing.assert_close(gx.cpu(), gx_cpu, rtol=TOLERANCE[dtype], atol=0)
                # The eps gradient against float64 on the values the dtype holds.
                part = torch.ops.gem.eps_partial(x.double(), variant, 2, eps.double(), 0, dim)
                terms = (g.double() * part).movedim(dim, 0).reshape(C, -1)
                want, scale = terms.sum(1), terms.abs().sum(1)
                err = ((ge.cpu().double() - want).abs() / scale.clamp_min(1e-300)).max().item()
                if err > 4 * TOLERANCE[dtype] + 1e-14:
                    raise AssertionError(f"{dtype} {layout} {variant}: eps gradient off by {err:.2e} of its terms' size")
                worst_sum = max(worst_sum, err)
                cases += 1
    return f"{cases} cases (4 dtypes x 3 layouts x 2 variants): matches the CPU; eps sums within {worst_sum:.1e}"


def derivatives(device):
    """gem::derivative of orders 0..6 on the device against the CPU op of the same dtype (both
    from the same formulas in binary64, so they agree to a rounding), and autograd of order 4."""
    worst, cases = 0.0, 0
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
        x = (torch.randn(4096, dtype=torch.float64) * 3).to(dtype)
        for spec in ("egem:N=2,eps=0.001", "segem:N=1,eps=0.1", "gem:N=4"):
            for k in range(7):
                want = gem.functional.derivative(x, spec, k).double()
                got = gem.functional.derivative(x.to(device), spec, k).cpu().double()
                scale = want.abs().max().clamp_min(1e-300)
                err = ((got - want).abs() / (want.abs() + 1e-6 * scale)).max().item()
                # k >= 3: lane jets on the CPU, scaled jets on CUDA (both within 1e-9 of exact).
                if err > max(TOLERANCE[dtype], 1e-10 if k >= 3 else 0.0):
                    raise AssertionError(f"{dtype} {spec} k={k}: relative difference {err:.2e}")
                worst, cases = max(worst, err), cases + 1
    xg = torch.linspace(-2, 2, 101, dtype=torch.float64, device=device, requires_grad=True)
    y = gem.functional.egem(xg, 2, 1e-2)
    for _ in range(4):
        (y,) = torch.autograd.grad(y.sum(), xg, create_graph=True)
    torch.testing.assert_close(y, gem.functional.derivative(xg.detach(), "egem:N=2,eps=0.01", 4))
    return f"{cases} cases (4 dtypes x 3 specs x k = 0..6): match the CPU within {worst:.1e}; autograd order 4 exact"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-out")))
    args = ap.parse_args()
    device = torch.device(args.device)
    info = json.loads(torch.ops.gem.build_info())
    print(f"[compile_check] torch {torch.__version__}, gem {gem.__version__} (built for torch {info['torch_version']}, "
          f"CUDA kernels {info['cuda']}), device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""), flush=True)

    # The Meta kernels and autograd are the same code for every device: the full set on the device
    # under test, a smaller one on the CPU.
    check("opcheck, CPU samples")(lambda: opcheck_all("cpu", full=device.type == "cpu"))
    if device.type == "cuda":
        check("opcheck, CUDA samples")(lambda: opcheck_all(device))
    check("compile ResNet-56, E-GEM fixed eps")(lambda: compile_resnet(device, lambda: gem.nn.EGEM(1, 1e-4), False))
    check("compile ResNet-56, SE-GEM learnable eps, dynamic")(
        lambda: compile_resnet(device, lambda: gem.nn.SEGEM(1, 1e-2, learnable_eps=True), True))
    check("compile GPT block, per-channel eps")(lambda: compile_gpt(device, False))
    check("compile GPT block, per-channel eps, dynamic")(lambda: compile_gpt(device, True))
    check("export GPT block")(lambda: export_gpt(device))
    check(f"per-channel eps on {device.type} vs CPU and float64")(lambda: per_channel(device))
    check(f"derivatives of any order on {device.type} vs CPU")(lambda: derivatives(device))

    args.out.mkdir(parents=True, exist_ok=True)
    record = {"torch": torch.__version__, "device": str(device),
              "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": RESULTS}
    tmp = args.out / ".compile_check.json.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, args.out / "compile_check.json")
    width = max(len(r["check"]) for r in RESULTS)
    print(f"\n{'check':<{width}}  status   seconds  detail")
    for r in RESULTS:
        print(f"{r['check']:<{width}}  {r['status']:<7}  {r['seconds']:7.1f}  {r['detail']}")
    sys.exit(1 if any(r["status"] == "FAILED" for r in RESULTS) else 0)


if __name__ == "__main__":
    main()
