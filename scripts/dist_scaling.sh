#!/usr/bin/env bash
# Step time of data-parallel training on this machine: fashion-resnet-local and gpt-local, one
# process (1 and 2 threads) against two ranks of one thread each (gem-train --nproc-per-node 2,
# Gloo over loopback). Prints a Markdown table; the runs and scaling.json go to OUT.
#   scripts/dist_scaling.sh [OUT=results/dist-scaling]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/dist-scaling}
BIN=build/bin/gem-train
[[ -x $BIN ]] || { echo "build first: scripts/test.sh (or cmake --build build)" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"

# name | flags: a budget of about half a minute per run on 2 cores.
cases=(
  "fashion-resnet-local|--recipe fashion-resnet-local --act gem:N=1 --epochs 1 --train-limit 8192 --test-limit 1000"
  "gpt-local|--recipe gpt-local --act egem:N=2,eps=10 --epochs 1 --steps-per-epoch 100 --val-tokens 8192 --eval-batch-size 32"
)
layouts=("1 rank, 1 thread|--threads 1" "1 rank, 2 threads|--threads 2" "2 ranks, 1 thread each|--nproc-per-node 2 --threads 1")

for c in "${cases[@]}"; do
  name=${c%%|*}; flags=${c#*|}
  for l in "${layouts[@]}"; do
    label=${l%%|*}; lflags=${l#*|}
    dir="$OUT/$name/$(printf %s "$label" | tr -c 'a-z0-9' '-')"; mkdir -p "$OUT/$name"
    echo "[dist_scaling] $name, $label" >&2
    # shellcheck disable=SC2086
    $BIN $flags $lflags --log-every 0 --out "$dir" > "$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
  done
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = []
for summary in sorted(out.glob("*/*/summary.json")):
    s = json.loads(summary.read_text())
    o = json.loads((summary.parent / "options.json").read_text())["options"]
    m = [json.loads(l) for l in (summary.parent / "metrics.jsonl").read_text().splitlines()]
    train_seconds = sum(e["train_seconds"] for e in m)
    if o["dataset"] in ("python-docs", "text"):
        steps = o["steps_per_epoch"] * o["epochs"]
    else:
        steps = -(-s["train_size"] // o["batch_size"]) * o["epochs"]
    comm = s.get("communication_seconds")
    w, t = s["world_size"], s["threads"]
    layout = f"{w} ranks, {t} thread{'s' if t > 1 else ''} each" if w > 1 else f"1 process, {t} thread{'s' if t > 1 else ''}"
    rows.append({"recipe": summary.parent.parent.name, "layout": layout, "world_size": s["world_size"],
                 "threads": s["threads"], "step_ms": 1000 * train_seconds / steps,
                 "communication_share": None if comm is None else comm / train_seconds,
                 "held_out_loss": s["test_loss"]})
(out / "scaling.json").write_text(json.dumps(rows, indent=2) + "\n")
print("| recipe | layout | step (ms) | speed vs 1 process, 1 thread | time in collectives | held-out loss |")
print("|---|---|---:|---:|---:|---:|")
base = {r["recipe"]: r["step_ms"] for r in rows if r["world_size"] == 1 and r["threads"] == 1}
for r in rows:
    share = "-" if r["communication_share"] is None else f'{100 * r["communication_share"]:.1f}%'
    print(f'| {r["recipe"]} | {r["layout"]} | {r["step_ms"]:.1f} | '
          f'{base[r["recipe"]] / r["step_ms"]:.2f}x | {share} | {r["held_out_loss"]:.4f} |')
PY
