"""Derivatives of any order: gem.functional.derivative(x, spec, k) and autograd to any depth,
against exact rational derivatives (exact_derivatives.py, Python's fractions) of the textbook
definitions at the exact values of the binary64 inputs.

Bound (measured over N = 1..8, k <= 2N+2, |x| from 1e-30 to 1e30 and eps from 1e-4 to 3e5):
float64 relative error <= 1e-9 wherever |f^(k)| >= 1e-280 (below, where the jets' mantissas
become subnormal, 1e-289 absolute); float32, float16 and bfloat16 are the float64 result rounded
once: within one unit in the last place."""
import math
import random

import pytest
import torch

import gem
from exact_derivatives import derivatives

G = gem.functional
TINY = 1e-280  # below, the bound is absolute: 1e-9 * TINY


def specs():
    out = []
    for N in range(1, 9):
        out += [(f"gem:N={N}", "gem", N, 1.0)]
        for eps in (1e-4, 1.0, 3e5):
            out += [(f"egem:N={N},eps={eps!r}", "egem", N, eps), (f"segem:N={N},eps={eps!r}", "segem", N, eps)]
    return out


def points(variant, N, eps, count=6, seed=0):
    """x where the function lives: logarithmically spread, on the side that is not constant (or
    affine), plus points around the scale eps^(1/2N) where the gate turns."""
    rng = random.Random(hash((variant, N, eps, seed)) & 0xFFFF)
    sign = -1.0 if variant == "segem" else 1.0
    scale = eps ** (1.0 / (2 * N))
    xs = [sign * 10 ** rng.uniform(-30, 30) for _ in range(count)]
    xs += [sign * scale * f for f in (0.25, 0.9, 1.1, 4.0)]
    return xs


def relative_error(got, exact):
    if exact == 0:
        return 0.0 if got == 0 else math.inf
    e = float(exact)
    if abs(e) < TINY:
        return abs(got - e) / TINY
    return abs(got - e) / abs(e)


@pytest.mark.parametrize("spec,variant,N,eps", specs(), ids=[s[0] for s in specs()])
def test_every_order_matches_exact_rational_derivatives(spec, variant, N, eps):
    K = 2 * N + 2
    xs = points(variant, N, eps)
    x = torch.tensor(xs, dtype=torch.float64)
    got = {k: G.derivative(x, spec, k).tolist() for k in range(K + 1)}
    worst = 0.0
    for i, xi in enumerate(xs):
        exact = derivatives(variant, N, eps, xi, K)
        for k in range(K + 1):
            err = relative_error(got[k][i], exact[k])
            worst = max(worst, err)
            assert err <= 1e-9, f"{spec} k={k} x={xi!r}: got {got[k][i]!r}, exact {float(exact[k])!r}"
    assert worst < 1e-9


@pytest.mark.parametrize("variant", ["egem", "segem", "gem"])
@pytest.mark.parametrize("N", [1, 2, 5])
def test_at_zero_the_branch_side_and_the_jump_at_order_2N_plus_1(variant, N):
    """E-GEM from the left (all 0), SE-GEM from the right (1 for k = 1, else 0); the right limit
    of order 2N+1 is (2N+1)!/eps (spec 2.3), approached from the open side."""
    eps = 1.0 if variant == "gem" else 0.01
    spec = f"gem:N={N}" if variant == "gem" else f"{variant}:N={N},eps={eps}"
    zeros = torch.tensor([0.0, -0.0], dtype=torch.float64)
    for k in range(0, 2 * N + 3):
        want = 1.0 if (variant == "segem" and k == 1) else 0.0
        assert G.derivative(zeros, spec, k).tolist() == [want, want], (spec, k)
    jump = math.factorial(2 * N + 1) / eps
    near = 1e-12 if variant != "segem" else -1e-12  # the side where the series starts
    side = G.derivative(torch.tensor([near], dtype=torch.float64), spec, 2 * N + 1).item()
    assert side == pytest.approx(jump if variant != "segem" else -jump, rel=1e-9)


def test_special_values():
    x = torch.tensor([math.nan, math.inf, -math.inf], dtype=torch.float64)
    for spec in ("egem:N=2,eps=1e-3", "segem:N=1,eps=0.5"):
        for k in (3, 4, 7):
            y = G.derivative(x, spec, k)
            assert math.isnan(y[0]) and y[1:].tolist() == [0.0, 0.0]


def test_low_orders_are_the_closed_forms():
    """k = 0, 1, 2 are f, f' and f'' exactly as forward, backward and backward_grad2 give them."""
    x = torch.randn(1000, dtype=torch.float64) * 3
    ones = torch.ones_like(x)
    for spec, v, N, eps in (("egem:N=2,eps=0.001", "egem", 2, 1e-3), ("segem:N=3,eps=0.5", "segem", 3, 0.5)):
        assert torch.equal(G.derivative(x, spec, 0), torch.ops.gem.forward(x, v, N, eps))
        assert torch.equal(G.derivative(x, spec, 1), torch.ops.gem.backward(ones, x, v, N, eps))
        assert torch.equal(G.derivative(x, spec, 2), torch.ops.gem.backward_grad2(ones, x, v, N, eps))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_narrow_dtypes_round_the_float64_result_once(dtype):
    x = (torch.randn(4000, dtype=torch.float64) * 2).to(dtype)
    for spec in ("egem:N=2,eps=0.01", "segem:N=1,eps=0.1"):
        for k in (3, 4, 6):
            want = G.derivative(x.double(), spec, k)
            got = G.derivative(x, spec, k)
            assert got.dtype == dtype
            assert torch.equal(got, want.to(dtype)), (spec, k)


def test_float32_bound_against_exact_values():
    """The float32 result is within one ulp of the exact derivative at the float32 input."""
    rng = random.Random(5)
    worst = 0.0
    for spec, v, N, eps in (("egem:N=1,eps=0.0001", "egem", 1, 1e-4), ("segem:N=2,eps=0.01", "segem", 2, 0.01),
                            ("gem:N=3", "gem", 3, 1.0)):
        xs = [float(torch.tensor(rng.uniform(-4, 4), dtype=torch.float32)) for _ in range(40)]
        x = torch.tensor(xs, dtype=torch.float32)
        for k in (3, 4, 2 * N + 2):
            got = G.derivative(x, spec, k).tolist()
            for xi, g in zip(xs, got):
                exact = float(derivatives(v, N, eps, xi, k)[k])
                if exact == 0 or abs(exact) < 1e-37:
                    continue
                ulp = math.ulp(float(torch.tensor(abs(exact), dtype=torch.float32))) * 2 ** 29  # float32 ulp
                worst = max(worst, abs(g - exact) / ulp)
    assert worst <= 1.0, worst


def nth_grad(f, x, n):
    """The n-th derivative of elementwise f at x by nested torch.autograd.grad."""
    y = f(x)
    for _ in range(n):
        (y,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    return y


@pytest.mark.parametrize("spec,variant,N,eps", [("egem:N=2,eps=0.001", "egem", 2, 1e-3),
                                                 ("segem:N=1,eps=0.1", "segem", 1, 0.1),
                                                 ("gem:N=3", "gem", 3, 1.0)])
def test_autograd_to_order_six_is_exact(spec, variant, N, eps):
    """Nested grads through forward -> backward -> backward_grad2 -> derivative(3) -> ..."""
    xs = points(variant, N, eps, count=4, seed=1)
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    module = gem.nn.module_for(spec)
    for n in range(0, 7):
        got = nth_grad(module, x, n).tolist()
        for xi, g in zip(xs, got):
            exact = derivatives(variant, N, eps, xi, n)[n]
            assert relative_error(g, exact) <= 1e-9, (spec, n, xi, g, float(exact))


def test_hessian_and_gradgradcheck_beyond_second_order():
    from torch.autograd import gradcheck, gradgradcheck

    x = (torch.randn(7, dtype=torch.float64) * 0.5).requires_grad_()
    h = torch.autograd.functional.hessian(lambda t: G.egem(t, 2, 0.01).sum(), x)
    assert torch.allclose(h, torch.diag(G.derivative(x.detach(), "egem:N=2,eps=0.01", 2)), rtol=1e-12, atol=0)
    third = lambda t: G.derivative(t, "segem:N=2,eps=0.01", 3)  # noqa: E731
    assert gradcheck(third, (x,)) and gradgradcheck(third, (x,))


def test_learnable_eps_refuses_the_third_order_clearly():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    eps = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    y = G.egem(x, 1, eps)
    (g1,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="learnable eps.*fixed eps has derivatives of any order"):
        torch.autograd.grad(g2.sum(), x)


@pytest.mark.parametrize("call,error,match", [
    (lambda x: G.derivative(x, "egem:N=1,eps=1e-4", -1), ValueError,
     r"derivative order k must be an integer in \[0, 32\], got -1"),
    (lambda x: G.derivative(x, "egem:N=1,eps=1e-4", 33), ValueError, "got 33"),
    (lambda x: G.derivative(x, "egem:N=1,eps=1e-4", 2.5), TypeError, "must be an integer"),
    (lambda x: G.derivative(x, "egem:N=1,eps=1e-4", True), TypeError, "must be an integer"),
    (lambda x: G.derivative(x, "gelu", 3), ValueError, "not a GEM-family activation"),
    (lambda x: G.derivative(x, "egem:N=1", 3), ValueError, "needs eps"),
    (lambda x: G.derivative(x.int(), "egem:N=1,eps=1e-4", 3), TypeError, "must be a floating-point tensor"),
    (lambda x: torch.ops.gem.derivative(x, "egem", 9, 1e-4, 3), ValueError, "GEM order N"),
])
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call(torch.randn(3))


def test_layouts_and_empty():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64).to(memory_format=torch.channels_last)
    y = G.derivative(x, "egem:N=1,eps=0.01", 4)
    assert y.stride() == x.stride()
    assert torch.equal(y.contiguous(), G.derivative(x.contiguous(), "egem:N=1,eps=0.01", 4))
    assert G.derivative(torch.empty(0, 3), "segem:N=1,eps=0.1", 5).shape == (0, 3)


def test_tiny_x_on_a_large_scale_stays_on_its_side():
    """x far below the scale S (here S = 2^9): the side comes from x, not from a jet value that
    underflows when x is scaled into it; f'''(0+) = 3!/eps for N = 1."""
    x = torch.tensor([4e-322, 1e-305], dtype=torch.float64)
    got = G.derivative(x, "egem:N=1,eps=1000000.0", 3)
    assert torch.allclose(got, torch.full_like(got, 6e-6), rtol=1e-12, atol=0)
    got5 = G.derivative(x, "egem:N=2,eps=1000000.0", 5)  # order 2N+1 on the scalar path
    assert torch.allclose(got5, torch.full_like(got5, 120 / 1e6), rtol=1e-12, atol=0)


def test_the_gradient_beyond_the_highest_order_says_so():
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="beyond the highest order gem computes"):
        G.derivative(x, "egem:N=1,eps=0.1", 32).sum().backward()
