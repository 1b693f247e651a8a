#!/usr/bin/env bash
# The local transformer sweep of docs/results (issue: the paper's transformer comparisons at a
# scale this machine trains in minutes): gpt-local and bert-local over GELU, GEM N=1, GEM N=2,
# E-GEM N=2 eps=10, SE-GEM N=2 eps=1e-4 and the gated forms of GELU and E-GEM, seeds 1-3, then
# one report (tables, CSV, curves). About 65 minutes on 2 cores.
#   bash scripts/lm_sweep.sh
# Builds first (scripts/setup.sh). Resumable: finished runs are skipped, so a second call only
# redraws the report. Environment: GEM_BUILD_DIR (default build), GEM_RUNS_DIR (default
# runs/lm-local), GEM_RESULTS_DIR (default results), GEM_SWEEP_JOBS (default: the number of
# cores), GEM_LM_ACTS (specs, space-separated), GEM_LM_SEEDS (default 1,2,3).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}
runs=${GEM_RUNS_DIR:-$root/runs/lm-local}
results=${GEM_RESULTS_DIR:-$root/results}
jobs=${GEM_SWEEP_JOBS:-$(nproc)}
acts=${GEM_LM_ACTS:-gelu gem:N=1 gem:N=2 egem:N=2,eps=10 segem:N=2,eps=1e-4 glu-gelu glu-egem:N=2,eps=10}
seeds=${GEM_LM_SEEDS:-1,2,3}
say() { printf '\n[lm-sweep] %s\n' "$*"; }

bash "$root/scripts/setup.sh"
sweep=$build_dir/bin/gem-sweep
[[ -x $sweep ]] || { printf '[lm-sweep] error: %s was not built (it needs LibTorch: libtorch-dev)\n' "$sweep" >&2; exit 1; }

act_flags=()
for act in $acts; do act_flags+=(--act "$act"); done

start=$SECONDS
failed=0
for recipe in gpt-local bert-local; do
  say "$recipe: ${act_flags[*]} x seeds $seeds, $jobs runs at a time (progress: ${runs#$root/}/$recipe/*/seed-*/train.log)"
  "$sweep" run --recipe "$recipe" "${act_flags[@]}" --seeds "$seeds" --out "$runs" --jobs "$jobs" || failed=1
done
say "sweep took $((SECONDS - start)) s; gem-sweep report"
"$sweep" report --in "$runs" --out "$results/lm-local-sweep"
grep -E '^(## |\|)' "$results/lm-local-sweep/report.md" | sed 's/^/  /'
say "report in ${results#$root/}/lm-local-sweep/ (report.md, report.csv, *-curves.png, activations.png)"
exit $failed
