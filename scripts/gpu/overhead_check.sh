#!/usr/bin/env bash
# Builds only the operator library against this machine's CUDA PyTorch (as scripts/gpu_check.sh
# does) and runs scripts/gpu/step_overhead.py: host overhead per call, interleaved ResNet-56 step
# times, a profile, and the Python error path.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
PY=$(command -v python3)
TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')
DEST=/tmp/gem-gpu-deps
rm -rf "$DEST" && mkdir -p "$DEST"
for deb in .gpu-deps/*.deb; do dpkg-deb -x "$deb" "$DEST"; done
LIBDIR=$DEST/usr/lib/x86_64-linux-gnu
export PATH=/usr/local/cuda/bin:$PATH
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$DEST/usr" \
  -DTORCH_CUDA_ARCH_LIST=9.0 -DGEM_WITH_CUDA=ON -DGEM_WITH_TORCH=ON -DGEM_BUILD_BENCH=OFF -DGEM_BUILD_TESTS=OFF \
  "-DGEM_SHARED_DIR=$ROOT/shared" "-DHWY_DIR=$LIBDIR/cmake/hwy" > "$OUT/overhead_build.log" 2>&1 || { tail -30 "$OUT/overhead_build.log"; exit 1; }
ninja -C build-gpu -j "$(nproc)" gem_torch >> "$OUT/overhead_build.log" 2>&1 || { tail -40 "$OUT/overhead_build.log"; exit 1; }
GEM_TORCH_LIBRARY=$ROOT/build-gpu/lib/libgem_torch.so PYTHONUNBUFFERED=1 timeout 300 "$PY" scripts/gpu/step_overhead.py 2>&1 | tee "$OUT/step_overhead.txt"
