"""torch.nn modules: GEM, EGEM, SEGEM and Activation (any spec). All are scriptable
(torch.jit.script).

Learnable eps (learnable_eps=True): the parameter is log_eps and eps = exp(log_eps), which keeps
eps positive and makes a gradient step change eps by a factor (eps ranges over orders of
magnitude). The same choice as the C++ modules (gem::torch_ext::EGEM).
"""
import math
from typing import Optional

import torch
from torch import Tensor, nn

from .functional import _order


def _check(variant: str, N: int, eps: float) -> int:
    """N as an int, after the operator validated (ValueError with the reason; an empty tensor
    costs nothing)."""
    N = _order(N)
    torch.ops.gem.forward(torch.empty(0), variant, N, eps)
    return N


def _shortest(value: float, log_eps: Optional[Tensor]) -> str:
    """Shortest decimal that reads back as the same value in the parameter's precision."""
    if log_eps is None or log_eps.dtype != torch.float32:
        return repr(value)
    as_float32 = torch.tensor(value, dtype=torch.float32)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if torch.tensor(float(text), dtype=torch.float32) == as_float32:
            return repr(float(text))
    return repr(value)


class GEM(nn.Module):
    """GEM_N(x) = x^(2N+1) / (1 + x^(2N)) for x > 0, else 0."""

    def __init__(self, N: int = 1):
        super().__init__()
        N = _check("gem", N, 1.0)
        self.N = N

    def forward(self, x: Tensor) -> Tensor:
        return torch.ops.gem.forward(x, "gem", self.N, 1.0)

    def extra_repr(self) -> str:
        return f"N={self.N}"


class _EpsGem(nn.Module):
    log_eps: Optional[Tensor]
    __jit_unused_properties__ = ["eps"]  # Python-side convenience, not part of the scripted module

    def __init__(self, variant: str, N: int, eps: float, learnable_eps: bool):
        super().__init__()
        N = _check(variant, N, eps)
        self.variant = variant
        self.N = N
        self.fixed_eps = float(eps)
        self.learnable_eps = learnable_eps
        if learnable_eps:
            log_eps = torch.tensor(math.log(eps), dtype=torch.float32)
            if not 0.0 < float(log_eps.exp()) < math.inf:
                raise ValueError(f"a learnable eps is stored as log_eps in float32 and must lie in "
                                 f"[1.4e-45, 3.4e38], got eps={eps}")
            self.log_eps = nn.Parameter(log_eps)
        else:
            self.register_parameter("log_eps", None)

    @property
    def eps(self) -> float:
        """eps now: exp(log_eps) when learnable."""
        if self.log_eps is None:
            return self.fixed_eps
        return float(self.log_eps.detach().exp())

    def forward(self, x: Tensor) -> Tensor:
        log_eps = self.log_eps
        if log_eps is None:
            return torch.ops.gem.forward(x, self.variant, self.N, self.fixed_eps)
        return torch.ops.gem.forward_eps_tensor(x, self.variant, self.N, log_eps.exp())

    def extra_repr(self) -> str:
        return f"N={self.N}, eps={_shortest(self.eps, self.log_eps)}, learnable_eps={self.learnable_eps}"


class EGEM(_EpsGem):
    """E-GEM_{N,eps}(x) = x^(2N+1) / (eps + x^(2N)) for x > 0, else 0."""

    def __init__(self, N: int = 1, eps: float = 1e-4, learnable_eps: bool = False):
        super().__init__("egem", N, eps, learnable_eps)


class SEGEM(_EpsGem):
    """SE-GEM_{N,eps}(x) = x for x >= 0, x eps / (eps + x^(2N)) for x < 0."""

    def __init__(self, N: int = 1, eps: float = 1e-4, learnable_eps: bool = False):
        super().__init__("segem", N, eps, learnable_eps)


class Activation(nn.Module):
    """Any activation spec (gem.functional.activation): relu, gelu, silu, mish, elu, leaky_relu,
    gem:N=.., egem:N=..,eps=.., segem:N=..,eps=.."""

    def __init__(self, spec: str = "relu"):
        super().__init__()
        torch.ops.gem.activation(torch.empty(0), spec)  # ValueError for a bad spec
        self.spec = spec

    def forward(self, x: Tensor) -> Tensor:
        return torch.ops.gem.activation(x, self.spec)

    def extra_repr(self) -> str:
        return self.spec
