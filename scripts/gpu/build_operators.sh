# Sourced by the small GPU scripts (overhead_check.sh, python_error_check.sh, lm_check.sh, dist_check.sh): unpacks
# the carried .deb files (Highway, GoogleTest, CLI11, nlohmann-json, SentencePiece, zlib headers)
# into /tmp/gem-gpu-deps and configures the project against this machine's CUDA PyTorch.
#   gem_configure BUILD_DIR LOG [extra cmake args...]
# Sets ROOT, OUT, PY, DEST, LIBDIR; puts nvcc on PATH and the unpacked libraries on LD_LIBRARY_PATH.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
PY=$(command -v python3)
DEST=/tmp/gem-gpu-deps
LIBDIR=$DEST/usr/lib/x86_64-linux-gnu
export PATH=/usr/local/cuda/bin:$PATH
export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

gem_configure() {  # gem_configure BUILD_DIR LOG [extra cmake args...]
  local build=$1 log=$2
  shift 2
  local torch_prefix
  torch_prefix=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')
  rm -rf "$DEST" && mkdir -p "$DEST"
  for deb in "${GEM_GPU_DEPS:-$ROOT/.gpu-deps}"/*.deb; do dpkg-deb -x "$deb" "$DEST"; done
  cmake -S . -B "$build" -G Ninja "-DCMAKE_PREFIX_PATH=$torch_prefix;$DEST/usr" -DTORCH_CUDA_ARCH_LIST=9.0 \
    -DGEM_WITH_CUDA=ON -DGEM_WITH_TORCH=ON -DGEM_BUILD_BENCH=OFF "-DGEM_SHARED_DIR=$ROOT/shared" \
    "-DHWY_DIR=$LIBDIR/cmake/hwy" "-DGTest_DIR=$LIBDIR/cmake/GTest" "-DGEM_PYTHON=$PY" "$@" > "$log" 2>&1 ||
    { tail -30 "$log"; return 1; }
}

# The start of a GPU check script NAME: its output also goes to $OUT/NAME.log, log() prefixes
# lines with the script and the seconds since, the first line names the card and the PyTorch;
# the tokenizer cache and the text of the language models (DOCS) are the carried ones.
gpu_script_start() {  # gpu_script_start NAME
  exec > >(tee -a "$OUT/$1.log") 2>&1
  START=$SECONDS
  SCRIPT_NAME=$1
  log() { echo "[$SCRIPT_NAME +$((SECONDS - START))s] $*"; }
  log "$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1 || echo no GPU); torch $("$PY" -c 'import torch; print(torch.__version__, torch.version.cuda, torch._C._GLIBCXX_USE_CXX11_ABI)' 2>/dev/null || echo "not importable by $PY")"
  export GEM_CACHE_DIR=${GEM_CACHE_DIR:-$ROOT/.gpu-deps/gem-cache}
  DOCS=$DEST/usr/share/doc/python3.11/html/_sources
}

# Configures BUILD_DIR (Release) and builds TARGETs, the log in LOG; on failure prints the first
# errors and exits.
gpu_build() {  # gpu_build BUILD_DIR LOG TARGET...
  local build=$1 log=$2
  shift 2
  log "configure and build ($*)"
  gem_configure "$build" "$log" -DCMAKE_BUILD_TYPE=Release || exit 1
  timeout 420 ninja -C "$build" -j "$(nproc)" "$@" >> "$log" 2>&1 || { grep -B2 -A12 -m5 error "$log" | tail -60; exit 1; }
  log "built"
}
