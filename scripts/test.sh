#!/usr/bin/env bash
# Builds GEM (scripts/setup.sh) and runs every test with ctest; prints ctest's summary and exits
# non-zero if the build or any test failed (after a build failure the tests that were built
# still run, so one broken part does not hide the results of the others).
#   bash scripts/test.sh
# Environment: GEM_BUILD_DIR (default build), GEM_TEST_JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GEM_BUILD_DIR:-$root/build}

status=0
if ! GEM_KEEP_GOING=1 bash "$root/scripts/setup.sh"; then
  printf '[test] setup or build FAILED (see above); running the tests that were built\n' >&2
  status=1
fi
[[ -f $build_dir/CMakeCache.txt ]] || exit 1
printf '[test] running the tests in %s\n' "${build_dir#$root/}"
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "${GEM_TEST_JOBS:-2}" || status=1
exit $status
