#!/usr/bin/env bash
# Installs the build into a scratch prefix, then configures, builds and runs the project in
# project/ against it with find_package(gem), as another project would.
#   check.sh <gem build dir> <scratch dir> [extra cmake arguments...]
set -euo pipefail
build=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" ||
  { tail -20 "$work/install.log"; echo "cmake --install failed"; exit 1; }
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)
cmake -S "$here/project" -B "$work/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_PREFIX_PATH=$work/prefix" "$@" > "$work/configure.log" ||
  { tail -30 "$work/configure.log"; echo "configuring the consumer failed"; exit 1; }
cmake --build "$work/build" > "$work/build.log" 2>&1 ||
  { grep -m5 -A10 error "$work/build.log"; echo "building the consumer failed"; exit 1; }
"$work/build/core_and_cpu"
if grep -q "gem_HAS_TORCH.*ON\|set(gem_HAS_TORCH ON)" "$work/prefix"/lib/cmake/gem/gemConfig.cmake; then
  "$work/build/torch_ops"
fi
