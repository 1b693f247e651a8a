"""GPU check of the gem operators (run by scripts/gpu_check.sh after the build and the ctest runs).

Sections, each on its own (a failure is recorded and the next section runs):
  correctness  every variant, N = 1..8 and dtype on CUDA: forward (into a poisoned out=),
               backward (same), backward_grad2, against a float64 reference evaluated on the GPU
               with torch ops (reference.py, spec 3.2) in ulps of the dtype at max(|ref|, M)
               (spec 3.4 bounds; 16-bit: 1 ulp) and against the CPU op (the same bits expected);
               fresh random inputs with huge, tiny and special values
  gradients    gradcheck and gradgradcheck on CUDA float64 (fixed eps, learnable eps, bias op),
               CUDA gradients against CPU gradients
  bias         gem::bias_forward / bias_backward on CUDA against the CPU composition
  bandwidth    forward and backward GB/s (bytes read + written) against a device-to-device copy,
               relu, gelu, silu, E-GEM written in eager PyTorch and the same under torch.compile;
               2^28 elements, float32 and bfloat16, N = 1, 2, 4; CUDA events, median of 20
  fused_bias   bias_forward / bias_backward against the unfused pair
  gated        gem::glu (f(a) * b on x = [a | b]): CUDA against the CPU op bit for bit (every
               dtype, aligned and misaligned, GEM and SE-GEM), then forward and backward (autograd)
               time against the unfused chain and torch's GEGLU / SwiGLU, on a GPT-2-sized
               feed-forward (8192 tokens x [2048 | 2048])
  resnet56     CIFAR ResNet-56 training step (batch 128, bf16 autocast, channels_last) with ReLU,
               GELU, E-GEM (our op) and E-GEM in eager PyTorch: median step time

Writes every number to $OUT/gpu_results.json (./gpu-out without OUT) and prints a short table
last. GEM_GPU_CHECK_DRY=1 runs the same code on the CPU with tiny sizes (to test this script).
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "python"))

import reference  # noqa: E402
import timing  # noqa: E402
from resnet import resnet56  # noqa: E402

VARIANTS = ("gem", "egem", "segem")
DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
DTYPE_NAME = {torch.float64: "float64", torch.float32: "float32", torch.float16: "float16",
              torch.bfloat16: "bfloat16"}
BITS = {torch.float64: torch.int64, torch.float32: torch.int32, torch.float16: torch.int16,
        torch.bfloat16: torch.int16}
# Exponent range of finite values (subnormals included), for drawing inputs.
EXPONENTS = {torch.float64: (-1074, 1023), torch.float32: (-149, 127), torch.float16: (-24, 15),
             torch.bfloat16: (-133, 127)}
OPS = ("forward", "backward", "backward_grad2")


def log(msg: str) -> None:
    print(f"[gpu_check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Config:
    def __init__(self, dry: bool, device: torch.device):
        self.dry = dry
        self.device = device
        self.check_n = 1 << (10 if dry else 18)
        self.bench_n = 1 << (14 if dry else 28)
        self.repeats = 2 if dry else 20
        self.warmup = 1 if dry else 3
        self.resnet_batch = 4 if dry else 128
        self.resnet_repeats = 2 if dry else 20
        self.resnet_warmup = 1 if dry else 5
        self.compile_budget_s = float(os.environ.get("GEM_GPU_COMPILE_BUDGET_S", "90"))


# ---- Inputs -------------------------------------------------------------------------------------

def draw_inputs(n: int, dtype, scale: float, device) -> torch.Tensor:
    """n values of dtype: specials, then log-uniform magnitudes over the whole exponent range,
    normal values at the activation's scale and values within 2^+-3 of it, random signs."""
    lo, hi = EXPONENTS[dtype]
    tiny, huge = math.ldexp(1.0, lo), reference.FORMATS[dtype][2]
    specials = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, tiny, -tiny, huge, -huge],
                            dtype=torch.float64, device=device)
    k = max(n - specials.numel(), 0)
    k1, k2 = 2 * k // 5, 2 * k // 5
    k3 = k - k1 - k2
    f64 = dict(dtype=torch.float64, device=device)
    sign = lambda m: torch.where(torch.rand(m, **f64) < 0.5, -1.0, 1.0)  # noqa: E731
    wide = sign(k1) * torch.exp2(torch.rand(k1, **f64) * (hi + 0.999 - lo) + lo)
    normal = torch.randn(k2, **f64) * scale
    near = sign(k3) * scale * torch.exp2(torch.rand(k3, **f64) * 6.0 - 3.0)
    x = torch.cat([specials, wide, normal, near])[:n]
    x = x[torch.randperm(x.numel(), device=device)]
    return x.to(dtype)


def activation_scale(variant: str, N: int, eps: float) -> float:
    return (1.0 if variant == "gem" else eps) ** (1.0 / (2 * N))


def bitwise_mismatches(a: torch.Tensor, b: torch.Tensor) -> int:
    """Elements whose bits differ, NaN against NaN counting as equal."""
    a, b = a.contiguous(), b.contiguous().to(a.device)
    same = (a.view(BITS[a.dtype]) == b.view(BITS[b.dtype])) | (torch.isnan(a) & torch.isnan(b))
    return int((~same).sum())


def run_op(op: str, x, g, variant, N, eps, poison: bool):
    """The op on x's device; forward and backward write into a poisoned out= tensor."""
    if op == "forward":
        if poison:
            out = torch.full_like(x, 1234.5)
            return torch.ops.gem.forward_out(x, variant, N, eps, out=out)
        return torch.ops.gem.forward(x, variant, N, eps)
    if op == "backward":
        if poison:
            out = torch.full_like(x, 1234.5)
            return torch.ops.gem.backward_out(g, x, variant, N, eps, grad_in=out)
        return torch.ops.gem.backward(g, x, variant, N, eps)
    return torch.ops.gem.backward_grad2(g, x, variant, N, eps)


# ---- Sections -----------------------------------------------------------------------------------

def check_correctness(cfg: Config) -> dict:
    cases = []
    plan = [(v, N, dt, None) for dt in DTYPES for v in VARIANTS for N in range(1, 9)]
    # eps outside binary32's range: float and 16-bit storage evaluate in binary64.
    plan += [("egem", 2, dt, 1e-300) for dt in DTYPES[1:]] + [("segem", 3, dt, 1e39) for dt in DTYPES[1:]]
    for variant, N, dtype, fixed_eps in plan:
        eps = 1.0 if variant == "gem" else (fixed_eps if fixed_eps is not None else 10 ** random.uniform(-6, 1))
        x = draw_inputs(cfg.check_n, dtype, activation_scale(variant, N, eps), cfg.device)
        g = torch.randn(cfg.check_n, dtype=torch.float64, device=cfg.device).to(dtype)
        ref = reference.derivs(variant, x, N, eps)
        g64 = g.to(torch.float64)
        x_cpu, g_cpu = x.cpu(), g.cpu()
        for which, op in enumerate(OPS):
            scaled = which > 0
            want = ref[which] * g64 if scaled else ref[which]
            M = reference.cancel_magnitude(variant, N, eps, x, which, ref[which])
            if scaled:
                M = M * g64.abs()
            got = run_op(op, x, g, variant, N, eps, poison=True)
            err = reference.error_ulps(dtype, got, want, M)
            worst = float(err.max())
            bound = reference.bound_ulps(dtype, N, which, scaled)
            cpu = run_op(op, x_cpu, g_cpu, variant, N, eps, poison=False)
            mismatches = bitwise_mismatches(got.cpu(), cpu)
            case = {"variant": variant, "N": N, "eps": eps, "dtype": DTYPE_NAME[dtype], "op": op,
                    "n": cfg.check_n, "worst_ulps": worst, "bound_ulps": bound,
                    "beyond_bound": int((err > bound).sum()), "cpu_bit_mismatches": mismatches}
            case["ok"] = case["beyond_bound"] == 0 and mismatches == 0
            if case["beyond_bound"]:
                i = int(torch.argmax(torch.nan_to_num(err, posinf=1e300)))
                case["worst_at"] = {"x": float(x[i]), "got": float(got[i]), "want": float(want[i])}
            cases.append(case)
        if not all(c["ok"] for c in cases[-3:]) and sum(not c["ok"] for c in cases) <= 30:
            log(f"  FAIL {variant} N={N} eps={eps:.3g} {DTYPE_NAME[dtype]}: "
                + "; ".join(f"{c['op']} {c['worst_ulps']:.3g}/{c['bound_ulps']:g} ulp, cpu diff {c['cpu_bit_mismatches']}"
                            for c in cases[-3:]))
    worst = {}
    for c in cases:
        key = f"{c['dtype']} {c['op']}"
        worst[key] = max(worst.get(key, 0.0), c["worst_ulps"])
    passed = sum(c["ok"] for c in cases)
    log(f"correctness: {passed}/{len(cases)} cases pass")
    identical = sum(c["cpu_bit_mismatches"] == 0 for c in cases)
    log(f"correctness: {identical}/{len(cases)} cases give the CPU op's bits")
    return {"ok": passed == len(cases), "passed": passed, "total": len(cases), "worst_ulps": worst,
            "cpu_bit_identical": identical, "cases": cases}


def check_gradients(cfg: Config) -> dict:
    from torch.autograd import gradcheck, gradgradcheck
    dev, f64 = cfg.device, torch.float64
    results = []

    def record(name, fn, inputs):
        entry = {"name": name}
        try:
            entry["gradcheck"] = bool(gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4))
            entry["gradgradcheck"] = bool(gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4))
        except Exception as e:  # gradcheck raises with the mismatching Jacobians
            entry["error"] = f"{type(e).__name__}: {str(e)[:400]}"
        entry["ok"] = entry.get("gradcheck", False) and entry.get("gradgradcheck", False)
        results.append(entry)

    for variant in VARIANTS:
        for N in (1, 2, 3, 8):
            eps = 1.0 if variant == "gem" else 0.5
            x = (torch.randn(16, dtype=f64, device=dev) * 1.5).requires_grad_()
            record(f"forward {variant} N={N}", lambda t, v=variant, n=N, e=eps: torch.ops.gem.forward(t, v, n, e), (x,))
    for variant in ("egem", "segem"):
        x = (torch.randn(12, dtype=f64, device=dev) * 1.5).requires_grad_()
        e = torch.tensor([0.3], dtype=f64, device=dev, requires_grad=True)
        record(f"forward_eps_tensor {variant} N=2",
               lambda t, s, v=variant: torch.ops.gem.forward_eps_tensor(t, v, 2, s), (x, e))
    xb = (torch.randn(6, 5, dtype=f64, device=dev) * 1.5).requires_grad_()
    bb = torch.randn(5, dtype=f64, device=dev, requires_grad=True)
    record("bias_forward segem N=3", lambda t, b: torch.ops.gem.bias_forward(t, b, "segem", 3, 0.5), (xb, bb))
    xg = (torch.randn(6, 8, dtype=f64, device=dev) * 1.5).requires_grad_()
    for spec in ("egem:N=1,eps=0.5", "segem:N=2,eps=0.3"):
        record(f"glu {spec}", lambda t, s=spec: torch.ops.gem.glu(t, s), (xg,))

    # The same first and second derivatives on CUDA and CPU (float32, fresh inputs).
    x = torch.randn(4096, device=dev)
    for variant, N, eps in (("egem", 1, 1e-2), ("segem", 4, 0.3)):
        grads = []
        for d in (dev, torch.device("cpu")):
            t = x.to(d).requires_grad_()
            y = torch.ops.gem.forward(t, variant, N, eps)
            (gx,) = torch.autograd.grad(y.sum(), t, create_graph=True)
            (ggx,) = torch.autograd.grad(gx.sum(), t)
            grads.append((gx.detach().cpu(), ggx.cpu()))
        same = bitwise_mismatches(grads[0][0], grads[1][0]) == 0 and bitwise_mismatches(grads[0][1], grads[1][1]) == 0
        results.append({"name": f"cuda vs cpu grad and grad2 {variant} N={N}", "ok": same})
    passed = sum(r["ok"] for r in results)
    log(f"gradients: {passed}/{len(results)} pass")
    return {"ok": passed == len(results), "passed": passed, "total": len(results), "checks": results}


def check_bias(cfg: Config) -> dict:
    results = []
    shapes = [(7, 3), (64, 16), (1000, 17), (33, 1024)] if cfg.dry else \
        [(7, 3), (4096, 64), (1000, 1000), (2048, 3), (33, 4096), (131072, 16)]
    for dtype in DTYPES:
        for rows, C in shapes:
            for variant, N, eps in (("egem", 1, 1e-4), ("segem", 3, 10.0)):
                for misaligned in (False, True):
                    dev = cfg.device
                    base = torch.randn(rows * C + 1, dtype=torch.float64, device=dev).to(dtype)
                    x = (base[1:] if misaligned else base[:-1]).view(rows, C)  # offset by one element
                    b = (torch.rand(C, dtype=torch.float64, device=dev) * 2 - 1).to(dtype)
                    go = torch.randn(rows, C, dtype=torch.float64, device=dev).to(dtype)
                    y = torch.ops.gem.bias_forward(x, b, variant, N, eps)
                    gx, gb = torch.ops.gem.bias_backward(go, x, b, variant, N, eps)
                    y_cpu = torch.ops.gem.bias_forward(x.cpu(), b.cpu(), variant, N, eps)
                    gx_cpu, _ = torch.ops.gem.bias_backward(go.cpu(), x.cpu(), b.cpu(), variant, N, eps)
                    # grad_bias: column sums of the stored grad_x, float (double) accumulation.
                    g64 = gx.to(torch.float64)
                    exact = g64.sum(0)
                    u_acc = 2.0 ** -53 if dtype == torch.float64 else 2.0 ** -24
                    u_store = {torch.float64: 2.0 ** -53, torch.float32: 2.0 ** -24, torch.float16: 2.0 ** -11,
                               torch.bfloat16: 2.0 ** -8}[dtype]
                    acc = rows * u_acc * g64.abs().sum(0)
                    tol = acc + u_store * (exact.abs() + acc) + 1e-300
                    gb_err = (gb.to(torch.float64) - exact).abs()
                    entry = {"dtype": DTYPE_NAME[dtype], "rows": rows, "channels": C, "variant": variant, "N": N,
                             "misaligned": misaligned, "y_cpu_mismatches": bitwise_mismatches(y.cpu(), y_cpu),
                             "grad_x_cpu_mismatches": bitwise_mismatches(gx.cpu(), gx_cpu),
                             "grad_bias_beyond_tol": int((gb_err > tol).sum())}
                    entry["ok"] = entry["y_cpu_mismatches"] == 0 and entry["grad_x_cpu_mismatches"] == 0 and \
                        entry["grad_bias_beyond_tol"] == 0
                    if not entry["ok"]:
                        log(f"  FAIL bias {entry}")
                    results.append(entry)
    passed = sum(r["ok"] for r in results)
    log(f"bias: {passed}/{len(results)} pass")
    return {"ok": passed == len(results), "passed": passed, "total": len(results), "cases": results}


def egem_eager(x, N: int, eps: float):
    """E-GEM as a user would write it in eager PyTorch (one kernel per op)."""
    xp = torch.clamp_min(x, 0)
    p = xp ** (2 * N)
    return xp * p / (eps + p)


def egem_grad_eager(g, x, N: int, eps: float):
    xp = torch.clamp_min(x, 0)
    p = xp ** (2 * N)
    d = eps + p
    return g * (p * (p + (2 * N + 1) * eps) / (d * d))


def bench_bandwidth(cfg: Config) -> dict:
    dev, n = cfg.device, cfg.bench_n
    eps = 1e-4
    rows = []
    compile_spent = 0.0
    can_compile = hasattr(torch, "compile")
    compiled_cache = {}

    def timed(name, direction, dtype, fn, bytes_moved, extra=None):
        entry = {"name": name, "direction": direction, "dtype": DTYPE_NAME[dtype], "n": n, "bytes": bytes_moved}
        entry.update(extra or {})
        try:
            t = timing.time_ms(fn, dev, cfg.warmup, cfg.repeats)
            entry.update(t)
            entry["gbps"] = timing.gbps(bytes_moved, t["median_ms"])
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
        rows.append(entry)
        if "gbps" in entry:
            log(f"  {entry['dtype']:8s} {direction:8s} {name:24s} {entry['median_ms']:8.3f} ms {entry['gbps']:8.1f} GB/s")
        else:
            log(f"  {entry['dtype']:8s} {direction:8s} {name:24s} {entry['error']}")

    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(n, device=dev, dtype=dtype)
        g = torch.randn(n, device=dev, dtype=dtype)
        y = torch.empty_like(x)
        size = x.element_size()
        fwd, bwd = 2 * n * size, 3 * n * size
        timed("copy", "forward", dtype, lambda: y.copy_(x), fwd)
        timed("relu", "forward", dtype, lambda: torch.relu(x), fwd)
        timed("gelu", "forward", dtype, lambda: F.gelu(x), fwd)
        timed("silu", "forward", dtype, lambda: F.silu(x), fwd)
        timed("relu", "backward", dtype, lambda: torch.ops.aten.threshold_backward(g, x, 0.0), bwd)
        timed("gelu", "backward", dtype, lambda: torch.ops.aten.gelu_backward(g, x), bwd)
        timed("silu", "backward", dtype, lambda: torch.ops.aten.silu_backward(g, x), bwd)
        for N in (1, 2, 4):
            for variant in VARIANTS:
                e = 1.0 if variant == "gem" else eps
                timed(f"gem::{variant} N={N}", "forward", dtype,
                      lambda v=variant, k=N, e=e: torch.ops.gem.forward(x, v, k, e), fwd, {"N": N})
                timed(f"gem::{variant} N={N}", "backward", dtype,
                      lambda v=variant, k=N, e=e: torch.ops.gem.backward(g, x, v, k, e), bwd, {"N": N})
            timed(f"eager egem N={N}", "forward", dtype, lambda k=N: egem_eager(x, k, eps), fwd, {"N": N})
            timed(f"eager egem N={N}", "backward", dtype, lambda k=N: egem_grad_eager(g, x, k, eps), bwd, {"N": N})
            for direction, fn_eager in (("forward", egem_eager), ("backward", egem_grad_eager)):
                name = f"compiled egem N={N}"
                if not can_compile:
                    rows.append({"name": name, "direction": direction, "dtype": DTYPE_NAME[dtype],
                                 "skipped": "torch.compile not available in torch " + torch.__version__})
                    continue
                if compile_spent > cfg.compile_budget_s:
                    rows.append({"name": name, "direction": direction, "dtype": DTYPE_NAME[dtype],
                                 "skipped": f"compile budget of {cfg.compile_budget_s:.0f} s spent"})
                    log(f"  skip {name} {direction} {DTYPE_NAME[dtype]}: compile budget spent")
                    continue
                key = (direction, N)
                if key not in compiled_cache:
                    if direction == "forward":
                        compiled_cache[key] = torch.compile(lambda t, k=N: egem_eager(t, k, eps), dynamic=False)
                    else:
                        compiled_cache[key] = torch.compile(lambda a, t, k=N: egem_grad_eager(a, t, k, eps),
                                                            dynamic=False)
                fn = compiled_cache[key]
                call = (lambda f=fn: f(x)) if direction == "forward" else (lambda f=fn: f(g, x))
                t0 = time.perf_counter()
                try:
                    call()
                    timing.synchronize(dev)
                    ok = True
                except Exception as e:  # report and go on without torch.compile numbers
                    rows.append({"name": name, "direction": direction, "dtype": DTYPE_NAME[dtype],
                                 "skipped": f"torch.compile failed: {type(e).__name__}: {str(e)[:300]}"})
                    log(f"  torch.compile failed for {name} {direction}: {type(e).__name__}: {str(e)[:200]}")
                    ok = False
                spent = time.perf_counter() - t0
                compile_spent += spent
                if ok:
                    timed(name, direction, dtype, call, fwd if direction == "forward" else bwd,
                          {"N": N, "compile_s": spent})
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    copy = {r["dtype"]: r.get("gbps") for r in rows if r["name"] == "copy"}
    for r in rows:
        if r.get("gbps") and copy.get(r["dtype"]):
            r["fraction_of_copy"] = r["gbps"] / copy[r["dtype"]]
    return {"ok": all("error" not in r for r in rows), "rows": rows, "compile_seconds": compile_spent}


def bench_fused_bias(cfg: Config) -> dict:
    dev, n = cfg.device, cfg.bench_n
    rows = []
    variant, N, eps = "egem", 1, 1e-4
    for dtype in (torch.float32, torch.bfloat16):
        for C in (64, 1024):
            r = n // C
            x = torch.randn(r, C, device=dev, dtype=dtype)
            go = torch.randn(r, C, device=dev, dtype=dtype)
            b = torch.randn(C, device=dev, dtype=dtype)
            size = x.element_size()
            acc = torch.float64 if dtype == torch.float64 else torch.float32

            def unfused_backward():
                gx = torch.ops.gem.backward(go, x + b, variant, N, eps)
                return gx, gx.sum(0, dtype=acc).to(dtype)

            cases = (("forward", lambda: torch.ops.gem.bias_forward(x, b, variant, N, eps),
                      lambda: torch.ops.gem.forward(x + b, variant, N, eps), 2 * n * size),
                     ("backward", lambda: torch.ops.gem.bias_backward(go, x, b, variant, N, eps),
                      unfused_backward, 3 * n * size))
            for direction, fused, unfused, nbytes in cases:
                entry = {"direction": direction, "dtype": DTYPE_NAME[dtype], "channels": C, "rows": r,
                         "bytes_fused": nbytes}
                try:
                    tf = timing.time_ms(fused, dev, cfg.warmup, cfg.repeats)
                    tu = timing.time_ms(unfused, dev, cfg.warmup, cfg.repeats)
                    entry.update({"fused_ms": tf["median_ms"], "unfused_ms": tu["median_ms"],
                                  "fused_gbps": timing.gbps(nbytes, tf["median_ms"]),
                                  "speedup": tu["median_ms"] / tf["median_ms"]})
                    log(f"  {DTYPE_NAME[dtype]:8s} {direction:8s} C={C:5d} fused {tf['median_ms']:.3f} ms "
                        f"({entry['fused_gbps']:.0f} GB/s), unfused {tu['median_ms']:.3f} ms, x{entry['speedup']:.2f}")
                except Exception as e:
                    entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                    log(f"  fused bias {direction} {DTYPE_NAME[dtype]} C={C}: {entry['error']}")
                rows.append(entry)
    return {"ok": all("error" not in r for r in rows), "rows": rows}


def check_and_bench_gated(cfg: Config) -> dict:
    dev = cfg.device
    checks = []
    shapes = [(7, 3), (64, 16), (33, 1024)] if cfg.dry else [(7, 3), (4096, 64), (1000, 1000), (33, 4096), (2048, 17)]
    for dtype in DTYPES:
        for rows, C in shapes:
            for variant, N, eps in (("egem", 1, 1e-4), ("segem", 3, 10.0), ("gem", 2, 1.0)):
                for misaligned in (False, True):
                    base = torch.randn(rows * 2 * C + 1, dtype=torch.float64, device=dev).mul_(3).to(dtype)
                    x = (base[1:] if misaligned else base[:-1]).view(rows, 2 * C)
                    go = torch.randn(rows, C, dtype=torch.float64, device=dev).to(dtype)
                    y = torch.ops.gem.glu_forward(x, variant, N, eps)
                    gx = torch.ops.gem.glu_backward(go, x, variant, N, eps)
                    entry = {"dtype": DTYPE_NAME[dtype], "rows": rows, "channels": C, "variant": variant, "N": N,
                             "misaligned": misaligned,
                             "y_cpu_mismatches": bitwise_mismatches(y.cpu(), torch.ops.gem.glu_forward(
                                 x.cpu(), variant, N, eps)),
                             "grad_x_cpu_mismatches": bitwise_mismatches(gx.cpu(), torch.ops.gem.glu_backward(
                                 go.cpu(), x.cpu(), variant, N, eps))}
                    entry["ok"] = entry["y_cpu_mismatches"] == 0 and entry["grad_x_cpu_mismatches"] == 0
                    if not entry["ok"]:
                        log(f"  FAIL gated {entry}")
                    checks.append(entry)
    passed = sum(c["ok"] for c in checks)
    log(f"gated: {passed}/{len(checks)} bit-identical to the CPU")

    tokens, width = (64, 128) if cfg.dry else (8192, 2048)
    rows = []

    def split(v):
        return v.chunk(2, -1)

    candidates = {
        "egem fused (glu)": lambda v: torch.ops.gem.glu(v, "egem:N=1,eps=1e-4"),
        "egem unfused": lambda v: (lambda a, b: torch.ops.gem.forward(a, "egem", 1, 1e-4) * b)(*split(v)),
        "gem N=2 fused (glu)": lambda v: torch.ops.gem.glu(v, "gem:N=2"),
        "geglu (torch)": lambda v: (lambda a, b: F.gelu(a) * b)(*split(v)),
        "swiglu (torch)": lambda v: (lambda a, b: F.silu(a) * b)(*split(v)),
    }
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(tokens, 2 * width, device=dev, dtype=dtype)
        go = torch.randn(tokens, width, device=dev, dtype=dtype)
        size = x.element_size()
        for name, fn in candidates.items():
            entry = {"name": name, "dtype": DTYPE_NAME[dtype], "tokens": tokens, "width": width}
            try:
                with torch.no_grad():
                    tf = timing.time_ms(lambda: fn(x), dev, cfg.warmup, cfg.repeats)
                xr = x.detach().requires_grad_()
                y = fn(xr)
                tb = timing.time_ms(lambda: torch.autograd.grad(y, xr, go, retain_graph=True), dev, cfg.warmup,
                                    cfg.repeats)
                entry.update({"forward_ms": tf["median_ms"], "backward_ms": tb["median_ms"],
                              "forward_gbps": timing.gbps(3 * tokens * width * size, tf["median_ms"]),
                              "backward_gbps": timing.gbps(5 * tokens * width * size, tb["median_ms"])})
                log(f"  {DTYPE_NAME[dtype]:8s} {name:20s} forward {tf['median_ms']:.3f} ms "
                    f"({entry['forward_gbps']:.0f} GB/s), backward {tb['median_ms']:.3f} ms")
            except Exception as e:
                entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                log(f"  gated {name} {DTYPE_NAME[dtype]}: {entry['error']}")
            rows.append(entry)
    for r in rows:  # the unfused chain over the fused op, same dtype
        base = next((u for u in rows if u["name"] == "egem unfused" and u["dtype"] == r["dtype"]), None)
        if r["name"] == "egem fused (glu)" and base and "forward_ms" in r and "forward_ms" in base:
            r["forward_speedup"] = base["forward_ms"] / r["forward_ms"]
            r["backward_speedup"] = base["backward_ms"] / r["backward_ms"]
    return {"ok": passed == len(checks) and all("error" not in r for r in rows), "passed": passed,
            "total": len(checks), "checks": checks, "rows": rows}


class OpActivation(nn.Module):
    """torch.ops.gem.forward as a module (used when the python package cannot be imported)."""

    def __init__(self, variant: str, N: int, eps: float):
        super().__init__()
        self.variant, self.N, self.eps = variant, N, eps

    def forward(self, x):
        return torch.ops.gem.forward(x, self.variant, self.N, self.eps)


class EagerEGEM(nn.Module):
    def forward(self, x):
        return egem_eager(x, 1, 1e-4)


def bench_resnet(cfg: Config, gem_module) -> dict:
    dev = cfg.device
    torch.backends.cudnn.benchmark = True
    egem = (lambda: gem_module.nn.EGEM(N=1, eps=1e-4)) if gem_module else (lambda: OpActivation("egem", 1, 1e-4))
    acts = (("relu", nn.ReLU), ("gelu", nn.GELU), ("egem N=1 (gem op)", egem), ("egem N=1 (eager torch)", EagerEGEM))
    rows = []
    batch = cfg.resnet_batch
    data = torch.randn(batch, 3, 32, 32, device=dev).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (batch,), device=dev)
    for name, act in acts:
        entry = {"activation": name, "batch": batch, "autocast": "bfloat16", "memory_format": "channels_last"}
        try:
            torch.manual_seed(0)
            model = resnet56(act).to(dev).to(memory_format=torch.channels_last)
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

            def step():
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device_type=dev.type, dtype=torch.bfloat16):
                    loss = F.cross_entropy(model(data), labels)
                loss.backward()
                opt.step()
                return loss

            t = timing.time_ms(step, dev, cfg.resnet_warmup, cfg.resnet_repeats)
            loss = float(step())
            entry.update(t)
            entry["final_loss"] = loss
            entry["ok"] = math.isfinite(loss)
            log(f"  resnet56 {name:24s} {t['median_ms']:8.2f} ms/step (loss {loss:.3f})")
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            entry["ok"] = False
            log(f"  resnet56 {name}: {entry['error']}")
        rows.append(entry)
    return {"ok": all(r["ok"] for r in rows), "rows": rows}


# ---- Driver -------------------------------------------------------------------------------------

def load_gem():
    """The python package (it loads libgem_torch.so, $GEM_TORCH_LIBRARY or build/lib)."""
    import gem  # noqa: F401  (registers torch.ops.gem)
    return gem


def environment(cfg: Config) -> dict:
    env = {"torch": torch.__version__, "python": platform.python_version(), "device": str(cfg.device),
           "dry_run": cfg.dry, "cuda_runtime": getattr(torch.version, "cuda", None)}
    if cfg.device.type == "cuda":
        p = torch.cuda.get_device_properties(cfg.device)
        env.update({"gpu": p.name, "sm_count": p.multi_processor_count, "memory_gib": p.total_memory / 2 ** 30,
                    "capability": f"{p.major}.{p.minor}"})
    return env


def summary_table(results: dict) -> str:
    s = results["sections"]
    lines = [f"== GEM GPU check: {results['environment'].get('gpu', results['environment']['device'])}, "
             f"torch {results['environment']['torch']} =="]
    for name in ("correctness", "gradients", "bias"):
        sec = s.get(name, {})
        if "error" in sec:
            lines.append(f"{name:12s} ERROR {sec['error'].splitlines()[-1][:100]}")
        elif sec:
            d = sec["data"]
            extra = f", {d['cpu_bit_identical']}/{d['total']} bit-identical to the CPU op" if name == "correctness" else ""
            lines.append(f"{name:12s} {d['passed']}/{d['total']} pass{extra}")
    corr = s.get("correctness", {}).get("data")
    if corr:
        lines.append("worst ulps   " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(corr["worst_ulps"].items())))
    bw = s.get("bandwidth", {}).get("data")
    if bw:
        lines.append(f"{'GB/s (2^28 elems)':26s} {'f32 fwd':>8s} {'f32 bwd':>8s} {'bf16 fwd':>8s} {'bf16 bwd':>8s}")
        names = []
        for r in bw["rows"]:
            if r["name"] not in names:
                names.append(r["name"])
        for name in names:
            cells = []
            for dt in ("float32", "bfloat16"):
                for direction in ("forward", "backward"):
                    r = next((r for r in bw["rows"] if r["name"] == name and r["dtype"] == dt
                              and r["direction"] == direction), None)
                    cells.append(f"{r['gbps']:8.0f}" if r and r.get("gbps") else f"{'-':>8s}")
            lines.append(f"{name:26s} " + " ".join(cells))
    fb = s.get("fused_bias", {}).get("data")
    if fb:
        for r in fb["rows"]:
            if "speedup" in r:
                lines.append(f"fused bias {r['dtype']:8s} {r['direction']:8s} C={r['channels']:<5d} "
                             f"{r['fused_gbps']:6.0f} GB/s, x{r['speedup']:.2f} vs unfused")
    gt = s.get("gated", {}).get("data")
    if gt:
        lines.append(f"gated        {gt['passed']}/{gt['total']} bit-identical to the CPU op")
        for r in gt["rows"]:
            if "forward_ms" in r:
                extra = (f", x{r['forward_speedup']:.2f} / x{r['backward_speedup']:.2f} vs unfused"
                         if "forward_speedup" in r else "")
                lines.append(f"gated {r['dtype']:8s} {r['name']:20s} fwd {r['forward_ms']:.3f} ms "
                             f"({r['forward_gbps']:.0f} GB/s), bwd {r['backward_ms']:.3f} ms{extra}")
    rn = s.get("resnet56", {}).get("data")
    if rn:
        lines.append("resnet56 step (batch %d, bf16, channels_last): " % rn["rows"][0]["batch"] + ", ".join(
            f"{r['activation']} {r['median_ms']:.2f} ms" if "median_ms" in r else f"{r['activation']} ERROR"
            for r in rn["rows"]))
    for name, sec in s.items():
        if "error" in sec and name not in ("correctness", "gradients", "bias"):
            lines.append(f"{name}: ERROR {sec['error'].splitlines()[-1][:120]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.environ.get("OUT") or "gpu-out", help="folder for gpu_results.json")
    parser.add_argument("--sections", default="correctness,gradients,bias,bandwidth,fused_bias,gated,resnet56",
                        help="comma-separated sections to run")
    args = parser.parse_args()
    dry = os.environ.get("GEM_GPU_CHECK_DRY") == "1"
    if not dry and not torch.cuda.is_available():
        print("gpu_check.py: no CUDA device visible to torch (set GEM_GPU_CHECK_DRY=1 to test on the CPU)")
        return 2
    cfg = Config(dry, torch.device("cpu") if dry else torch.device("cuda"))
    seed = int(os.environ.get("GEM_GPU_CHECK_SEED", str(int(time.time()))))
    random.seed(seed)
    torch.manual_seed(seed)
    results = {"environment": environment(cfg), "seed": seed, "sections": {}}
    log(f"environment: {results['environment']}, seed {seed}")
    gem_module = None
    try:
        gem_module = load_gem()
        results["environment"]["gem_library"] = gem_module._library.library_path()
    except Exception as e:
        results["environment"]["gem_library_error"] = f"{type(e).__name__}: {e}"
        log(f"cannot load the gem operators ({type(e).__name__}: {e}); sections that need them fail")
    sections = {"correctness": lambda: check_correctness(cfg), "gradients": lambda: check_gradients(cfg),
                "bias": lambda: check_bias(cfg), "bandwidth": lambda: bench_bandwidth(cfg),
                "fused_bias": lambda: bench_fused_bias(cfg), "gated": lambda: check_and_bench_gated(cfg),
                "resnet56": lambda: bench_resnet(cfg, gem_module)}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in [s for s in args.sections.split(",") if s]:
        log(f"section {name} ...")
        t0 = time.perf_counter()
        try:
            data = sections[name]()
            results["sections"][name] = {"ok": data.get("ok", True), "seconds": time.perf_counter() - t0,
                                         "data": data}
        except Exception:
            results["sections"][name] = {"ok": False, "seconds": time.perf_counter() - t0,
                                         "error": traceback.format_exc()}
            log(f"section {name} failed:\n{traceback.format_exc()}")
        log(f"section {name} done in {time.perf_counter() - t0:.1f} s")
        (out_dir / "gpu_results.json").write_text(json.dumps(results, indent=1, default=str))
    table = summary_table(results)
    print("\n" + table, flush=True)
    return 0 if all(sec["ok"] for sec in results["sections"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
