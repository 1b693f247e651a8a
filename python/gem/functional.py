"""The activations as functions (torch.ops.gem.*): any shape and strides, float64, float32,
float16 and bfloat16, first- and second-order autograd.

eps may be a float or a one-element tensor; a tensor eps is differentiable (learnable eps).
Bad parameters raise ValueError, unsupported dtypes TypeError.
"""
from typing import Union

import torch
from torch import Tensor


def gem(x: Tensor, N: int = 1) -> Tensor:
    """GEM_N(x) = x^(2N+1) / (1 + x^(2N)) for x > 0, else 0."""
    return torch.ops.gem.forward(x, "gem", N, 1.0)


def egem(x: Tensor, N: int = 1, eps: Union[float, Tensor] = 1e-4) -> Tensor:
    """E-GEM_{N,eps}(x) = x^(2N+1) / (eps + x^(2N)) for x > 0, else 0."""
    if isinstance(eps, Tensor):
        return torch.ops.gem.forward_eps_tensor(x, "egem", N, eps)
    return torch.ops.gem.forward(x, "egem", N, eps)


def segem(x: Tensor, N: int = 1, eps: Union[float, Tensor] = 1e-4) -> Tensor:
    """SE-GEM_{N,eps}(x) = x for x >= 0, x eps / (eps + x^(2N)) for x < 0."""
    if isinstance(eps, Tensor):
        return torch.ops.gem.forward_eps_tensor(x, "segem", N, eps)
    return torch.ops.gem.forward(x, "segem", N, eps)


def activation(x: Tensor, spec: str) -> Tensor:
    """Any activation spec: relu, gelu, silu, mish, elu[:alpha=A], leaky_relu[:slope=S] (torch's
    own functions), gem:N=1, egem:N=1,eps=1e-4, segem:N=1,eps=1e-4."""
    return torch.ops.gem.activation(x, spec)
