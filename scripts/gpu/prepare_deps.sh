#!/usr/bin/env bash
# Run here (Debian 12, with its archive reachable) before a GPU run: downloads the .deb files of
# the build dependencies the GPU machine lacks (Highway, GoogleTest, CLI11, nlohmann-json, fmt,
# SentencePiece, zlib headers) into .gpu-deps/ (git-ignored), for the device run to carry
# (carry: [".gpu-deps"]); build_operators.sh and gpu_check.sh unpack them there, never install.
#   bash scripts/gpu/prepare_deps.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p .gpu-deps
cd .gpu-deps
apt-get download libhwy-dev libhwy1 libgtest-dev libgmock-dev googletest libcli11-dev nlohmann-json3-dev \
  libfmt-dev libfmt9 libsentencepiece-dev libsentencepiece0 zlib1g-dev 2> >(grep -v "unsandboxed" >&2)
echo "$(ls ./*.deb | wc -l) .deb files, $(du -sh . | cut -f1), in $PWD"
