"""gem.functional and the torch.ops.gem operators from Python: golden values, dtypes, strides,
errors, and gradcheck / gradgradcheck in float64 (fixed and learnable eps)."""
import json
import math
import os
import re
import warnings
from collections import defaultdict

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck, gradgradcheck

import gem
from gem import functional as G

VARIANT_FN = {
    "gem": lambda x, N, eps: G.gem(x, N),
    "egem": lambda x, N, eps: G.egem(x, N, eps),
    "segem": lambda x, N, eps: G.segem(x, N, eps),
}


def ulp32(v: float) -> float:
    v = abs(v)
    if v < 2.0 ** -126:
        return 2.0 ** -149
    return 2.0 ** (math.floor(math.log2(v)) - 23)


def grouped(rows, float32_only=False):
    groups = defaultdict(list)
    for r in rows:
        if float32_only and torch.tensor(r[3], dtype=torch.float32).item() != r[3]:
            continue
        groups[r[:3]].append(r)
    return groups


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_forward_matches_golden_values(golden_rows, dtype):
    """f within the spec bound (2N+4 ulps of |f|), the same rows the C++ tests use."""
    ulp = math.ulp if dtype == torch.float64 else ulp32
    checked = 0
    for (variant, N, eps), rows in grouped(golden_rows, dtype == torch.float32).items():
        x = torch.tensor([r[3] for r in rows], dtype=torch.float64).to(dtype)
        y = VARIANT_FN[variant](x, N, eps).double().tolist()
        for got, r in zip(y, rows):
            exact = r[4]
            assert abs(got - exact) <= (2 * N + 4) * ulp(exact), (variant, N, eps, r[3], got, exact)
            checked += 1
    assert checked > (5000 if dtype == torch.float64 else 4000)


def test_backward_matches_golden_values(golden_rows):
    """grad_out * f'(x) with grad_out = 1 where f' has no cancellation (E-GEM, GEM): 2N+6 ulps."""
    for (variant, N, eps), rows in grouped(golden_rows).items():
        if variant == "segem":
            continue
        x = torch.tensor([r[3] for r in rows], dtype=torch.float64)
        d = torch.ops.gem.backward(torch.ones_like(x), x, variant, N, eps).tolist()
        for got, r in zip(d, rows):
            assert abs(got - r[5]) <= (2 * N + 6) * math.ulp(r[5]), (variant, N, eps, r[3], got, r[5])


@pytest.mark.parametrize("dtype,rtol", [(torch.float16, 2.0 ** -10), (torch.bfloat16, 2.0 ** -7)])
def test_16_bit_dtypes_round_once(dtype, rtol):
    """16-bit results are the float64 value at the rounded input, rounded once (within 1 ulp)."""
    torch.manual_seed(0)
    x = (torch.randn(4099, dtype=torch.float64) * 3).to(dtype)
    for variant, N, eps in [("gem", 2, 1.0), ("egem", 1, 1e-2), ("segem", 3, 0.3)]:
        y = VARIANT_FN[variant](x, N, eps)
        assert y.dtype == dtype and y.shape == x.shape
        ref = VARIANT_FN[variant](x.double(), N, eps)
        torch.testing.assert_close(y.double(), ref, rtol=rtol, atol=1e-7)


def test_any_strides_give_the_contiguous_result():
    torch.manual_seed(1)
    base = torch.randn(6, 8, 5, 4)
    views = [base.transpose(0, 3), base[:, ::3], base.contiguous(memory_format=torch.channels_last),
             base[0, 0, 0].expand(7, 4), base.reshape(-1)[1:960:7]]
    for x in views:
        y = G.egem(x, 2, 1e-2)
        assert y.shape == x.shape
        assert torch.equal(y, G.egem(x.contiguous(), 2, 1e-2))
        go = torch.randn(x.shape)
        assert torch.equal(torch.ops.gem.backward(go, x, "egem", 2, 1e-2),
                           torch.ops.gem.backward(go, x.contiguous(), "egem", 2, 1e-2))


def test_empty_and_spec_overloads():
    assert G.segem(torch.empty(3, 0), 1, 1e-4).shape == (3, 0)
    x = torch.linspace(-3, 3, 31, dtype=torch.float64)
    assert torch.equal(torch.ops.gem.forward(x, "egem:N=2,eps=1e-4"), G.egem(x, 2, 1e-4))
    assert torch.equal(torch.ops.gem.backward(torch.ones_like(x), x, "gem:N=3"),
                       torch.ops.gem.backward(torch.ones_like(x), x, "gem", 3, 1.0))


def test_out_variant():
    x = torch.randn(100)
    out = torch.empty(100)
    torch.ops.gem.forward_out(x, "egem", 1, 1e-4, out=out)
    assert torch.equal(out, G.egem(x, 1, 1e-4))


def test_activation_baselines_are_torchs_own():
    x = torch.linspace(-4, 4, 81)
    assert torch.equal(G.activation(x, "relu"), F.relu(x))
    assert torch.equal(G.activation(x, "gelu"), F.gelu(x))
    assert torch.equal(G.activation(x, "silu"), F.silu(x))
    assert torch.equal(G.activation(x, "mish"), F.mish(x))
    assert torch.equal(G.activation(x, "elu:alpha=0.5"), F.elu(x, 0.5))
    assert torch.equal(G.activation(x, "leaky_relu"), F.leaky_relu(x, 0.01))
    assert torch.equal(G.activation(x, "segem:N=1,eps=1e-4"), G.segem(x, 1, 1e-4))


def test_clear_errors():
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"gem::backward: grad_out shape \[2, 3\] does not match x shape \[3, 2\]"):
        torch.ops.gem.backward(torch.zeros(2, 3), x, "egem", 1, 1e-4)
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor .* got Int"):
        G.egem(torch.zeros(3, dtype=torch.int32))
    with pytest.raises(TypeError, match="got ComplexFloat"):
        G.egem(torch.zeros(3, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"GEM order N must be an integer in \[1, 8\], got 9"):
        G.egem(x, 9)
    with pytest.raises(ValueError, match="E-GEM eps must be finite and > 0, got 0"):
        G.egem(x, 1, 0.0)
    with pytest.raises(ValueError, match="SE-GEM eps must be finite and > 0, got nan"):
        G.segem(x, 1, float("nan"))
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        G.activation(x, "swish")
    with pytest.raises(ValueError, match=r"eps must hold one value or one per channel \(2 along dimension 1"):
        G.egem(x, 1, torch.tensor([0.1, 0.2, 0.3]))


@pytest.mark.parametrize("N, shown", [(2.5, "2.5"), ("two", "two"), (0.5, "0.5")])
def test_a_non_integer_order_gets_the_core_message(N, shown):
    # Was: "expected at most 2 argument(s) ... forward.spec", the message of another overload.
    x = torch.zeros(3)
    for call in (lambda: G.egem(x, N, 1e-4), lambda: G.segem(x, N), lambda: G.gem(x, N),
                 lambda: gem.nn.EGEM(N=N), lambda: gem.nn.GEM(N=N)):
        with pytest.raises(ValueError, match=r"GEM order N must be an integer in \[1, 8\], got " + shown):
            call()
    assert torch.equal(G.egem(x, 2.0, 1e-4), G.egem(x, 2, 1e-4))  # an integral float is that integer


def test_out_of_another_shape_is_resized_with_torchs_warning(capfd):
    # torch's own resize_output warns; through torch.ops it is a Python warning where the torch
    # in use converts C++ warnings for custom ops (2.x), else a line on stderr (1.13).
    x = torch.linspace(-2, 2, 6)
    out = torch.empty(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.ops.gem.forward_out(x, "egem", 1, 1e-4, out=out)
    said = " ".join(str(w.message) for w in caught) + capfd.readouterr().err
    assert "An output with one or more elements was resized" in said
    assert out.shape == x.shape and torch.equal(out, G.egem(x, 1, 1e-4))
    with warnings.catch_warnings(record=True) as caught:  # an empty out= is resized silently, as torch does
        warnings.simplefilter("always")
        torch.ops.gem.forward_out(x, "egem", 1, 1e-4, out=torch.empty(0))
    assert not caught and "resized" not in capfd.readouterr().err


def probe_points(N, eps):
    s = eps ** (1.0 / (2 * N))
    pts = [0.0, 1e-3 * s, 0.3 * s, 0.8 * s, s, 1.7 * s, 4 * s, 30.0, 1000.0]
    return torch.tensor(pts + [-p for p in pts[1:]], dtype=torch.float64, requires_grad=True)


CASES = [("gem", 1.0), ("egem", 0.05), ("segem", 0.2)]


@pytest.mark.parametrize("variant,eps", CASES)
@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_gradcheck_and_gradgradcheck(variant, eps, N):
    fn = lambda x: VARIANT_FN[variant](x, N, eps)  # noqa: E731
    x = probe_points(N, eps)
    assert gradcheck(fn, (x,))
    # Step 1e-7: central differences of f' across 0 err by about step * (2N+1)!/eps / 4.
    assert gradgradcheck(fn, (x,), eps=1e-7)


@pytest.mark.parametrize("variant", ["egem", "segem"])
@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_gradcheck_with_learnable_eps(variant, N):
    fn = lambda x, e: VARIANT_FN[variant](x, N, e)  # noqa: E731
    x = probe_points(N, 0.05)
    e = torch.tensor(0.05, dtype=torch.float64, requires_grad=True)
    assert gradcheck(fn, (x, e))
    assert gradgradcheck(fn, (x, e), eps=1e-7)


def test_functional_is_scriptable():
    @torch.jit.script
    def f(x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return G.egem(x, 2, 1e-3) + G.segem(x, 1, e) + G.activation(x, "gelu") + G.gem(x, 3)

    x, e = torch.randn(50), torch.tensor(0.1)
    assert torch.equal(f(x, e), G.egem(x, 2, 1e-3) + G.segem(x, 1, e) + G.activation(x, "gelu") + G.gem(x, 3))


def test_package_loaded_the_library():
    # The library gem says it loaded is mapped into this process, and the ops it registered
    # report the package's own version.
    path = os.path.realpath(gem._library.load())
    with open("/proc/self/maps") as maps:
        assert path in maps.read()
    info = json.loads(torch.ops.gem.build_info())
    assert info["version"] == gem.__version__
    release = lambda v: re.match(r"\d+\.\d+\.\d+", v).group(0)  # noqa: E731  ("1.13.0a0", "2.11.0+cu130")
    assert release(info["torch_version"]) == release(torch.__version__)
