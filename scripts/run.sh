#!/usr/bin/env bash
# The main job: builds GEM (scripts/setup.sh), then writes into results/
#   family.png, family.csv   f, f', f'' of relu, gelu, GEM, E-GEM and SE-GEM   (gem plot)
#   eval_demo.csv            a few cases through the CPU kernels                (gem eval)
#   bench.txt, bench.log     a short throughput run of the CPU kernels          (gem bench)
#   quick-sweep/             the quick training sweep: report.md, report.csv, PNG plots
#                            (gem-sweep; runs in runs/quick, resumable; needs LibTorch)
#   bash scripts/run.sh
# Environment: GEM_BUILD_DIR (default build), GEM_RESULTS_DIR (default results),
#   GEM_RUNS_DIR (default runs/quick), GEM_SWEEP_JOBS (default: the number of cores),
#   GEM_SKIP_SWEEP=1 to leave the sweep out, GEM_LM_SWEEP=1 to add the transformer sweep
#   (scripts/lm_sweep.sh: lm-local-sweep/).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}
results=${GEM_RESULTS_DIR:-$root/results}
gem=$build_dir/bin/gem

bash "$root/scripts/setup.sh"
mkdir -p "$results"
say() { printf '\n[run] %s\n' "$*"; }

say "gem plot: the family and its first two derivatives"
"$gem" plot --out "$results/family.png"

say "gem eval: a few cases through the float64 kernels"
cases='gem,1,1,1
gem,2,1,-0.5
egem,1,1e-4,0.01
egem,2,1e-4,1e3
segem,1,1e-4,-0.01
segem,1,1e-4,-1e30
segem,1,1e-4,-0'
values=$(printf '%s\n' "$cases" | "$gem" eval --dtype float64)
{
  echo "variant,N,eps,x,f,df,d2f"
  paste -d, <(printf '%s\n' "$cases") <(printf '%s\n' "$values")
} >"$results/eval_demo.csv"
sed 's/^/  /' "$results/eval_demo.csv"

say "gem bench: a short run (2^20 elements, egem N = 1, 2; progress in bench.log)"
if ! "$gem" bench --n 1048576 -N 1,2 --repeats 5 2>"$results/bench.log" | tee "$results/bench.txt"; then
  cat "$results/bench.log" >&2
  printf '[run] gem bench did not run (see above)\n' >&2
fi

# The quick sweep: the three local recipes (experiments/*-local.json), one thread per run and
# GEM_SWEEP_JOBS runs at a time; about 8 minutes on 2 cores. Finished runs are skipped, so a
# second run.sh only redraws the report.
runs=${GEM_RUNS_DIR:-$root/runs/quick}
sweep=$build_dir/bin/gem-sweep
outputs="family.png family.csv eval_demo.csv bench.txt bench.log"
if [[ ${GEM_SKIP_SWEEP:-0} == 1 ]]; then
  say "quick training sweep skipped (GEM_SKIP_SWEEP=1)"
elif [[ ! -x $sweep ]]; then
  say "quick training sweep skipped: gem-sweep was not built (it needs LibTorch: libtorch-dev)"
else
  jobs=${GEM_SWEEP_JOBS:-$(nproc)}
  start=$SECONDS
  for recipe in mnist-local fashion-local fashion-resnet-local; do
    say "quick training sweep: $recipe ($jobs runs at a time; progress in ${runs#$root/}/$recipe/*/seed-*/train.log)"
    # A failed run is listed by gem-sweep; the report still shows the others, and the exit status says so.
    "$sweep" run --recipe "$recipe" --out "$runs" --jobs "$jobs" || sweep_failed=1
  done
  say "quick training sweep took $((SECONDS - start)) s; gem-sweep report"
  "$sweep" report --in "$runs" --out "$results/quick-sweep"
  grep -E '^(## |\|)' "$results/quick-sweep/report.md" | sed 's/^/  /'
  outputs="$outputs quick-sweep/ (report.md, report.csv, *-curves.png, activations.png)"
fi

# The transformer sweep (scripts/lm_sweep.sh, about 65 minutes on 2 cores) only when asked.
if [[ ${GEM_LM_SWEEP:-0} == 1 ]]; then
  GEM_RESULTS_DIR=$results bash "$root/scripts/lm_sweep.sh" || sweep_failed=1
  outputs="$outputs lm-local-sweep/"
fi

say "outputs in ${results#$root/}/: $outputs"
if [[ ${sweep_failed:-0} == 1 ]]; then
  printf '[run] some training runs failed (see "failed:" above and their train.log)\n' >&2
  exit 1
fi
