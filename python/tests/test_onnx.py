"""ONNX export (gem.onnx): models with gem modules (fixed, learnable and per-channel eps, all
three variants, N = 1..8) export to standard ONNX operators only, pass onnx.checker (Debian's
python3-onnx), and run in a real ONNX Runtime (npm onnxruntime-node, through onnx_runner.js),
matching torch within 1e-5 relative in float32 on random and extreme inputs (0, -0, 1e-30,
1e18, 3e38, +-inf), special values included."""
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import gem
import gem.onnx

onnx = pytest.importorskip("onnx", reason="python3-onnx (scripts/setup.sh installs it)")

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "onnx_runner.js"
ORT_DIR = Path(os.environ.get("GEM_ONNXRUNTIME_NODE", ROOT / "data" / "npm"))


@pytest.fixture(scope="module")
def ort():
    if shutil.which("node") is None or not (ORT_DIR / "node_modules" / "onnxruntime-node" / "package.json").is_file():
        if os.environ.get("GEM_REQUIRE_ONNXRUNTIME") != "1":  # CI sets it (scripts/test_python_package.sh)
            pytest.skip(f"ONNX Runtime for Node not found in {ORT_DIR}/node_modules")
        pytest.fail(f"ONNX Runtime for Node not found in {ORT_DIR}/node_modules: run scripts/setup.sh (it runs "
                    "npm install --ignore-scripts onnxruntime-node there) or set GEM_ONNXRUNTIME_NODE")

    def run(path, x):
        dtype = {torch.float32: "float32", torch.float64: "float64"}[x.dtype]
        src, dst = path.with_suffix(".in"), path.with_suffix(".out")
        src.write_bytes(x.numpy().tobytes())
        done = subprocess.run(["node", str(RUNNER), str(path), "x", dtype, ",".join(map(str, x.shape)), str(src),
                               str(dst)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "NODE_PATH": str(ORT_DIR / "node_modules")})
        assert done.returncode == 0, done.stderr
        return np.frombuffer(dst.read_bytes(), dtype=x.numpy().dtype)
    return run


EXTREMES = [0.0, -0.0, 1e-30, -1e-30, 1e18, -1e18, 3e38, -3e38, math.inf, -math.inf, 1.0, -1.0, 0.5, -2.0, 1e-3,
            -1e-3, 40.0, -40.0]


def inputs(shape=None, dtype=torch.float32):
    torch.manual_seed(0)
    x = torch.cat([torch.tensor(EXTREMES, dtype=torch.float64), torch.randn(238, dtype=torch.float64) * 3]).to(dtype)
    return x if shape is None else x[: math.prod(shape)].reshape(shape)


def assert_matches(got, want, rtol=1e-5, zero_signs=True):
    want = want.detach().numpy().reshape(-1)
    got = got.reshape(-1)
    assert got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), "NaN positions differ"
    exact = ~nan & ((want == 0) | np.isinf(want))
    assert np.array_equal(got[exact], want[exact]), "zeros and infinities differ"
    if zero_signs:  # the values' zeros (spec 3.3); ONNX Runtime's Where drops the sign of derivatives' zeros
        zeros = exact & (want == 0)
        assert np.array_equal(np.signbit(got[zeros]), np.signbit(want[zeros])), "zero signs"
    rest = ~nan & ~exact
    rel = np.abs(got[rest] - want[rest]) / np.abs(want[rest])
    assert rel.max(initial=0.0) <= rtol, f"largest relative difference {rel.max():.3g}"


def export(model, x, path):
    gem.onnx.export(model, (x,), str(path), input_names=["x"], output_names=["y"])
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    domains = {node.domain for node in graph.graph.node}
    assert domains <= {"", "ai.onnx"}, f"non-standard domains {domains}"
    return graph


class Stack(nn.Module):
    """Several activations of the same input, stacked: one export for many (variant, N)."""

    def __init__(self, modules):
        super().__init__()
        self.acts = nn.ModuleList(modules)

    def forward(self, x):
        return torch.stack([m(x) for m in self.acts])


@pytest.mark.parametrize("variant,eps", [("gem", None), ("egem", 1e-4), ("egem", 10.0), ("segem", 1e-2),
                                         ("segem", 1e5), ("segem", 1e40), ("egem", 1e-50)])  # the last two: binary64
def test_fixed_eps_every_order_matches_torch_in_onnx_runtime(ort, tmp_path, variant, eps):
    make = {"gem": lambda N: gem.nn.GEM(N), "egem": lambda N: gem.nn.EGEM(N, eps),
            "segem": lambda N: gem.nn.SEGEM(N, eps)}[variant]
    model = Stack([make(N) for N in range(1, 9)])
    x = inputs()
    export(model, x, tmp_path / "m.onnx")
    assert_matches(ort(tmp_path / "m.onnx", x), model(x))


@pytest.mark.parametrize("variant", ["egem", "segem"])
def test_learnable_eps_one_and_per_channel(ort, tmp_path, variant):
    cls = gem.nn.EGEM if variant == "egem" else gem.nn.SEGEM
    one = cls(N=2, eps=1e-3, learnable_eps=True)
    per_channel = cls(N=1, eps=1e-2, learnable_eps=True, num_parameters=4)
    last = cls(N=3, eps=0.5, learnable_eps=True, num_parameters=8, channel_dim=-1)
    with torch.no_grad():  # trained values, not the initial ones
        one.log_eps.fill_(math.log(3e-3))
        per_channel.log_eps.copy_(torch.tensor([1e-4, 1e-2, 1.0, 30.0]).log())
        last.log_eps.copy_(torch.logspace(-3, 2, 8).log())
    x4 = inputs((2, 4, 4, 8))
    for name, model in (("one", one), ("per_channel", per_channel), ("last", last)):
        export(model, x4, tmp_path / f"{name}.onnx")
        assert_matches(ort(tmp_path / f"{name}.onnx", x4), model(x4))


def test_a_converted_cnn_with_bias_and_derivative_ops(ort, tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10), nn.ReLU())
    assert gem.nn.replace_activations(model, "segem:N=2,eps=0.01") == 2
    x = torch.randn(3, 1, 8, 8)
    export(model, x, tmp_path / "cnn.onnx")
    assert_matches(ort(tmp_path / "cnn.onnx", x), model(x), rtol=1e-4)  # the convolutions' own rounding

    class Ops(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", torch.linspace(-1, 1, 16))  # a constant of the graph

        def forward(self, x):
            return torch.stack([torch.ops.gem.bias_forward(x, self.b, "egem", 2, 1e-3),
                                gem.functional.derivative(x, "egem:N=1,eps=0.001", 1),
                                gem.functional.derivative(x, "segem:N=2,eps=0.1", 2),
                                torch.ops.gem.backward(x, x, "segem", 1, 0.5)])
    x = inputs((16, 16))
    ops = Ops()
    export(ops, x, tmp_path / "ops.onnx")
    assert_matches(ort(tmp_path / "ops.onnx", x), ops(x), zero_signs=False)


def test_gated_activations_match_torch_in_onnx_runtime(ort, tmp_path):
    model = Stack([gem.nn.GLU("egem:N=1,eps=1e-4"), gem.nn.GLU("segem:N=2,eps=0.01"), gem.nn.GLU("gem:N=3")])

    class Fused(nn.Module):  # the op itself, as the tracer records it
        def forward(self, x):
            return torch.ops.gem.glu_forward(x, "egem", 2, 1e-3)
    x = inputs((16, 16))
    graph = export(model, x, tmp_path / "glu.onnx")
    assert "Split" in {node.op_type for node in graph.graph.node}
    assert_matches(ort(tmp_path / "glu.onnx", x), model(x))
    export(Fused(), x, tmp_path / "fused.onnx")
    assert_matches(ort(tmp_path / "fused.onnx", x), Fused()(x))


def test_float64_models_run_too(ort, tmp_path):
    model = Stack([gem.nn.EGEM(1, 1e-4), gem.nn.SEGEM(4, 0.3)]).double()
    x = inputs(dtype=torch.float64)
    export(model, x, tmp_path / "d.onnx")
    assert_matches(ort(tmp_path / "d.onnx", x), model(x), rtol=1e-12)


def test_what_does_not_export_says_why(tmp_path):
    class Third(nn.Module):
        def forward(self, x):
            return gem.functional.derivative(x, "egem:N=2,eps=0.01", 3)

    with pytest.raises(RuntimeError, match="order 3 has no ONNX form"):
        gem.onnx.export(Third(), (torch.randn(4),), str(tmp_path / "t.onnx"))

    class Training(nn.Module):
        def forward(self, x):
            return torch.ops.gem.eps_partial(x, "egem", 1, torch.tensor(0.1), 0, 1)

    with pytest.raises(RuntimeError, match="training op"):
        gem.onnx.export(Training(), (torch.randn(4),), str(tmp_path / "p.onnx"))
    with pytest.raises(ValueError, match="opset_version >= 13"):
        gem.onnx.export(gem.nn.GEM(1), (torch.randn(4),), str(tmp_path / "o.onnx"), opset_version=12)
