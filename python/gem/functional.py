"""The activations as functions (torch.ops.gem.*): any shape and strides, float64, float32,
float16 and bfloat16, autograd of any order (derivative(x, spec, k) gives f^(k)), on CPU, CUDA and the meta device
(shapes only: FakeTensor, torch.compile, torch.export).

eps may be a float or a tensor; a tensor eps is differentiable (learnable eps) and holds one
value, or one per channel along channel_dim (as PReLU's weight: dimension 1 by default, -1 for a
transformer's features). Bad parameters raise ValueError, unsupported dtypes TypeError.
"""
from typing import Union

import torch
from torch import Tensor


def _order(N: int) -> int:
    """N for the operators, whose schema takes an int. Anything else (2.5, "two") would get an
    overload error that names another schema; the spec parser gives the core's own message
    (ValueError "GEM order N must be an integer in [1, 8], got 2.5") instead. Scripted code
    always passes an int, so TorchScript drops the check."""
    if not isinstance(N, int):
        torch.ops.gem.activation(torch.empty(0), "gem:N=" + str(N))  # raises unless N is integral
        return int(N)
    return N


def gem(x: Tensor, N: int = 1) -> Tensor:
    """GEM_N(x) = x^(2N+1) / (1 + x^(2N)) for x > 0, else 0."""
    return torch.ops.gem.forward(x, "gem", _order(N), 1.0)


def egem(x: Tensor, N: int = 1, eps: Union[float, Tensor] = 1e-4, channel_dim: int = 1) -> Tensor:
    """E-GEM_{N,eps}(x) = x^(2N+1) / (eps + x^(2N)) for x > 0, else 0."""
    if isinstance(eps, Tensor):
        return torch.ops.gem.forward_eps_tensor(x, "egem", _order(N), eps, channel_dim)
    return torch.ops.gem.forward(x, "egem", _order(N), eps)


def segem(x: Tensor, N: int = 1, eps: Union[float, Tensor] = 1e-4, channel_dim: int = 1) -> Tensor:
    """SE-GEM_{N,eps}(x) = x for x >= 0, x eps / (eps + x^(2N)) for x < 0."""
    if isinstance(eps, Tensor):
        return torch.ops.gem.forward_eps_tensor(x, "segem", _order(N), eps, channel_dim)
    return torch.ops.gem.forward(x, "segem", _order(N), eps)


def activation(x: Tensor, spec: str) -> Tensor:
    """Any activation spec: relu, gelu, silu, mish, elu[:alpha=A], leaky_relu[:slope=S] (torch's
    own functions), gem:N=1, egem:N=1,eps=1e-4, segem:N=1,eps=1e-4."""
    return torch.ops.gem.activation(x, spec)


def glu(x: Tensor, spec: str) -> Tensor:
    """The gated activation f(a) * b, where x = [a | b] is split in two halves along its last
    dimension (the output of one projection of twice the hidden width): GEGLU with "gelu",
    SwiGLU with "silu", and the same for every spec. The result has x's shape with the last
    dimension halved. For the GEM family it is one fused pass forward and one backward (CPU and
    CUDA), differentiable to second order; other specs run torch's activation times b. ValueError
    when the last dimension is odd."""
    return torch.ops.gem.glu(x, spec)


def _derivative_order(k: int) -> int:
    """k for the operator, whose schema takes an int: a float or a bool (an int subclass) gets
    the core's message instead of an overload error."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"derivative order k must be an integer in [0, 32], got {k!r}")
    return k


def derivative(x: Tensor, spec: str, k: int) -> Tensor:
    """f^(k)(x), the k-th derivative of a GEM-family activation ("egem:N=2,eps=1e-4") for any
    order 0 <= k <= 32: k <= 2 by the closed forms of forward/backward, higher orders from the
    same formulas through scaled Taylor jets, in float64 and rounded once. Differentiable to any
    depth (its gradient is the (k+1)-th derivative). At x = 0 the one-sided value of the formulas'
    branch: E-GEM from the left, SE-GEM from the right."""
    return torch.ops.gem.derivative(x, spec, _derivative_order(k))
