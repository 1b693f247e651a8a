#!/usr/bin/env bash
# Training throughput of the GEM family against ReLU on the same model (the issue-5 goal: within
# 5%). Alternates short gem-train runs, one process and one thread at a time, so every activation
# sees the same machine state; reports the training samples/s of each run's second epoch (the
# first includes the process's warm-up): the median and the best over rounds, each also as a
# ratio to ReLU's. On a machine that other work shares, the best is the fairer number (other
# processes only ever slow a run down).
#   bash experiments/throughput.sh            (about 5 minutes on 2 cores)
# Environment: GEM_BUILD_DIR (default build), ROUNDS (default 3), OUT (default runs/throughput).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}
rounds=${ROUNDS:-3}
out=${OUT:-$root/runs/throughput}
train=$build_dir/bin/gem-train
acts=(relu egem:N=1,eps=1e-4 gem:N=1 gem:N=3 segem:N=1,eps=1e-4)
# Short runs of two local recipes: 2 epochs of 6,000 images, no dead-unit probe (not timed anyway).
common=(--epochs 2 --train-limit 6000 --test-limit 500 --dead-units false --log-every 0 --threads 1 --warmup-epochs 0)

rm -rf "$out"
for recipe in fashion-local fashion-resnet-local; do
  for ((r = 1; r <= rounds; r++)); do
    for act in "${acts[@]}"; do
      dir=$out/$recipe/$r/${act//[:,=]/_}
      "$train" --recipe "$recipe" --act "$act" --out "$dir" "${common[@]}" >"$out.log" 2>&1 ||
        { cat "$out.log" >&2; exit 1; }
    done
  done
done

/usr/bin/python3 - "$out" "${acts[@]}" <<'PY'
import json, pathlib, statistics, sys
out, acts = pathlib.Path(sys.argv[1]), sys.argv[2:]
for recipe in sorted(p.name for p in out.iterdir() if p.is_dir()):
    print(f"\n{recipe}: training samples/s of epoch 2 over {len(list((out / recipe).iterdir()))} rounds")
    print(f"  {'activation':22s} {'median':>8s} {'best':>8s}   median/relu  best/relu")
    rows = {}
    for act in acts:
        slug = act.replace(":", "_").replace(",", "_").replace("=", "_")
        rates = [json.loads((d / slug / "metrics.jsonl").read_text().splitlines()[1])["samples_per_second"]
                 for d in sorted((out / recipe).iterdir())]
        rows[act] = (statistics.median(rates), max(rates))
    for act, (med, best) in rows.items():
        print(f"  {act:22s} {med:8.0f} {best:8.0f}   {med / rows['relu'][0]:11.3f}  {best / rows['relu'][1]:9.3f}")
PY
