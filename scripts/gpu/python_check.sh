#!/usr/bin/env bash
# The Python package on a CUDA machine with PyTorch 2.x (issue 11), in one command: builds the
# operator library with its CUDA kernels against this machine's torch, pip-installs the package
# from it into a venv that sees that torch (as a user would: --no-build-isolation --no-index),
# checks `python -m gem`, runs python/tests against the installed copy, then compile_check.py
# (opcheck of every operator, torch.compile fullgraph of a ResNet-56 and a GPT block, static and
# dynamic, torch.export, per-channel eps on CUDA). Prints a table last. About 8 minutes on one
# H100 with 16 cores (the CUDA build is most of it); every phase has a time limit.
#
#   bash scripts/gpu/prepare_deps.sh              # here, once: .gpu-deps/ for the run to carry
#   bash scripts/gpu/python_check.sh              # there; results in $OUT (default gpu-out/)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
source "$ROOT/scripts/gpu/phases.sh"
log "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>&1 | head -1); $(nproc) cores; torch $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1)"

BUILD=$ROOT/build-gpu-python
gem_configure "$BUILD" "$OUT/python_build.log" -DCMAKE_BUILD_TYPE=Release -DGEM_BUILD_TESTS=OFF -DGEM_BUILD_TOOLS=OFF
rc=$?
if [ $rc -eq 0 ]; then
  timeout 420 ninja -C "$BUILD" -j "$(nproc)" gem_torch >> "$OUT/python_build.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || tail -30 "$OUT/python_build.log"
fi
phase_done "build gem_torch (CUDA)" $rc

VENV=/tmp/gem-python-venv
rc=1
if [ "${STATUS["build gem_torch (CUDA)"]}" = ok ]; then
  "$PY" -m venv --system-site-packages --clear "$VENV" &&
    GEM_CMAKE_BUILD_DIR=$BUILD timeout 300 "$VENV/bin/python" -m pip install --no-build-isolation --no-index --quiet \
      --disable-pip-version-check "$ROOT" > "$OUT/python_pip.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || tail -20 "$OUT/python_pip.log"
fi
phase_done "pip install" $rc

if [ "${STATUS["pip install"]}" = ok ]; then
  RUN=(env -u PYTHONPATH -u GEM_TORCH_LIBRARY "$VENV/bin/python")
  (cd /tmp && "${RUN[@]}" -m gem) | tee "$OUT/python_m_gem.txt"
  grep -q "CUDA kernels  yes" "$OUT/python_m_gem.txt"
  phase_done "python -m gem says CUDA" $?
  (cd /tmp && GEM_EXPECT_INSTALLED=1 GEM_GOLDEN_CSV=$ROOT/shared/spec/golden.csv timeout 420 "${RUN[@]}" -m pytest -q \
    -p no:cacheprovider "$ROOT/python/tests" > "$OUT/python_tests.log" 2>&1)
  rc=$?
  tail -3 "$OUT/python_tests.log"
  phase_done "python/tests (installed)" $rc
else  # the checks below still run, on the library built above
  RUN=(env "PYTHONPATH=$ROOT/python" "GEM_TORCH_LIBRARY=$BUILD/lib/libgem_torch.so" "$PY")
fi
if [ -f "$BUILD/lib/libgem_torch.so" ]; then
  timeout 600 "${RUN[@]}" "$ROOT/scripts/gpu/compile_check.py" --out "$OUT" 2>&1 | tee "$OUT/compile_check.log" |
    grep "^\[compile_check\]"
  phase_done "compile_check.py" "${PIPESTATUS[0]}"
fi

echo
echo "== python_check.sh summary ($((SECONDS - START)) s)"
[ -f "$OUT/compile_check.log" ] && sed -n '/^check /,$p' "$OUT/compile_check.log"
phase_table
