"""GEM, E-GEM and SE-GEM activations for PyTorch, backed by the project's C++ operators.

    import gem
    y = gem.functional.egem(x, N=1, eps=1e-4)
    act = gem.nn.EGEM(N=1, eps=1e-4, learnable_eps=True)

Importing the package loads libgem_torch.so (see gem._library) and with it torch.ops.gem.*;
`python -m gem` says which library, its version, the torch it was built for, the CPU kernels'
SIMD target and whether it has CUDA kernels.
"""
import json as _json

from . import _library

_library.load()

#: The version of the library that was loaded (the project's version).
__version__ = _json.loads(__import__("torch").ops.gem.build_info())["version"]

from . import functional, nn  # noqa: E402  (the operators must be registered first)
from .nn import replace_activations  # noqa: E402

__all__ = ["functional", "nn", "replace_activations", "__version__"]
