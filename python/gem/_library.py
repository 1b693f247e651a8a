"""Finds and loads libgem_torch.so, which registers the torch.ops.gem operators.

The path is $GEM_TORCH_LIBRARY when set, else build/lib/libgem_torch.so in the nearest folder
above this package that has one (the project's CMake build folder).
"""
import os
from pathlib import Path

import torch

LIBRARY_NAME = "libgem_torch.so"
ENV_VAR = "GEM_TORCH_LIBRARY"

_loaded_path = None


def library_path() -> str:
    """The shared library to load, or ImportError saying where it was looked for."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        if not Path(explicit).is_file():
            raise ImportError(f"{ENV_VAR}={explicit} is not a file; point it at {LIBRARY_NAME} "
                              "(built by the CMake target gem_torch)")
        return explicit
    here = Path(__file__).resolve().parent
    for folder in [here, *here.parents]:
        candidate = folder / "build" / "lib" / LIBRARY_NAME
        if candidate.is_file():
            return str(candidate)
    raise ImportError(f"{LIBRARY_NAME} not found in build/lib of any folder above {here}; build it "
                      f"(cmake -S . -B build && cmake --build build --target gem_torch) or set {ENV_VAR}")


def load() -> str:
    """Loads the library once (torch.ops.load_library) and returns its path."""
    global _loaded_path
    if _loaded_path is None:
        path = library_path()
        torch.ops.load_library(path)
        _loaded_path = path
    return _loaded_path
