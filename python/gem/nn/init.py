"""Initialisation gains computed from the activation itself, for every spec (the GEM family and
the baselines), in the convention of torch.nn.init.calculate_gain, and kaiming_normal_ with them.

    gem.nn.init.calculate_gain("relu")        # sqrt(2), as torch.nn.init.calculate_gain("relu")
    gem.nn.init.calculate_gain("gem:N=1")     # 2.0694 (E[f(z)^2] = 0.2335 against ReLU's 0.5)
    gem.nn.init.kaiming_normal_(linear.weight, "egem:N=1,eps=1e-4")
    gem.nn.init.kaiming_normal_(conv.weight, "gem:N=2", mode="fan_out")

The forward gain g keeps the variance of unit-variance Gaussian pre-activations through a layer
of weights with variance g^2 / fan_in: g^2 E[f(z)^2] = 1, z ~ N(0, 1). The backward gain keeps the
gradients' (weights of variance g^2 / fan_out): g^2 E[f'(z)^2] = 1; kaiming_normal_ uses it for
mode="fan_out". For ReLU both are sqrt(2), so kaiming_normal_(w, "relu") is torch's
kaiming_normal_(w, nonlinearity="relu") in either mode. E[f(z)] (gaussian_moments().mean) is the
shift a zero-mean initialisation ignores; it is large for SE-GEM (0.40 at N=1, eps=1e-4).

The moments are the C++ library's (include/gem/gaussian_moments.h: adaptive Gauss-Kronrod
quadrature, within 1e-12 relative of 30-digit integrations), computed once per spec. The table
of the paper's settings, and where PyTorch's own gains differ (tanh, selu), is in docs/math.md.
"""
import math
from typing import NamedTuple, Optional

import torch
from torch import Tensor

__all__ = ["GaussianMoments", "gaussian_moments", "calculate_gain", "calculate_gain_backward", "kaiming_normal_"]


class GaussianMoments(NamedTuple):
    mean: float              # E[f(z)]
    mean_square: float       # E[f(z)^2]
    grad_mean_square: float  # E[f'(z)^2]


def _spec(spec: str) -> str:
    if not isinstance(spec, str):
        raise TypeError(f"spec must be an activation spec string such as 'egem:N=1,eps=1e-4', got {spec!r}")
    return spec


def gaussian_moments(spec: str) -> GaussianMoments:
    """E[f(z)], E[f(z)^2] and E[f'(z)^2] for z ~ N(0, 1). ValueError for a bad spec."""
    return GaussianMoments(*torch.ops.gem.gaussian_moments(_spec(spec)))


def calculate_gain(spec: str) -> float:
    """The forward gain 1 / sqrt(E[f(z)^2]) of an activation spec (sqrt(2) for "relu")."""
    return 1.0 / math.sqrt(gaussian_moments(spec).mean_square)


def calculate_gain_backward(spec: str) -> float:
    """The backward gain 1 / sqrt(E[f'(z)^2]) (sqrt(2) for "relu"), for fan_out initialisation."""
    return 1.0 / math.sqrt(gaussian_moments(spec).grad_mean_square)


def kaiming_normal_(tensor: Tensor, spec: str = "relu", mode: str = "fan_in",
                    generator: Optional[torch.Generator] = None) -> Tensor:
    """Fills tensor (at least 2-D) in place from N(0, std^2): std = calculate_gain(spec) /
    sqrt(fan_in) for mode="fan_in", calculate_gain_backward(spec) / sqrt(fan_out) for "fan_out".
    The C++ twin is gem::torch_ext::kaiming_normal_ (gem/torch/init.h)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_normal_: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    if tensor.dim() < 2:
        raise ValueError(f"kaiming_normal_: the tensor needs at least 2 dimensions (fan in and out), got {tensor.dim()}")
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError("kaiming_normal_: the tensor is empty (fan 0)")
    gain = calculate_gain(spec) if mode == "fan_in" else calculate_gain_backward(spec)
    with torch.no_grad():
        return tensor.normal_(0.0, gain / math.sqrt(fan), generator=generator)
