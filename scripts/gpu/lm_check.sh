#!/usr/bin/env bash
# The language models on a GPU, in one command: builds gem-train and the training tests against
# this machine's CUDA PyTorch, runs the transformer tests (PyTorch 2's fused-attention path),
# trains gpt-local briefly under bf16 autocast, times GPT-2-small-shaped training steps per
# activation, and runs the Python error-path tests with a fault handler. Prints a table last.
#   bash scripts/gpu/lm_check.sh
# Environment: OUT (default ./gpu-out), GEM_GPU_DEPS (.deb files to unpack; default ./.gpu-deps),
#   GEM_CACHE_DIR (tokenizer cache; default .gpu-deps/gem-cache when present).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
gpu_script_start lm_check
B=build-gpu-lm
gpu_build $B "$OUT/lm_build.log" gem-train gem_train_test gem_torch

log "transformer tests (fused attention on PyTorch 2)"
timeout 120 $B/bin/gem_train_test --gtest_filter='LanguageModel*:FeedForwardSpec*' 2>&1 | tail -5

# gem-train on CUDA: the recipe's model, more steps per epoch than on the CPU.
train() {  # train NAME ACT FLAGS...
  local name=$1 act=$2; shift 2
  rm -rf "$OUT/runs/$name"
  timeout 240 $B/bin/gem-train --recipe gpt-local --act "$act" --seed 1 --out "$OUT/runs/$name" --dataset text \
    --data-dir "$DOCS" --device cuda --threads 8 --log-every 0 "$@" > "$OUT/runs-$name.log" 2>&1
  local rc=$?
  tail -2 "$OUT/runs-$name.log"
  [ $rc -eq 0 ] || { tail -20 "$OUT/runs-$name.log"; return 0; }
  "$PY" - "$OUT/runs/$name/summary.json" "$name" >> "$OUT/lm_table.txt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {s['activation']} | {s['parameters']:,} | {s['tokens_per_second']:,.0f} | "
      f"{s['val_loss']:.4f} | {s.get('val_perplexity', float('nan')):.2f} | {s.get('unigram_perplexity', float('nan')):.1f} | "
      f"{s['seconds']:.1f} |")
PY
}
echo "| run | activation | parameters | train tokens/s | val loss | val ppl | unigram ppl | seconds |" > "$OUT/lm_table.txt"
echo "|---|---|---|---|---|---|---|---|" >> "$OUT/lm_table.txt"
log "gpt-local on CUDA, bf16 autocast: 2 epochs x 300 steps, batch 64"
for act in gelu egem:N=2,eps=10; do
  train "gpt-local-$act" "$act" --epochs 2 --steps-per-epoch 300 --batch-size 64 --val-tokens 65536
done
log "GPT-2-small shape (12 x 768, context 1024; the recipe's vocabulary), batch 8: 1 epoch x 40 steps"
for act in gelu egem:N=2,eps=10 glu-gelu glu-egem:N=2,eps=10 relu; do  # glu-: the goal is glu-egem >= 0.95x glu-gelu
  train "gpt2-shape-$act" "$act" --epochs 1 --steps-per-epoch 40 --batch-size 8 --layers 12 --heads 12 \
    --embed-dim 768 --context 1024 --val-tokens 65536 --eval-batch-size 8 --warmup-epochs 0.1 --lr 6e-4
done

log "python error-path tests with a fault handler"
GEM_TORCH_LIBRARY=$ROOT/$B/lib/libgem_torch.so PYTHONPATH=$ROOT/python timeout 120 "$PY" -X faulthandler -m pytest \
  python/tests -x -q -k "error or raise or invalid" 2>&1 | tail -40

echo
log "done"
cat "$OUT/lm_table.txt"
