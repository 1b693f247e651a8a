#!/usr/bin/env bash
# The GPU check in one command: build the CUDA kernels, the torch operators and their tests
# against this machine's CUDA PyTorch, run tests/cuda, then scripts/gpu/gpu_check.py
# (correctness of every variant, N and dtype on CUDA, gradients, bandwidth against copy / relu /
# gelu / silu / eager / torch.compile, fused bias, ResNet-56 step), then tests/torch. Needs an
# NVIDIA GPU, nvcc and python3 with a CUDA build of torch. Designed to finish in under 8 minutes
# on one H100 with 16 cores; every phase has a time limit and a failed phase does not stop the next.
# The Python package's checks (pip install, opcheck, torch.compile fullgraph, torch.export) are
# scripts/gpu/python_check.sh, a run of its own.
#
#   bash scripts/gpu_check.sh
#
# Environment:
#   OUT             results and logs: gpu_results.json, gpu_summary.txt, gpu_check.log, build.log,
#                   ctest_cuda.log, ctest_torch.log (default ./gpu-out)
#   GEM_SHARED_DIR  folder with spec/golden.csv (default ./shared, else ../shared)
#   GEM_GPU_DEPS    folder of .deb files (Highway, GoogleTest, CLI11, nlohmann-json) unpacked and used
#                   when present, for machines without them (default ./.gpu-deps)
#   GEM_GPU_BUILD   build folder (default ./build-gpu)
#   JOBS            parallel build jobs (default: all cores)
#   GEM_PYTHON      the python with torch (default: python3 on PATH)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1

source "$ROOT/scripts/gpu/phases.sh"

SHARED=${GEM_SHARED_DIR:-$ROOT/shared}
if [ ! -f "$SHARED/spec/golden.csv" ] && [ -f "$ROOT/../shared/spec/golden.csv" ]; then SHARED=$ROOT/../shared; fi
[ -f "$SHARED/spec/golden.csv" ] || log "WARNING: no $SHARED/spec/golden.csv: the golden-value tests will fail"
BUILD=${GEM_GPU_BUILD:-$ROOT/build-gpu}
JOBS=${JOBS:-$(nproc)}
PY=${GEM_PYTHON:-$(command -v python3)}
if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH CUDACXX=${CUDACXX:-/usr/local/cuda/bin/nvcc}; fi

log "machine: $(nproc) cores; $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
log "nvcc: $(nvcc --version 2>&1 | tail -1); cmake: $(cmake --version | head -1); python: $PY"
TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
log "torch: $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1)"

# ---- Build dependencies carried as .deb files (unpacked, never installed) ------------------------
PREFIXES=$TORCH_PREFIX
DEP_ARGS=()
DEPS=${GEM_GPU_DEPS:-$ROOT/.gpu-deps}
if compgen -G "$DEPS/*.deb" > /dev/null; then
  DEST=/tmp/gem-gpu-deps
  rm -rf "$DEST" && mkdir -p "$DEST"
  for deb in "$DEPS"/*.deb; do
    if command -v dpkg-deb > /dev/null; then
      dpkg-deb -x "$deb" "$DEST" || log "cannot unpack $deb"
    else  # a .deb is an ar archive holding data.tar.*
      (tmp=$(mktemp -d) && cd "$tmp" && ar x "$deb" && tar -xf data.tar.* -C "$DEST" && rm -rf "$tmp") ||
        log "cannot unpack $deb"
    fi
  done
  PREFIXES="$TORCH_PREFIX;$DEST/usr"
  LIBDIR=$DEST/usr/lib/x86_64-linux-gnu
  [ -d "$LIBDIR/cmake/hwy" ] && DEP_ARGS+=("-DHWY_DIR=$LIBDIR/cmake/hwy")
  [ -d "$LIBDIR/cmake/GTest" ] && DEP_ARGS+=("-DGTest_DIR=$LIBDIR/cmake/GTest")
  log "unpacked $(find "$DEPS" -maxdepth 1 -name '*.deb' | wc -l) packages from $DEPS into $DEST"
fi

# ---- Configure: the whole project; if that fails here, the libraries and their tests -----------
# One build description (the top CMakeLists.txt): GEM_BUILD_TOOLS=OFF leaves out the tools and
# the harness, whose dependencies (CLI11, nlohmann-json, SentencePiece, zlib) a GPU machine may lack.
CONFIG_ARGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$PREFIXES" -DTORCH_CUDA_ARCH_LIST=9.0
             -DGEM_WITH_CUDA=ON -DGEM_WITH_TORCH=ON -DGEM_BUILD_BENCH=OFF "-DGEM_SHARED_DIR=$SHARED"
             "-DGEM_PYTHON=$PY" "${DEP_ARGS[@]}")
log "configure (whole project) in $BUILD"
timeout 240 cmake -S . -B "$BUILD" "${CONFIG_ARGS[@]}" > "$OUT/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  log "whole-project configure failed (rc $rc; tail below); again with GEM_BUILD_TOOLS=OFF"
  tail -25 "$OUT/build.log"
  BUILD=$BUILD-libs
  timeout 240 cmake -S . -B "$BUILD" "${CONFIG_ARGS[@]}" -DGEM_BUILD_TOOLS=OFF >> "$OUT/build.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    log "that failed too (rc $rc; tail below); last try: the CUDA kernels and their tests without torch"
    tail -25 "$OUT/build.log"
    BUILD=$BUILD-notorch
    timeout 240 cmake -S . -B "$BUILD" "${CONFIG_ARGS[@]}" -DGEM_BUILD_TOOLS=OFF -DGEM_WITH_TORCH=OFF \
      >> "$OUT/build.log" 2>&1
    rc=$?
  fi
fi
phase_done configure "$rc"
grep -E "GEM|Torch|CUDA" "$OUT/build.log" | grep -v "^--.*Looking\|^--.*Performing" | tail -12

# ---- Build the kernels, operators and their tests --------------------------------------------------
TARGETS=()
ALL_TARGETS=$(ninja -C "$BUILD" -t targets all 2>/dev/null)
for dir in src/cuda src/torch tests/cuda tests/torch; do
  grep -q "^$dir/all:" <<< "$ALL_TARGETS" && TARGETS+=("$dir/all")
done
log "build with $JOBS jobs: ${TARGETS[*]}"
timeout 420 ninja -C "$BUILD" -k 0 -j "$JOBS" "${TARGETS[@]}" >> "$OUT/build.log" 2>&1
rc=$?
phase_done build "$rc"
[ $rc -ne 0 ] && grep -B2 -A12 -m5 "error" "$OUT/build.log" | tail -60
LIB=$(ls "$BUILD"/lib/libgem_torch.so 2>/dev/null)
[ -z "$LIB" ] && log "no libgem_torch.so: CMake could not build the operators against this PyTorch (build.log)"
if [ -n "$LIB" ] && ! ldd "$LIB" | grep -q c10_cuda; then
  log "note: $LIB has no CUDA kernels (LibTorch without CUDA: GEM_TORCH_HAS_CUDA off)"
fi

# ---- The python check: correctness, gradients, benchmarks -------------------------------------------
log "python check (library: ${LIB:-not built})"
export OUT
PYTHONUNBUFFERED=1 GEM_TORCH_LIBRARY=$LIB PYTHONPATH=$ROOT/python${PYTHONPATH:+:$PYTHONPATH} \
  timeout 330 "$PY" scripts/gpu/gpu_check.py --out "$OUT" 2>&1 | tee "$OUT/gpu_check_py.log"
rc=${PIPESTATUS[0]}
phase_done python_check "$rc"
# The table the script printed last (everything after its blank line).
awk '/^== GEM GPU check/{p=1} p' "$OUT/gpu_check_py.log" > "$OUT/gpu_summary.txt"

# ---- tests/cuda -----------------------------------------------------------------------------------
if [ -d "$BUILD/tests/cuda" ]; then
  log "ctest tests/cuda"
  (cd "$BUILD/tests/cuda" && timeout 150 ctest --output-on-failure -j 8 --timeout 120) > "$OUT/ctest_cuda.log" 2>&1
  rc=$?
  grep -E "tests passed|tests failed|Failed|\*\*\*|Skipped" "$OUT/ctest_cuda.log" | tail -15
  phase_done ctest_cuda "$rc"
fi

# ---- tests/torch (C++ gtest and python/tests) -----------------------------------------------------
if [ -d "$BUILD/tests/torch" ]; then
  log "ctest tests/torch"
  (cd "$BUILD/tests/torch" && GEM_TORCH_LIBRARY=$LIB timeout 200 ctest --output-on-failure -j 8 --timeout 180) \
    > "$OUT/ctest_torch.log" 2>&1
  rc=$?
  grep -E "tests passed|tests failed|Failed|\*\*\*" "$OUT/ctest_torch.log" | tail -15
  phase_done ctest_torch "$rc"
fi

# ---- Summary last ------------------------------------------------------------------------------
echo
log "done in $((SECONDS - START)) s; results in $OUT"
phase_table
rc=$?
echo
cat "$OUT/gpu_summary.txt" 2>/dev/null
exit $rc
