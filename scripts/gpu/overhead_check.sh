#!/usr/bin/env bash
# Builds only the operator library against this machine's CUDA PyTorch (as scripts/gpu_check.sh
# does) and runs scripts/gpu/step_overhead.py: host overhead per call, interleaved ResNet-56 step
# times, a profile, and the Python error path.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
gem_configure build-gpu "$OUT/overhead_build.log" -DCMAKE_BUILD_TYPE=Release -DGEM_BUILD_TESTS=OFF || exit 1
ninja -C build-gpu -j "$(nproc)" gem_torch >> "$OUT/overhead_build.log" 2>&1 || { tail -40 "$OUT/overhead_build.log"; exit 1; }
GEM_TORCH_LIBRARY=$ROOT/build-gpu/lib/libgem_torch.so PYTHONUNBUFFERED=1 timeout 300 "$PY" scripts/gpu/step_overhead.py 2>&1 | tee "$OUT/step_overhead.txt"
