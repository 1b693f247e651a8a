"""torch.nn modules: GEM, EGEM, SEGEM and Activation (any spec), and replace_activations to put
them into an existing model. All modules are scriptable (torch.jit.script) and work on the meta
device (deferred initialisation).

Learnable eps (learnable_eps=True): the parameter is log_eps and eps = exp(log_eps), which keeps
eps positive and makes a gradient step change eps by a factor (eps ranges over orders of
magnitude). One eps for every element (num_parameters=1, the default: a scalar parameter), or
one per channel as torch.nn.PReLU (num_parameters=C: along dimension 1, channel_dim=-1 for a
transformer's features). The same choices as the C++ modules (gem::torch_ext::EGEM).

gem.nn.init: initialisation gains computed from the activation (calculate_gain, kaiming_normal_).
"""
import math
from typing import Callable, Optional, Tuple, Type, Union

import torch
from torch import Tensor, nn

from ..functional import _order


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

    def __init__(self, variant: str, N: int, eps: float, learnable_eps: bool, num_parameters: int,
                 channel_dim: int):
        super().__init__()
        N = _check(variant, N, eps)
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f"num_parameters must be an integer >= 1, got {num_parameters!r}")
        if num_parameters > 1 and not learnable_eps:
            raise ValueError(f"one eps per channel (num_parameters={num_parameters}) needs learnable_eps=True")
        self.variant = variant
        self.N = N
        self.fixed_eps = float(eps)
        self.learnable_eps = learnable_eps
        self.num_parameters = num_parameters
        self.channel_dim = channel_dim
        if learnable_eps:
            log_eps = torch.tensor(math.log(eps), dtype=torch.float32)
            if not 0.0 < float(log_eps.exp()) < math.inf:
                raise ValueError(f"a learnable eps is stored as log_eps in float32 and must lie in "
                                 f"[1.4e-45, 3.4e38], got eps={eps}")
            if num_parameters > 1:
                log_eps = log_eps.repeat(num_parameters)
            self.log_eps = nn.Parameter(log_eps)
        else:
            self.register_parameter("log_eps", None)

    @property
    def eps(self) -> Union[float, Tensor]:
        """eps now: a float for one eps (exp(log_eps) when learnable), the tensor of values (no
        gradient) for one per channel, as eps_values() gives them."""
        if self.log_eps is None:
            return self.fixed_eps
        if self.log_eps.numel() > 1:
            return self.eps_values()
        return float(self.log_eps.detach().exp())

    @torch.jit.unused
    def eps_values(self) -> Tensor:
        """eps now as a tensor: one value, or one per channel (no gradient)."""
        if self.log_eps is None:
            return torch.tensor(self.fixed_eps)
        return self.log_eps.detach().exp()

    def forward(self, x: Tensor) -> Tensor:
        log_eps = self.log_eps
        if log_eps is None:
            return torch.ops.gem.forward(x, self.variant, self.N, self.fixed_eps)
        return torch.ops.gem.forward_eps_tensor(x, self.variant, self.N, log_eps.exp(), self.channel_dim)

    def extra_repr(self) -> str:
        if self.num_parameters > 1:
            return (f"N={self.N}, num_parameters={self.num_parameters}, channel_dim={self.channel_dim}, "
                    f"learnable_eps=True")
        return f"N={self.N}, eps={_shortest(self.eps, self.log_eps)}, learnable_eps={self.learnable_eps}"


class EGEM(_EpsGem):
    """E-GEM_{N,eps}(x) = x^(2N+1) / (eps + x^(2N)) for x > 0, else 0."""

    def __init__(self, N: int = 1, eps: float = 1e-4, learnable_eps: bool = False, num_parameters: int = 1,
                 channel_dim: int = 1):
        super().__init__("egem", N, eps, learnable_eps, num_parameters, channel_dim)


class SEGEM(_EpsGem):
    """SE-GEM_{N,eps}(x) = x for x >= 0, x eps / (eps + x^(2N)) for x < 0."""

    def __init__(self, N: int = 1, eps: float = 1e-4, learnable_eps: bool = False, num_parameters: int = 1,
                 channel_dim: int = 1):
        super().__init__("segem", N, eps, learnable_eps, num_parameters, channel_dim)


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


class GLU(nn.Module):
    """The gated activation of a spec (gem.functional.glu): f(a) * b over the two halves [a | b]
    of the last dimension, so a feed-forward layer is Linear(d, 2 h) -> GLU(spec) -> Linear(h, d).
    Unlike torch.nn.GLU (a sigmoid gate on either half of any dimension), the gate's activation is
    any spec and the halves are those of the last dimension."""

    def __init__(self, spec: str = "egem:N=1,eps=1e-4"):
        super().__init__()
        torch.ops.gem.activation(torch.empty(0), spec)  # ValueError for a bad spec
        self.spec = spec

    def forward(self, x: Tensor) -> Tensor:
        return torch.ops.gem.glu(x, self.spec)

    def extra_repr(self) -> str:
        return self.spec


def module_for(spec: str) -> nn.Module:
    """The module of an activation spec: GEM, EGEM or SEGEM for the GEM family (so its eps can be
    made learnable later), Activation for the others. ValueError for a bad spec."""
    if not isinstance(spec, str):
        raise TypeError(f"spec must be an activation spec string such as 'egem:N=1,eps=1e-4', got {spec!r}")
    kind, N, eps = torch.ops.gem.spec_fields(spec)  # parsed by the core (ValueError for a bad spec)
    if kind == "gem":
        return GEM(N=N)
    if kind == "egem":
        return EGEM(N=N, eps=eps)
    if kind == "segem":
        return SEGEM(N=N, eps=eps)
    return Activation(spec)


def _module_factory(spec: Union[str, Callable[[], nn.Module]]) -> Callable[[], nn.Module]:
    """What makes each replacement: module_for(spec) for a spec string, else the callable itself;
    checked by making one module before anything changes."""
    if callable(spec) and not isinstance(spec, (str, nn.Module)):
        made = spec()
        if not isinstance(made, nn.Module):
            raise TypeError(f"the callable given as spec must return a torch.nn.Module, it returned {made!r}")
        return spec
    module_for(spec)  # a bad spec fails here (ValueError, or TypeError for a non-string)
    return lambda: module_for(spec)


def replace_activations(model: nn.Module, spec: Union[str, Callable[[], nn.Module]],
                        types: Tuple[Type[nn.Module], ...] = (nn.ReLU,)) -> int:
    """Replaces, in place, every submodule of `model` that is an instance of one of `types` by a
    new module, and returns how many it replaced. `spec` is an activation spec (module_for: GEM,
    EGEM, SEGEM or Activation) or a callable that returns a new module, for options a spec does
    not carry: `lambda: gem.nn.EGEM(N=1, eps=1e-4, learnable_eps=True)`. Each replacement is a
    module of its own, so learnable eps values are not shared. A bad spec, an empty `types` or a
    `types` that is not a tuple of module classes is an error before anything changes; `model`
    itself is never replaced (wrap it to replace a bare activation)."""
    make = _module_factory(spec)
    if isinstance(types, type):
        types = (types,)
    if not isinstance(types, tuple) or not types or not all(isinstance(t, type) and issubclass(t, nn.Module)
                                                            for t in types):
        raise ValueError(f"types must be a non-empty tuple of torch.nn.Module classes, got {types!r}")
    targets = [(parent, name) for parent in model.modules() for name, child in parent.named_children()
               if isinstance(child, types)]
    for parent, name in targets:
        setattr(parent, name, make())
    return len(targets)


from . import init  # noqa: E402  (gem.nn.init, as torch.nn.init)
