#!/usr/bin/env bash
# Installs the Python package as a user would (pip, offline, no build isolation, into a fresh
# venv that sees Debian's torch) and runs python/tests against the installed copy from a folder
# outside the checkout. ctest runs it (tests/torch/CMakeLists.txt); by hand:
#   bash scripts/test_python_package.sh [BUILD_DIR]
# The pip build reuses BUILD_DIR's CMake build (GEM_CMAKE_BUILD_DIR), so it only copies the
# library there; a fresh clone without one builds it (setup.py).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "${1:-$root/build}" && pwd)
python=${GEM_PYTHON:-/usr/bin/python3}
venv=$build_dir/python-venv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv --system-site-packages --clear "$venv"
GEM_CMAKE_BUILD_DIR=$build_dir "$venv/bin/python" -m pip install --no-build-isolation --no-index --quiet \
  --disable-pip-version-check --no-warn-script-location "$root"
cd "$work"
env -u PYTHONPATH -u GEM_TORCH_LIBRARY GEM_EXPECT_INSTALLED=1 GEM_REQUIRE_ONNXRUNTIME=1 \
  GEM_GOLDEN_CSV=${GEM_GOLDEN_CSV:-$root/../shared/spec/golden.csv} \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests"
