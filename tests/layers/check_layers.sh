#!/usr/bin/env bash
# Which folder may include which (docs/architecture.md): every #include of every source under
# include/ and src/ is checked against its layer's list. Prints each include that breaks a rule
# and exits 1; a newcomer can read the architecture off the table below.
set -euo pipefail
root=${1:?usage: check_layers.sh REPOSITORY_ROOT}
cd "$root"

std='[a-z_0-9]+'               # <cmath>, <vector>, ...
posix='((sys|arpa|netinet)/)?[a-z_0-9]+\.h'   # <unistd.h>, <sys/wait.h>, <netinet/in.h>, <omp.h>, <cuda_runtime.h>, ...
core='gem/[a-z_0-9]+\.h|gem/act/[a-z_0-9]+\.h'  # include/gem itself, not gem/cpu or gem/torch

failures=0
# check FOLDER QUOTED ANGLE WHY: each "..." include must match QUOTED, each <...> ANGLE (both
# whole-path extended regular expressions).
check() {
  local folder=$1 quoted=$2 angle=$3 why=$4
  while IFS= read -r hit; do
    local file=${hit%%:*} rest=${hit#*:}
    local line=${rest%%:*} text=${rest#*:}
    local path
    if [[ $text =~ \#include[[:space:]]*\"([^\"]+)\" ]]; then
      path=${BASH_REMATCH[1]}
      [[ $path =~ ^($quoted)$ ]] && continue
    elif [[ $text =~ \#include[[:space:]]*\<([^\>]+)\> ]]; then
      path=${BASH_REMATCH[1]}
      [[ $path =~ ^($angle)$ ]] && continue
    else
      continue
    fi
    echo "$file:$line: includes $path; $why" >&2
    failures=$((failures + 1))
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include' "$folder" \
             --include='*.h' --include='*.cc' --include='*.cpp' --include='*.cu' --include='*.cuh' || true)
}

check include "$core" "$std" \
  "the core (include/gem) uses only itself and the C++ standard library"
check src/cpu "$core|gem/cpu/kernels\.h|src/cpu/[a-z_0-9-]+\.(h|cc)|hwy/[a-z_0-9/.]+" "$std|$posix|hwy/[a-z_0-9/.]+" \
  "the CPU kernels use the core, Highway and OpenMP only"
check src/cuda "$core|src/cuda/[a-z_0-9]+\.(h|cuh)" "$std|$posix" \
  "the CUDA kernels use the core and the CUDA runtime only"
check src/torch "$core|gem/cpu/kernels\.h|gem/torch/[a-z_0-9]+\.h|src/torch/[a-z_0-9]+\.h|src/cuda/kernels\.h" \
  "$std|$posix|(torch|ATen|c10)/[A-Za-z_0-9/.]+" \
  "the framework glue uses the core, the kernels' interfaces and LibTorch"
check src/support "src/support/[a-z_0-9]+\.h" "$std|$posix" \
  "support is standard C++ and POSIX only: no math, no Torch, no command-line library"
check src/plot "$core|src/plot/[a-z_0-9]+\.h|src/support/[a-z_0-9]+\.h" "$std|$posix" \
  "the activation plots use the core and support only"
check src/train "$core|gem/cpu/kernels\.h|gem/torch/[a-z_0-9]+\.h|src/(train|support|plot)/[a-z_0-9/]+\.h" \
  "$std|$posix|(torch|ATen|c10|nlohmann)/[A-Za-z_0-9/.]+" \
  "the harness sits under the tools: the core, the operators, support, plots, LibTorch and JSON, never apps/ or CLI11"

if ((failures > 0)); then
  echo "check_layers: $failures include(s) break the layers of docs/architecture.md" >&2
  exit 1
fi
echo "check_layers: every include of include/ and src/ keeps to its layer"
