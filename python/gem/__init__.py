"""GEM, E-GEM and SE-GEM activations for PyTorch, backed by the project's C++ operators.

    import gem
    y = gem.functional.egem(x, N=1, eps=1e-4)
    act = gem.nn.EGEM(N=1, eps=1e-4, learnable_eps=True)

Importing the package loads libgem_torch.so (see gem._library) and with it torch.ops.gem.*.
"""
from . import _library

_library.load()

from . import functional, nn  # noqa: E402  (the operators must be registered first)

__all__ = ["functional", "nn"]
