#!/usr/bin/env bash
# Data parallelism on a GPU, in one command: builds gem-train against this machine's CUDA
# PyTorch (its LibTorch brings NCCL), runs the distributed tests, then times gpt-local steps on
# CUDA as a plain run and as a one-rank NCCL job (RANK=0 WORLD_SIZE=1: its all-reduces really
# run), the overhead issue 14 bounds at 3%. Prints a table last.
#   bash scripts/gpu/dist_check.sh
# Environment: as lm_check.sh (OUT, GEM_GPU_DEPS, GEM_CACHE_DIR).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
gpu_script_start dist_check
B=build-gpu-lm
gpu_build $B "$OUT/dist_build.log" gem-train gem_train_test
grep "distributed training backends" "$OUT/dist_build.log" | tail -1
log "distributed tests (Gloo, CPU)"
timeout 180 $B/bin/gem_train_test --gtest_filter='Shard*:DistEnv*:Communicator*:DataParallel*' 2>&1 | tail -4

run() {  # run NAME [ENV...]: gpt-local on CUDA, 2 epochs x 200 steps, batch 64
  local name=$1; shift
  rm -rf "$OUT/runs/$name"
  env "$@" timeout 240 $B/bin/gem-train --recipe gpt-local --act egem:N=2,eps=10 --seed 1 --out "$OUT/runs/$name" \
    --dataset text --data-dir "$DOCS" --device cuda --threads 8 --log-every 0 --epochs 2 --steps-per-epoch 200 \
    --batch-size 64 --val-tokens 65536 > "$OUT/runs-$name.log" 2>&1 || { tail -20 "$OUT/runs-$name.log"; return 0; }
  "$PY" - "$OUT/runs/$name" "$name" >> "$OUT/dist_table.txt" <<'PY'
import json, pathlib, sys
run = pathlib.Path(sys.argv[1])
s = json.loads((run / "summary.json").read_text())
m = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
step_ms = 1000 * m[-1]["train_seconds"] / 200  # the second epoch: warm
comm = s.get("communication_seconds")
print(f"| {sys.argv[2]} | {s['world_size']} | {s.get('dist_backend', '-')} | {step_ms:.2f} | "
      f"{'-' if comm is None else f'{comm:.2f}'} | {s['val_loss']:.4f} |")
PY
}
echo "| run | world size | backend | step ms (epoch 2) | communication s | val loss |" > "$OUT/dist_table.txt"
echo "|---|---|---|---|---|---|" >> "$OUT/dist_table.txt"
log "plain, then one NCCL rank, then plain again (drift check)"
run plain-a
run nccl-1 RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29531
run plain-b
echo
log "done"
cat "$OUT/dist_table.txt"
