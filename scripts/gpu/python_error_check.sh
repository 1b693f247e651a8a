#!/usr/bin/env bash
# Diagnoses the Python error path on a CUDA PyTorch: builds the operator library alone, then
# calls an operator that must raise, in child processes (a crash does not stop the script), with
# and without C++ stack traces, and under gdb when it is there.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
gem_configure build-gpu "$OUT/pyerr_build.log" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGEM_BUILD_TESTS=OFF || exit 1
timeout 300 ninja -C build-gpu -j "$(nproc)" gem_torch >> "$OUT/pyerr_build.log" 2>&1 || { tail -40 "$OUT/pyerr_build.log"; exit 1; }
LIB=$ROOT/build-gpu/lib/libgem_torch.so
echo "== compile flags of the library"; grep -m1 -o "\-D_GLIBCXX_USE_CXX11_ABI=[01]" build-gpu/build.ninja || echo "no ABI flag"
"$PY" -c 'import torch; print("torch", torch.__version__, "abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
ldd "$LIB" | grep -E "stdc|gcc_s|c10|torch" | head
cat > /tmp/raise.py <<PY
import sys, torch
torch.ops.load_library("$LIB")
case = sys.argv[1]
try:
    if case == "builtin":
        torch.zeros(2, 3) + torch.zeros(3, 2)
    elif case == "gem_value":
        torch.ops.gem.backward(torch.zeros(2, 3), torch.zeros(3, 2), "egem", 1, 1e-4)
    elif case == "gem_type":
        torch.ops.gem.forward(torch.zeros(3, dtype=torch.int32), "egem", 1, 1e-4)
    elif case == "gem_order":
        torch.ops.gem.forward(torch.zeros(3), "egem", 9, 1e-4)
    elif case == "gem_dtype":
        torch.ops.gem.backward(torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.float64), "egem", 1, 1e-4)
    elif case == "gem_ok":
        print(torch.ops.gem.forward(torch.ones(3), "egem", 1, 1e-4))
except Exception as e:
    print(case, "raised", type(e).__name__, str(e).splitlines()[0][:120])
PY
for case in builtin gem_ok gem_value gem_type gem_order gem_dtype; do
  for st in 0; do
    echo "== $case TORCH_SHOW_CPP_STACKTRACES=$st"
    TORCH_SHOW_CPP_STACKTRACES=$st timeout 60 "$PY" -X faulthandler /tmp/raise.py $case 2>&1 | grep -v "^  File" | tail -4
  done
done
echo "== python/tests"
GEM_TORCH_LIBRARY=$LIB PYTHONPATH=$ROOT/python timeout 150 "$PY" -X faulthandler -m pytest python/tests -q -x 2>&1 | tail -5
if command -v gdb > /dev/null; then
  echo "== gdb backtrace of gem_value"
  timeout 120 gdb -batch -ex run -ex bt --args "$PY" /tmp/raise.py gem_value 2>&1 | grep -E "^#|signal" | head -30
else
  echo "no gdb"
fi
