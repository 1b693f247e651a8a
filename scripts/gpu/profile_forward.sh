#!/usr/bin/env bash
# The profile plan of issue 15 (float32 forward at >= 95% of the device copy), ready to run: Nsight
# Compute on the float32 forward kernel of E-GEM and SE-GEM, N = 1, 2, 4, 2^26 elements, beside a
# device-to-device copy of the same bytes. Prints, per kernel, what decides where it stops short of
# the copy: DRAM throughput (% of peak), achieved occupancy, registers per thread, executed
# instructions per element, and the top warp stall reasons.
#   bash scripts/gpu/profile_forward.sh          (after scripts/gpu_check.sh, whose build it uses)
# Environment: OUT (default ./gpu-out), GEM_GPU_BUILD (default ./build-gpu).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
gpu_script_start profile_forward
LIB=${GEM_GPU_BUILD:-$ROOT/build-gpu}/lib/libgem_torch.so
if [ ! -f "$LIB" ]; then
  gpu_build build-gpu-lm "$OUT/profile_build.log" gem_torch
  LIB=$ROOT/build-gpu-lm/lib/libgem_torch.so
fi
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
cat > "$OUT/profile_forward.py" <<'PY'
import sys, torch
torch.ops.load_library(sys.argv[1])
x = torch.randn(1 << 26, device="cuda") * 2
for variant in ("egem", "segem"):
    for N in (1, 2, 4):
        torch.ops.gem.forward(x, variant, N, 1e-4)
y = torch.empty_like(x)
y.copy_(x)  # the copy of the same bytes
torch.cuda.synchronize()
PY
log "ncu: 6 forward kernels and a copy"
timeout 300 "$NCU" --target-processes all --kernel-name-base demangled \
  --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
  --section InstructionStats --csv --page raw \
  --metrics dram__throughput.avg.pct_of_peak_sustained_elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,launch__registers_per_thread,smsp__inst_executed.sum,gpu__time_duration.sum \
  "$PY" "$OUT/profile_forward.py" "$LIB" > "$OUT/profile_forward.csv" 2> "$OUT/profile_forward.err" ||
  { tail -20 "$OUT/profile_forward.err"; exit 1; }
"$PY" - "$OUT/profile_forward.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0]
col = {name: i for i, name in enumerate(head)}
def get(r, name):
    i = col.get(name)
    return r[i] if i is not None and i < len(r) else "?"
print("| kernel | time (us) | DRAM % of peak | occupancy % | regs | instructions / element |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows[2:]:
    name = get(r, "Kernel Name")[:60]
    inst = get(r, "smsp__inst_executed.sum")
    try:
        per = f"{float(inst.replace(',', '')) * 32 / (1 << 26):.1f}"
    except ValueError:
        per = "?"
    print(f"| {name} | {get(r, 'gpu__time_duration.sum')} | {get(r, 'dram__throughput.avg.pct_of_peak_sustained_elapsed')} | "
          f"{get(r, 'sm__warps_active.avg.pct_of_peak_sustained_active')} | {get(r, 'launch__registers_per_thread')} | {per} |")
PY
log "done (full report: $OUT/profile_forward.csv)"
