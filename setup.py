"""Builds the gem package: CMake compiles libgem_torch.so against the torch imported here, and the
library, its build record and the shared libraries it needs are copied into the package.

Why CMake and not torch.utils.cpp_extension: the operators link the CPU kernels, compiled once
per SIMD target with Highway's dynamic dispatch and their own flags (-O3, no FMA contraction), and,
when torch has CUDA, the CUDA kernels; CMake already states all of that once (src/cpu, src/cuda,
src/torch), so the wheel is built by the same rules as the C++ library and its tests.

Environment:
  GEM_CMAKE_BUILD_DIR  an existing CMake build folder to build gem_torch in and take it from (CI
                       reuses the build its tests ran on); default: build/python-package/cmake
  GEM_JOBS             parallel compile jobs (default: all cores)
  CMAKE_ARGS           extra arguments for the configure step
"""
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version() -> str:
    """The one version of the project: CMakeLists.txt's project(gem VERSION ...)."""
    match = re.search(r"project\(gem VERSION ([0-9][0-9.]*)", (ROOT / "CMakeLists.txt").read_text())
    if not match:
        raise RuntimeError("no 'project(gem VERSION x.y.z ...)' in CMakeLists.txt")
    return match.group(1)


class CMakeBuild(build_ext):
    """Builds the CMake target gem_torch and copies it, with what it needs, into the package."""

    def build_extension(self, ext: Extension) -> None:
        import torch  # the torch this package will run with (no build isolation)

        build_dir = Path(os.environ.get("GEM_CMAKE_BUILD_DIR") or (ROOT / "build" / "python-package" / "cmake")).resolve()
        jobs = os.environ.get("GEM_JOBS") or str(os.cpu_count() or 1)
        if not (build_dir / "CMakeCache.txt").is_file():
            configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                         f"-DCMAKE_PREFIX_PATH={torch.utils.cmake_prefix_path}", "-DGEM_WITH_TORCH=ON",
                         f"-DGEM_WITH_CUDA={'AUTO' if torch.version.cuda else 'OFF'}", "-DGEM_BUILD_TESTS=OFF",
                         "-DGEM_BUILD_BENCH=OFF", "-DGEM_BUILD_TOOLS=OFF"]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
            self.announce(f"configuring {build_dir}", level=2)
            subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "gem_torch", "-j", jobs], check=True)

        lib_dir = build_dir / "lib"
        record = lib_dir / "gem_torch_build.json"
        info = json.loads(record.read_text())
        built, running = info["torch_version"], torch.__version__
        if not running.startswith(built.split("+")[0]):
            raise RuntimeError(f"{build_dir} was configured against torch {built}, but this pip runs torch {running}: "
                               f"remove it or point GEM_CMAKE_BUILD_DIR at a build of this torch")
        package = Path(ROOT / "python" / "gem") if self.inplace else Path(self.build_lib) / "gem"
        package.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib_dir / info["library"], package / info["library"])
        shutil.copy2(record, package / record.name)
        for dependency in info.get("bundle", []):  # found through the library's $ORIGIN run path
            shutil.copy2(dependency["file"], package / dependency["name"])
        self._outputs = [str(package / name) for name in
                         [info["library"], record.name] + [d["name"] for d in info.get("bundle", [])]]

    def get_outputs(self):
        return getattr(self, "_outputs", [])


setup(
    version=project_version(),
    # One placeholder extension: it makes the wheel platform-specific and runs CMakeBuild.
    ext_modules=[Extension("gem.libgem_torch", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    # setuptools' own folders, apart from the CMake build in build/.
    options={"build": {"build_base": "build/python-package/setuptools"}},
)
