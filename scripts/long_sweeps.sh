#!/usr/bin/env bash
# The longer local sweeps behind docs/results/paper-claims.md, then their reports:
#   1. fashion-resnet-long: ResNet-20 at full width on all of Fashion-MNIST, 8 activations x 3
#      seeds (about 100 minutes on 2 cores);
#   2. gpt-long, bert-long: 2000 steps on the Brown Corpus, 8 activations x 3 seeds (about 20
#      minutes each);
#   3. mnist-local at 12 epochs (3x its recipe): the baselines against E-GEM and GEM, 3 seeds
#      (about 6 minutes);
#   4. the initialisation study (docs/results/paper-claims.md, "Initialisation"): the MNIST
#      sweep's GEM family with --init-gain auto (the small CNN has no normalisation); gpt-long
#      with --init-gain auto for the GEM family, seeds 1-5, and seeds 4-5 of today's initialisation;
#      fashion-resnet-long with --init-gain auto for the same GEM family as MNIST's, 3 seeds (85
#      minutes here, beside a build).
# Builds first (scripts/setup.sh). Resumable: finished runs are skipped, so a second call only
# redraws the reports. Environment: GEM_BUILD_DIR (default build), GEM_RUNS_DIR (default
# runs/long; the MNIST runs go to <it>-mnist, the study's to <it>-auto and <it>-seeds45), GEM_RESULTS_DIR (default results/long-sweeps), GEM_SWEEP_JOBS (default: the number
# of cores), GEM_LONG_PARTS (default "cnn lm mnist init": which of the four to run).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}
runs=${GEM_RUNS_DIR:-$root/runs/long}
results=${GEM_RESULTS_DIR:-$root/results/long-sweeps}
jobs=${GEM_SWEEP_JOBS:-$(nproc)}
parts=" ${GEM_LONG_PARTS:-cnn lm mnist init} "
say() { printf '\n[long-sweeps] %s\n' "$*"; }

bash "$root/scripts/setup.sh"
sweep=$build_dir/bin/gem-sweep
[[ -x $sweep ]] || { printf '[long-sweeps] error: %s was not built (it needs LibTorch: libtorch-dev)\n' "$sweep" >&2; exit 1; }
run() { say "gem-sweep run $* (progress: the runs' train.log)"; "$sweep" run --jobs "$jobs" "$@"; }
gems=(--act gem:N=1 --act gem:N=2 --act gem:N=3 --act egem:N=2,eps=10 --act segem:N=2,eps=1e-4)

start=$SECONDS
[[ $parts == *" cnn "* ]] && run --recipe fashion-resnet-long --out "$runs"
if [[ $parts == *" lm "* ]]; then
  run --recipe gpt-long --out "$runs"
  run --recipe bert-long --out "$runs"
fi
[[ $parts == *" mnist "* ]] && run --recipe mnist-local --epochs 12 --seeds 1,2,3 --act relu --act gelu --act silu \
  --act mish --act elu --act leaky_relu --act egem:N=1,eps=1e-4 --act gem:N=1 --out "$runs-mnist"
if [[ $parts == *" init "* ]]; then
  cnn_gems=(--act gem:N=1 --act gem:N=2 --act gem:N=3 --act egem:N=1,eps=1e-4 --act segem:N=1,eps=1e-4)
  run --recipe mnist-local --epochs 12 --seeds 1,2,3 "${cnn_gems[@]}" --out "$runs-mnist"
  run --recipe mnist-local --epochs 12 --seeds 1,2,3 --init-gain auto "${cnn_gems[@]}" --out "$runs-mnist-auto"
  run --recipe gpt-long --init-gain auto "${gems[@]}" --seeds 1,2,3,4,5 --out "$runs-auto"
  run --recipe gpt-long --act relu --act gelu "${gems[@]}" --seeds 4,5 --out "$runs-seeds45"
  run --recipe fashion-resnet-long --init-gain auto "${cnn_gems[@]}" --out "$runs-auto"
fi
say "sweeps took $((SECONDS - start)) s; the reports"
"$sweep" report --in "$runs" --out "$results/main"
mnist_in=(--in "$runs-mnist")
[[ -d $runs-mnist-auto ]] && mnist_in+=(--in "$runs-mnist-auto")
[[ -d $runs-mnist ]] && "$sweep" report "${mnist_in[@]}" --out "$results/mnist"
if [[ -d $runs-auto ]]; then
  init_in=(--in "$runs-auto")
  for recipe in gpt-long fashion-resnet-long; do [[ -d $runs/$recipe ]] && init_in+=(--in "$runs/$recipe"); done
  [[ -d $runs-seeds45 ]] && init_in+=(--in "$runs-seeds45")
  "$sweep" report "${init_in[@]}" --out "$results/init"
fi
say "reports in ${results#$root/}/ (main, mnist, init: report.md, report.csv, *-curves.png)"
