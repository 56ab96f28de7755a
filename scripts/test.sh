#!/usr/bin/env bash
# The test command (README, .ci/run): builds if needed, then runs the whole ctest suite.
# Extra arguments go to ctest, e.g. scripts/test.sh -L model   or   scripts/test.sh -R Config
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build_dir="${TETRA_BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  scripts/setup.sh
else
  cmake --build "$build_dir"
fi
export OMP_WAIT_POLICY=PASSIVE
# Open MPI refuses to run as root (containers, CI) unless told it is fine.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "${TETRA_TEST_JOBS:-2}" "$@"
