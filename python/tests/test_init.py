"""gem.nn.init: the gains against an independent 30-digit integration (mpmath, the functions
written out here from their definitions), PyTorch's own gains where they are this moment, and
kaiming_normal_'s standard deviation, modes and errors."""
import math

import pytest
import torch

import gem

try:
    import mpmath
    mp = mpmath.mp
except ImportError:  # only the 30-digit comparison needs it (Debian: python3-mpmath)
    mpmath = None


def _egem(N, eps):
    return lambda x: x ** (2 * N + 1) / (eps + x ** (2 * N)) if x > 0 else mp.mpf(0)


def _segem(N, eps):
    return lambda x: x if x >= 0 else x * eps / (eps + x ** (2 * N))


REFERENCES = {
    "relu": lambda x: max(x, 0),
    "gelu": lambda x: x * mpmath.ncdf(x),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "elu": lambda x: x if x > 0 else mpmath.expm1(x),
    "gem:N=1": _egem(1, 1),
    "gem:N=2": _egem(2, 1),
    "egem:N=1,eps=1e-4": _egem(1, mp.mpf(1e-4)),  # mpf(1e-4): the binary64 number the spec parses to
    "egem:N=2,eps=10": _egem(2, 10),
    "segem:N=1,eps=1e-4": _segem(1, mp.mpf(1e-4)),
}


def _expectation(g, scale):
    density = lambda z: mpmath.npdf(z)  # noqa: E731
    points = [-mpmath.inf, -1, -scale, 0, scale, 1, mpmath.inf]
    return mpmath.quad(lambda z: g(z) * density(z), points)


@pytest.mark.parametrize("spec", sorted(REFERENCES))
def test_moments_match_a_30_digit_integration(spec):
    if mpmath is None:
        pytest.skip("needs mpmath (apt-get install python3-mpmath)")
    f = REFERENCES[spec]
    with mp.workdps(30):
        scale = mp.mpf(1e-4) ** 0.5 if "1e-4" in spec else mp.mpf("0.25")
        mean = _expectation(f, scale)
        mean_square = _expectation(lambda z: f(z) ** 2, scale)
        grad_mean_square = _expectation(lambda z: mpmath.diff(f, z) ** 2 if z != 0 else mp.mpf(0), scale)
    m = gem.nn.init.gaussian_moments(spec)
    assert m.mean == pytest.approx(float(mean), rel=1e-10)
    assert m.mean_square == pytest.approx(float(mean_square), rel=1e-10)
    assert m.grad_mean_square == pytest.approx(float(grad_mean_square), rel=1e-9)
    assert gem.nn.init.calculate_gain(spec) == pytest.approx(float(1 / mpmath.sqrt(mean_square)), rel=1e-10)


def test_pytorch_gains_where_they_are_this_moment():
    assert gem.nn.init.calculate_gain("relu") == pytest.approx(torch.nn.init.calculate_gain("relu"), rel=1e-15)
    assert gem.nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2), rel=1e-15)
    for slope in (0.01, 0.2):  # torch: sqrt(2 / (1 + slope^2)), which is exactly the moment
        ours = gem.nn.init.calculate_gain(f"leaky_relu:slope={slope}")
        assert ours == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-14)


def test_gains_of_the_paper_settings():
    # E[f(z)^2] 0.234 for GEM N=1 and E[f'(z)^2] 0.296 / 0.455 / 0.574 for N = 1 / 2 / 3 (Monte Carlo, the issue).
    assert gem.nn.init.gaussian_moments("gem:N=1").mean_square == pytest.approx(0.234, abs=1e-3)
    for N, value in [(1, 0.296), (2, 0.455), (3, 0.574)]:
        assert gem.nn.init.gaussian_moments(f"gem:N={N}").grad_mean_square == pytest.approx(value, abs=1e-3)
    # Small eps is ReLU-like; SE-GEM's mean is ReLU's, not 0.
    assert gem.nn.init.calculate_gain("egem:N=1,eps=1e-6") == pytest.approx(math.sqrt(2), rel=1e-5)
    assert gem.nn.init.gaussian_moments("segem:N=1,eps=1e-4").mean == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-3)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_has_the_gains_std(mode):
    w = torch.empty(600, 400, 3)  # fan_in 1200, fan_out 1800
    g = torch.Generator().manual_seed(0)
    out = gem.nn.init.kaiming_normal_(w, "gem:N=1", mode=mode, generator=g)
    assert out is w
    fan = 1200 if mode == "fan_in" else 1800
    gain = gem.nn.init.calculate_gain("gem:N=1") if mode == "fan_in" else gem.nn.init.calculate_gain_backward("gem:N=1")
    assert w.std().item() == pytest.approx(gain / math.sqrt(fan), rel=0.01)  # 720,000 samples: ~0.1% noise
    assert abs(w.mean().item()) < 0.01 * gain / math.sqrt(fan)
    assert gain != pytest.approx(math.sqrt(2), rel=0.05)  # so the test tells GEM's gain from ReLU's


def test_kaiming_normal_for_relu_is_torchs():
    a, b = torch.empty(64, 32), torch.empty(64, 32)
    torch.manual_seed(3)
    gem.nn.init.kaiming_normal_(a, "relu")
    torch.manual_seed(3)
    torch.nn.init.kaiming_normal_(b, nonlinearity="relu")
    torch.testing.assert_close(a, b, rtol=1e-6, atol=0)


def test_errors_say_what_was_wrong():
    with pytest.raises(ValueError, match="eps"):
        gem.nn.init.calculate_gain("egem:N=1,eps=-1")
    with pytest.raises(ValueError, match="gem::gaussian_moments"):
        gem.nn.init.gaussian_moments("tanhh")
    with pytest.raises(TypeError, match="spec"):
        gem.nn.init.calculate_gain(2)
    with pytest.raises(ValueError, match="mode"):
        gem.nn.init.kaiming_normal_(torch.empty(3, 3), "relu", mode="fan_avg")
    with pytest.raises(ValueError, match="2 dimensions"):
        gem.nn.init.kaiming_normal_(torch.empty(3), "relu")
