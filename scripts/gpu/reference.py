"""A float64 reference of the GEM family in torch ops (spec/gem-math.md 3.2, evaluated on any
device), the cancellation magnitude M of spec 3.4 and errors in ulps of a storage dtype.

This is test code: an independent evaluation of the same algorithm (torch's IEEE float64 ops on
the device), so the kernels are checked against something they do not share code with.
"""
import math

import torch

F64_MAX = 1.7976931348623157e308


class Constants:
    """Spec 3.2's constants for (N, eps), in float64."""

    def __init__(self, N: int, eps: float):
        m = 2 * N
        ilogb = math.frexp(eps)[1] - 1
        j = ilogb // m  # Python's // is a true floor
        self.N, self.m = N, m
        self.inv_s = math.ldexp(1.0, -j)
        self.e = math.ldexp(eps, -m * j)
        self.me = m * self.e
        self.kd = m / (self.e * math.ldexp(1.0, j))
        self.c2 = math.ldexp(eps, -(m - 2) * j)


def _egem_positive(a, c):
    """E, E', E'' at a = |x| (float64 tensor) by both sides of 3.2, selected per element."""
    m = float(c.m)
    t = a * c.inv_s
    g = torch.ones_like(a)
    for _ in range(c.N - 1):
        g = g * t
    h = g * t
    p = h * h
    outer = p >= c.e
    q = (c.e / h) / h
    d = 1.0 + q
    e_o = a / d
    de_o = (1.0 + (m + 1.0) * q) / (d * d)
    d2e_o = -((((c.me * ((m - 1.0) - (m + 1.0) * q)) / a) / h) / h) / (d * d * d)
    se_o = -(((c.c2 / a) / g) / g) / d
    dse_o = ((((q - (m - 1.0)) * c.e) / h) / h) / (d * d)
    r = p / c.e
    d = 1.0 + r
    e_i = ((a * h) * h) / (c.e * d)
    de_i = ((((m + 1.0) + r) * h) * h) / (c.e * (d * d))
    d2e_i = (((c.kd * ((m + 1.0) - (m - 1.0) * r)) * g) * h) / (d * d * d)
    se_i = -(a / d)
    dse_i = (1.0 - (m - 1.0) * r) / (d * d)
    pick = lambda o, i: torch.where(outer, o, i)  # noqa: E731
    return pick(e_o, e_i), pick(de_o, de_i), pick(d2e_o, d2e_i), pick(se_o, se_i), pick(dse_o, dse_i)


def derivs(variant: str, x: torch.Tensor, N: int, eps: float):
    """(f, f', f'') at x (any float tensor, evaluated in float64), spec 3.2 and 3.3."""
    x = x.to(torch.float64)
    c = Constants(N, 1.0 if variant == "gem" else eps)
    a = x.abs()
    e, de, d2e, se, dse = _egem_positive(a, c)
    zero = torch.zeros_like(x)
    if variant in ("gem", "egem"):
        neg = x <= 0  # NaN fails the test and keeps the NaN of the formulas
        return torch.where(neg, zero, e), torch.where(neg, zero, de), torch.where(neg, zero, d2e)
    pos = x >= 0  # identity branch keeps -0
    return torch.where(pos, x, se), torch.where(pos, torch.ones_like(x), dse), torch.where(pos, zero, d2e)


def cancel_magnitude(variant: str, N: int, eps: float, x: torch.Tensor, which: int, exact: torch.Tensor):
    """M of spec 3.4 per element (tests/common/golden.h's cancel_magnitude, vectorised)."""
    x = x.to(torch.float64)
    exact_abs = exact.abs()
    if variant == "gem":
        eps = 1.0
    if which == 0 or (which == 1 and variant != "segem"):
        return exact_abs
    m = 2.0 * N
    a = x.abs()
    plain = (a == 0) | torch.isinf(a) | torch.isnan(a)
    safe_a = torch.where(plain, torch.ones_like(a), a)
    logr = m * torch.log(safe_a) - math.log(eps)
    if which == 1:  # SE' at x < 0: (1 + (m-1) r)/(1+r)^2
        big = logr > 700
        r = torch.exp(torch.clamp(logr, max=700.0))
        mid = (1 + (m - 1) * r) / ((1 + r) * (1 + r))
        far = (m - 1) * torch.exp(-torch.clamp(logr, min=700.0))
        M = torch.where(big, far, mid)
        return torch.where(plain | (x >= 0), exact_abs, M)
    log_pre = math.log(m) + (m - 1) * torch.log(safe_a) - math.log(eps)
    r = torch.exp(torch.clamp(logr, -700.0, 700.0))
    log_mid = torch.log((m + 1) + (m - 1) * r) - 3 * torch.log1p(r)
    log_rest = torch.where(logr > 700, math.log(m - 1) - 2 * logr,
                           torch.where(logr < -700, torch.full_like(logr, math.log(m + 1)), log_mid))
    lm = log_pre + log_rest
    M = torch.where(lm > 709, torch.full_like(lm, F64_MAX), torch.exp(torch.clamp(lm, max=709.0)))
    identity = (x >= 0) if variant == "segem" else (x <= 0)
    return torch.where(plain | identity, exact_abs, M)


# Storage formats: (significand bits with the implicit one, smallest normal, largest finite).
FORMATS = {
    torch.float64: (53, 2.0 ** -1022, F64_MAX),
    torch.float32: (24, 2.0 ** -126, 3.4028234663852886e38),
    torch.float16: (11, 2.0 ** -14, 65504.0),
    torch.bfloat16: (8, 2.0 ** -126, 3.3895313892515355e38),
}


def ulp(dtype, v: torch.Tensor) -> torch.Tensor:
    """Spacing of `dtype` at |v| (float64 tensor): subnormal spacing below the smallest normal."""
    digits, min_normal, max_finite = FORMATS[dtype]
    v = torch.clamp(v.abs(), max=max_finite)
    _, exponent = torch.frexp(v)
    spacing = torch.ldexp(torch.ones_like(v), (exponent - digits).to(torch.float64))
    return torch.where(v < min_normal, torch.full_like(v, math.ldexp(min_normal, 1 - digits)), spacing)


def overflow_threshold(dtype) -> float:
    digits, _, max_finite = FORMATS[dtype]
    if dtype == torch.float64:
        return math.inf
    return max_finite + math.ldexp(1.0, math.frexp(max_finite)[1] - digits) / 2


def error_ulps(dtype, got: torch.Tensor, want: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """|got - want| in ulps of `dtype` at max(|want|, M) (float64 result, per element). NaN must
    meet NaN; a want beyond the overflow threshold (or infinite) must come out as that infinity."""
    got = got.to(torch.float64)
    inf = torch.full_like(want, math.inf)
    zero = torch.zeros_like(want)
    scale = ulp(dtype, torch.maximum(want.abs(), torch.nan_to_num(M, nan=0.0)))
    err = (got - want).abs() / scale
    err = torch.where(torch.isfinite(got), err, inf)
    overflow = want.abs() >= overflow_threshold(dtype)
    signed_inf = torch.copysign(inf, want)
    err = torch.where(overflow, torch.where(got == signed_inf, zero, inf), err)
    err = torch.where(torch.isnan(want), torch.where(torch.isnan(got), zero, inf), err)
    return err


def bound_ulps(dtype, N: int, which: int, scaled: bool) -> float:
    """Spec 3.4: 2N+4 (f), 2N+6 (f'), 4N+12 (f'') for float32 and float64 (one more when
    multiplied by a gradient and rounded again; twice that against this float64 reference for
    float64 output, which is itself approximate); 1 ulp for the 16-bit formats."""
    if dtype in (torch.float16, torch.bfloat16):
        return 1.0
    b = (2 * N + 4, 2 * N + 6, 4 * N + 12)[which] + (1 if scaled else 0)
    return 2.0 * b + 1 if dtype == torch.float64 else float(b)
