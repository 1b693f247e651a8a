"""Finds and loads libgem_torch.so, which registers the torch.ops.gem operators.

Where it looks: $GEM_TORCH_LIBRARY when set; else the library installed inside this package
(pip install); else, in a source checkout, build/lib/libgem_torch.so of the nearest folder above
this package (the CMake build).

Before loading, the torch the library was built against (gem_torch_build.json beside it) is
compared with the torch imported here: a library loaded into another torch fails in the dynamic
linker or crashes, so a mismatch is an ImportError that says so and how to rebuild.
"""
import json
import os
import re
from pathlib import Path
from typing import Optional

import torch

LIBRARY_NAME = "libgem_torch.so"
BUILD_INFO_NAME = "gem_torch_build.json"
ENV_VAR = "GEM_TORCH_LIBRARY"
REBUILD = ("rebuild it against this torch: pip install --no-build-isolation --no-index --force-reinstall . "
           "in the gem checkout (or cmake --build build --target gem_torch for a CMake build)")

PACKAGE_DIR = Path(__file__).resolve().parent

_loaded_path: Optional[str] = None


def library_path() -> str:
    """The shared library to load, or ImportError saying where it was looked for."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        if not Path(explicit).is_file():
            raise ImportError(f"{ENV_VAR}={explicit} is not a file; point it at {LIBRARY_NAME} "
                              "(built by the CMake target gem_torch), or unset it to use the installed one")
        return explicit
    installed = PACKAGE_DIR / LIBRARY_NAME
    if installed.is_file():
        return str(installed)
    for folder in PACKAGE_DIR.parents:
        candidate = folder / "build" / "lib" / LIBRARY_NAME
        if candidate.is_file():
            return str(candidate)
    raise ImportError(f"{LIBRARY_NAME} is neither installed in {PACKAGE_DIR} nor built in build/lib of a folder "
                      f"above it: install the package (pip install --no-build-isolation --no-index . in the gem "
                      f"checkout), build it (cmake --build build --target gem_torch), or set {ENV_VAR}")


def build_info(path: str) -> Optional[dict]:
    """What the build recorded beside the library (version, torch_version, cuda), or None."""
    info = Path(path).with_name(BUILD_INFO_NAME)
    if not info.is_file():
        return None
    try:
        return json.loads(info.read_text())
    except (OSError, ValueError) as e:
        raise ImportError(f"{info} is unreadable ({e}); {REBUILD}") from e


def release(version: str) -> tuple:
    """(major, minor, patch) of a version string: "2.11.0+cu130" and "1.13.0a0+git" -> (2, 11, 0), (1, 13, 0)."""
    numbers = re.match(r"\d+(?:\.\d+)*", version)
    parts = [int(p) for p in numbers.group(0).split(".")] if numbers else []
    return tuple((parts + [0, 0, 0])[:3])


def check_torch(path: str, info: Optional[dict]) -> None:
    """ImportError when the library was built against another torch release than the one imported."""
    if info is None or "torch_version" not in info:
        return  # a library without a record (an old build, a custom one): nothing to compare
    built, running = info["torch_version"], torch.__version__
    if release(built) != release(running):
        raise ImportError(f"{path} was built against torch {built}, but this Python runs torch {running}; "
                          f"loading it would fail or crash: {REBUILD}")


def load() -> str:
    """Loads the library once (torch.ops.load_library) and returns its path."""
    global _loaded_path
    if _loaded_path is None:
        path = library_path()
        check_torch(path, build_info(path))
        try:
            torch.ops.load_library(path)
        except OSError as e:
            raise ImportError(f"cannot load {path}: {e}. If it was built against another torch or in another "
                              f"environment, {REBUILD}") from e
        _loaded_path = path
    return _loaded_path
