"""Exact derivatives of GEM, E-GEM and SE-GEM of any order, in rational arithmetic (fractions),
from the textbook definitions of spec 2.1 (no stable rearrangement: exactness makes it
unnecessary). x and eps are taken as the exact values of the binary64 numbers given.

    E(x)  = x^(2N+1) / (eps + x^(2N))   for x > 0, 0 for x <= 0      (GEM: eps = 1)
    SE(x) = x                           for x >= 0, x eps / (eps + x^(2N)) for x < 0

At x = 0 the branch taken is the kernels' (E from the left, SE from the right)."""
from fractions import Fraction
from math import factorial


def _mul(a, b, K):
    return [sum(a[i] * b[k - i] for i in range(k + 1)) for k in range(K + 1)]


def _div(a, b, K):
    r = []
    for k in range(K + 1):
        r.append((a[k] - sum(r[i] * b[k - i] for i in range(k))) / b[0])
    return r


def _power(a, n, K):
    r = [Fraction(1)] + [Fraction(0)] * K
    for _ in range(n):
        r = _mul(r, a, K)
    return r


def derivatives(variant: str, N: int, eps: float, x: float, K: int):
    """[f(x), f'(x), ..., f^(K)(x)] exactly, as Fractions."""
    X, E = Fraction(x), Fraction(1 if variant == "gem" else eps)
    zero = [Fraction(0)] * (K + 1)
    var = [X, Fraction(1)] + [Fraction(0)] * (K - 1) if K >= 1 else [X]
    m = 2 * N
    if variant in ("gem", "egem"):
        if X <= 0:
            return zero
        num = _power(var, m + 1, K)
        den = _power(var, m, K)
        den[0] += E
        series = _div(num, den, K)
    else:
        if X >= 0:
            return [X] + ([Fraction(1)] if K >= 1 else []) + [Fraction(0)] * (K - 1)
        num = [E * c for c in var]
        den = _power(var, m, K)
        den[0] += E
        series = _div(num, den, K)
    return [factorial(k) * c for k, c in enumerate(series)]


def derivative(variant: str, N: int, eps: float, x: float, k: int) -> Fraction:
    return derivatives(variant, N, eps, x, k)[k]
