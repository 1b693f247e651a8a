#!/usr/bin/env bash
# The main job: builds GEM (scripts/setup.sh), then writes into results/
#   family.png, family.csv   f, f', f'' of relu, gelu, GEM, E-GEM and SE-GEM   (gem plot)
#   eval_demo.csv            a few cases through the CPU kernels                (gem eval)
#   bench.txt, bench.log     a short throughput run of the CPU kernels          (gem bench)
#   bash scripts/run.sh
# Environment: GEM_BUILD_DIR (default build), GEM_RESULTS_DIR (default results).
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

say "outputs in ${results#$root/}/: family.png family.csv eval_demo.csv bench.txt bench.log"
