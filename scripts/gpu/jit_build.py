"""Fallback of scripts/gpu_check.sh for a machine where CMake cannot build the torch operators
against the local PyTorch (its CMake config wants pieces of the CUDA toolkit the machine lacks):
compile src/torch/*.cpp with torch.utils.cpp_extension (PyTorch's own compiler flags) and link
the kernel libraries that CMake did build (lib/libgem_cpu.a, lib/libgem_cuda.a). Prints the path
of the loaded library on the last line of stdout; the compiler's output goes to stderr.
"""
import argparse
import sys
from pathlib import Path

import torch
from torch.utils import cpp_extension


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True, help="CMake build folder holding lib/libgem_cpu.a (and libgem_cuda.a)")
    parser.add_argument("--hwy-lib", default="", help="libhwy.so to link (default: -lhwy)")
    parser.add_argument("--out", default="", help="folder for the build files (default: <build>/jit)")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    lib = Path(args.build).resolve() / "lib"
    with_cuda = torch.version.cuda is not None and (lib / "libgem_cuda.a").is_file()
    sources = sorted(str(s) for s in (root / "src" / "torch").glob("*.cpp")
                     if with_cuda or s.name != "cuda_ops.cpp")
    ldflags = ([str(lib / "libgem_cuda.a")] if with_cuda else []) + [str(lib / "libgem_cpu.a")]
    if args.hwy_lib:
        ldflags += [args.hwy_lib, f"-Wl,-rpath,{Path(args.hwy_lib).resolve().parent}"]
    else:
        ldflags += ["-lhwy"]
    ldflags += ["-fopenmp"] + (["-lcudart"] if with_cuda else [])
    build_dir = Path(args.out) if args.out else Path(args.build).resolve() / "jit"
    build_dir.mkdir(parents=True, exist_ok=True)
    print(f"jit_build: {len(sources)} sources, cuda={with_cuda}, into {build_dir}", file=sys.stderr)
    stdout = sys.stdout
    sys.stdout = sys.stderr  # cpp_extension's progress must not mix with the path printed below
    try:
        cpp_extension.load(
            name="gem_torch_jit", sources=sources,
            extra_include_paths=[str(root), str(root / "include"), str(root / "src" / "torch" / "include")],
            extra_cflags=["-O3"], extra_ldflags=ldflags, with_cuda=with_cuda,
            is_python_module=False, build_directory=str(build_dir), verbose=True)
    finally:
        sys.stdout = stdout
    path = build_dir / "gem_torch_jit.so"  # load() names it after `name`; it is loaded already
    if not path.is_file():
        print(f"jit_build: {path} was not produced", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
